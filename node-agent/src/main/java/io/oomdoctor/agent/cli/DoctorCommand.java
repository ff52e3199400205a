package io.oomdoctor.agent.cli;

import io.oomdoctor.agent.cgroup.CgroupReader;
import io.oomdoctor.agent.cgroup.ProcCgroup;
import io.oomdoctor.agent.docker.ContainerFacts;
import io.oomdoctor.agent.docker.DockerDoctor;
import io.oomdoctor.agent.docker.DockerEngine;
import io.oomdoctor.agent.docker.DoctorReport;
import io.oomdoctor.agent.docker.KillLog;
import io.oomdoctor.agent.docker.Triage;
import io.oomdoctor.agent.json.JsonWriter;
import io.oomdoctor.model.OomKillSpec;
import io.oomdoctor.model.evidence.CgroupSnapshot;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** {@code oomdoctor-agent doctor CONTAINER}: the triage of a Docker container's exit 137. */
final class DoctorCommand {
  private final HostOptions host;
  private final String container;
  private final String dockerHost;
  private final boolean json;
  private final int sampleSeconds;
  private final Path stateDir;

  static Options options(Function<String, String> env) {
    return HostOptions.add(
            new Options(
                "doctor",
                "Triage a Docker container (name or ID, running, exited or removed): was it the"
                    + " OOM killer, which limit, why, and the fix as docker run flags and Compose"
                    + " keys. Reads the Docker Engine API, the kernel's OOM reports of the"
                    + " container's cgroup and its live memory figures.",
                env))
        .positional("CONTAINER", "The container's name or ID (for a removed one, its ID).")
        .value(
            "--docker-host",
            "URL",
            "DOCKER_HOST",
            DockerEngine.DEFAULT_HOST,
            "The Docker Engine (unix:///path/to/docker.sock or tcp://host:port).")
        .value("--output", "human|json", null, "human", "How to print the triage.")
        .value(
            "--state-dir",
            "PATH",
            "OOMDOCTOR_STATE_DIR",
            "/var/lib/oomdoctor",
            "Where `run --docker` records the kills it saw (with the memory curve before each).")
        .value(
            "--sample-seconds",
            "N",
            null,
            "3",
            "How long to sample a running container's memory for the curve (0: not at all).");
  }

  DoctorCommand(Options o) throws Options.UsageException {
    this.host = new HostOptions(o);
    List<String> args = o.positional();
    if (args.size() != 1) {
      throw new Options.UsageException("give one container name or ID");
    }
    this.container = args.get(0);
    this.dockerHost = o.string("--docker-host");
    String output = o.string("--output");
    if (!"human".equals(output) && !"json".equals(output)) {
      throw new Options.UsageException("--output is human or json, not " + output);
    }
    this.json = "json".equals(output);
    this.sampleSeconds = o.integer("--sample-seconds");
    this.stateDir = o.path("--state-dir");
    if (sampleSeconds < 0 || sampleSeconds > 600) {
      throw new Options.UsageException("--sample-seconds is 0 to 600");
    }
  }

