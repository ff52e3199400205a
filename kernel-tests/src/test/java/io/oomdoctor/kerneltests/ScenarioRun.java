package io.oomdoctor.kerneltests;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.oomdoctor.testkit.CgroupSandbox;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One run of the scenario body (scenarios.sh) on one kernel, and what it printed: the truth it set
 * up, the kernel's counters, the agent's JSON lines and the kernel's log.
 */
final class ScenarioRun {
  static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** Scenarios of both hierarchies. */
  static final List<String> COMMON =
      List.of(
          "systemd-burstable-container",
          "cgroupfs-guaranteed-container",
          "systemd-besteffort-node-allocatable",
          "cgroupfs-burstable-pod-limit",
          "cgroupfs-burstable-child-process");

  /** Scenarios only cgroup v2 (memory.oom.group) or a machine of its own (a host OOM) allow. */
  static final List<String> V2_ONLY = List.of("systemd-burstable-oom-group", "host-oom");

  final int version;
  final String kernel;
  final String output;
  final Map<String, Map<String, String>> truth = new LinkedHashMap<>();
  final Map<String, Map<String, String>> counters = new LinkedHashMap<>();
  final Map<String, List<Long>> pids = new LinkedHashMap<>();
  final List<JsonNode> agent = new ArrayList<>();
  final List<String> kernelLog = new ArrayList<>();

  private ScenarioRun(int version, String kernel, String output) throws IOException {
    this.version = version;
    this.kernel = kernel;
    this.output = output;
    String section = "";
    for (String raw : output.split("\n")) {
      String line = raw.replace("\r", "");
      switch (line) {
        case "AGENT-OUTPUT-BEGIN", "KERNEL-LOG-BEGIN" -> {
          section = line;
          continue;
        }
        case "AGENT-OUTPUT-END", "KERNEL-LOG-END" -> {
          section = "";
          continue;
        }
        default -> {}
      }
      if (section.equals("AGENT-OUTPUT-BEGIN")) {
        if (line.startsWith("{")) {
          agent.add(JSON.readTree(line));
        }
        continue;
      }
      if (section.equals("KERNEL-LOG-BEGIN")) {
        kernelLog.add(line);
        continue;
      }
      String[] w = line.split(" ");
      if (w.length >= 2 && (w[0].equals("TRUTH") || w[0].equals("COUNTERS"))) {
        Map<String, String> kv = new LinkedHashMap<>();
        for (int i = 2; i < w.length; i++) {
          int eq = w[i].indexOf('=');
          if (eq > 0) {
            kv.put(w[i].substring(0, eq), w[i].substring(eq + 1));
          }
        }
        (w[0].equals("TRUTH") ? truth : counters).put(w[1], kv);
      } else if (w.length >= 3 && List.of("PID", "PARENT", "MEMBERS").contains(w[0])) {
        List<Long> p = new ArrayList<>();
        for (int i = 2; i < w.length; i++) {
          p.add(Long.parseLong(w[i].trim()));
        }
        pids.put(w[0] + " " + w[1], p);
      }
    }
  }

  boolean finished() {
    return output.contains("SCENARIOS-DONE");
  }

  /** The agent's lines whose victim has this name. */
  List<JsonNode> killsOf(String process) {
    return agent.stream().filter(k -> process.equals(k.path("process").asText(null))).toList();
  }

  /** The last lines of the output, for a failure's message. */
  String tail() {
    String[] lines = output.split("\n");
    return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - 60), lines.length));
  }

  // --- the two kernels ---------------------------------------------------------------------------

  /** The repository's root, from this module's directory (or the root itself). */
  static Path repo() {
    Path here = Paths.get("").toAbsolutePath();
    return Files.isDirectory(here.resolve("node-agent")) ? here : here.getParent();
  }

  /** The work directory: memhog, the agent's launcher and jar, the scenario body. */
  static Path work(String name) throws IOException, InterruptedException {
    Path work = repo().resolve("kernel-tests/target/" + name);
    Files.createDirectories(work.resolve("agent/bin"));
    Files.createDirectories(work.resolve("agent/target"));
    Path jar = repo().resolve("node-agent/target/oomdoctor-agent.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IOException("no " + jar + ": build it with mvn -B package -DskipTests");
    }
    Files.copy(
        jar, work.resolve("agent/target/oomdoctor-agent.jar"), StandardCopyOption.REPLACE_EXISTING);
    Path launcher = work.resolve("agent/bin/oomdoctor-agent");
    Files.copy(
        repo().resolve("node-agent/bin/oomdoctor-agent"),
        launcher,
        StandardCopyOption.REPLACE_EXISTING);
    launcher.toFile().setExecutable(true);
    Files.write(work.resolve("scenarios.sh"), Guest.resource("scenarios.sh"));
    Path memhog = work.resolve("memhog");
    Process gcc =
        new ProcessBuilder(
                "gcc",
                "-O2",
                "-o",
                memhog.toString(),
                repo().resolve("testkit/src/main/c/memhog.c").toString())
            .redirectErrorStream(true)
            .start();
    String msg = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (gcc.waitFor() != 0) {
      throw new IOException("cannot compile memhog: " + msg);
    }
    return work;
  }

  /** The scenarios on this machine's kernel: cgroup v1, in a sandbox below the test's memcg. */
  static ScenarioRun onThisMachine() throws Exception {
    Path work = work("v1");
    Path busybox = Guest.dir().resolve("busybox");
    List<String> cmd = new ArrayList<>();
    try (CgroupSandbox sandbox = CgroupSandbox.create()) {
      cmd.addAll(
          List.of(
              "sh",
              work.resolve("scenarios.sh").toString(),
              "1",
              sandbox.root().toString(),
              work.resolve("memhog").toString(),
              work.resolve("agent/bin/oomdoctor-agent").toString(),
              busybox.toString(),
              work.resolve("out").toString(),
              Integer.toString(freePort())));
      cmd.addAll(COMMON);
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      byte[] out;
      try {
        out = readWithin(p, 300);
      } finally {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
      String release = Files.readString(Paths.get("/proc/sys/kernel/osrelease")).trim();
      return new ScenarioRun(1, release, new String(out, StandardCharsets.ISO_8859_1));
    }
  }

  /** The scenarios in the qemu guest: cgroup v2, Debian's kernel, a host OOM of its own. */
  static ScenarioRun inGuest() throws Exception {
    Path work = work("v2");
    List<String> args = new ArrayList<>(List.of("2", "/sys/fs/cgroup", "/work/memhog"));
    args.addAll(List.of("/work/agent/bin/oomdoctor-agent", "/tmp/busybox", "/tmp/out", "9464"));
    args.addAll(COMMON);
    args.addAll(V2_ONLY);
    Files.writeString(work.resolve("args"), String.join(" ", args) + "\n");
    String console = Guest.boot(work, 512, 420);
    return new ScenarioRun(2, Guest.release(), console);
  }

  private static byte[] readWithin(Process p, long seconds) throws Exception {
    var reader =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              try {
                return p.getInputStream().readAllBytes();
              } catch (IOException e) {
                return new byte[0];
              }
            });
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    return reader.get(30, TimeUnit.SECONDS);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