  int run(PrintStream out, PrintStream err) throws Exception {
    // docker-java's HTTP client logs its retries at INFO: the triage says what failed itself
    System.setProperty("org.slf4j.simpleLogger.log.com.github.dockerjava", "warn");
    ContainerFacts facts = null;
    String engineError = null;
    try (DockerEngine engine = DockerEngine.connect(dockerHost)) {
      facts = engine.inspect(container);
    } catch (RuntimeException e) {
      engineError = rootMessage(e);
      err.println(
          "oomdoctor-agent doctor: cannot ask the Docker engine at "
              + dockerHost
              + ": "
              + engineError
              + " (looking in the kernel log only)");
    }
    String id = facts != null ? facts.id() : container.toLowerCase(java.util.Locale.ROOT);
    if (facts == null && !id.matches("[0-9a-f]{12,64}")) {
      err.println(
          "oomdoctor-agent doctor: "
              + (engineError == null
                  ? "the Docker engine knows no container " + container
                  : "without the Docker engine, a container is found by its ID only")
              + "; for a removed container, give its ID (12 or more hex digits)");
      return 1;
    }
    List<OomKillSpec> kills = new ArrayList<>();
    final String match = id;
    int rc =
        ScanCommand.collect(
            host,
            "docker-host",
            kill -> {
              if (DockerDoctor.reportOf(kill.getSpec().report, match)) {
                kills.add(kill.getSpec());
              }
            },
            err);
    String source = "kernel ring buffer";
    if (rc != 0) {
      err.println("oomdoctor-agent doctor: the kernel ring buffer could not be read");
    }
    boolean expectKill =
        facts == null
            || Boolean.TRUE.equals(facts.oomKilled())
            || (facts.exitCode() != null && facts.exitCode() == 137);
    if (kills.isEmpty() && expectKill) {
      kills.addAll(fromJournal(id, facts, err));
      source = "systemd journal";
    }
    // what the agent recorded: the reports the ring buffer may have lost, and the curves before
    List<OomKillSpec> recorded = new KillLog(stateDir).of(id);
    for (OomKillSpec r : recorded) {
      int same = -1;
      for (int i = 0; i < kills.size(); i++) {
        var k = kills.get(i).report;
        if (java.util.Objects.equals(k.pid, r.report.pid)
            && java.util.Objects.equals(k.kernelTimeUs, r.report.kernelTimeUs)) {
          same = i;
        }
      }
      if (same >= 0) {
        kills.set(same, r);
      } else {
        kills.add(r);
        source = kills.size() == recorded.size() ? "agent's record (" + stateDir + ")" : source;
      }
    }
    kills.sort(
        java.util.Comparator.comparing(
            (OomKillSpec k) -> k.report.timestamp == null ? "" : k.report.timestamp));
    CgroupSnapshot live = null;
    List<Long> history = new ArrayList<>();
    long interval = 200;
    if (facts != null && facts.running() && facts.pid() != null && facts.pid() > 0) {
      Path root = host.hierarchyRoot();
      Path dir = ProcCgroup.memoryDir(host.procRoot, Long.toString(facts.pid()), root);
      CgroupReader reader = CgroupReader.detect(root);
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(sampleSeconds);
      while (sampleSeconds > 0 && System.nanoTime() < end) {
        long u = reader.usage(dir);
        if (u < 0) {
          break;
        }
        history.add(u);
        Thread.sleep(interval);
      }
      live = reader.snapshot(dir).orElse(null);
    }
    if (facts == null && kills.isEmpty()) {
      err.println(
          "oomdoctor-agent doctor: neither the Docker engine nor the kernel log knows "
              + container);
      return 1;
    }
    Triage t = new DockerDoctor().triage(facts, container, kills, source, live, history, interval);
    out.print(json ? new JsonWriter(true).write(t) + "\n" : DoctorReport.text(t));
    out.flush();
    return 0;
  }

  /** The kernel's reports of the container from the journal, when the ring buffer lost them. */
  private static List<OomKillSpec> fromJournal(String id, ContainerFacts facts, PrintStream err) {
    List<OomKillSpec> out = new ArrayList<>();
    if (!io.oomdoctor.agent.Which.onPath("journalctl")) {
      return out;
    }
    List<String> cmd =
        new ArrayList<>(List.of("journalctl", "-k", "-o", "json", "--no-pager", "-q"));
    if (facts != null && facts.startedAt() != null && !facts.startedAt().startsWith("0001")) {
      try {
        cmd.add("--since=@" + Instant.parse(facts.startedAt()).getEpochSecond());
      } catch (RuntimeException e) {
        // an engine's odd time: read the whole journal
      }
    }
    try {
      Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      p.getOutputStream().close();
      byte[] text = p.getInputStream().readNBytes(64 << 20);
      p.destroy();
      p.waitFor(5, TimeUnit.SECONDS);
      ParseCommand.parseText(
          new String(text, StandardCharsets.UTF_8),
          spec -> {
            if (DockerDoctor.reportOf(spec.report, id)) {
              out.add(spec);
            }
          });
    } catch (Exception e) {
      err.println("oomdoctor-agent doctor: cannot read the journal: " + e.getMessage());
    }
    return out;
  }

  private static String rootMessage(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c.getMessage() == null ? c.toString() : c.getMessage();
  }
}
