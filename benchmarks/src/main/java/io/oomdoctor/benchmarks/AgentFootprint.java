package io.oomdoctor.benchmarks;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.oomdoctor.model.OomKill;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Measures the agent daemon as it ships: started through {@code node-agent/bin/oomdoctor-agent}
 * with its JVM flags, exporting to an API server (the CRUD mock, in this process) that holds the
 * node's pods, sampling 110 real container cgroups (55 pods, each container a real process) every
 * 10 s, with one real OOM kill a minute. Reports resident memory (VmRSS over time, VmHWM) and CPU
 * (utime + stime over the measured wall time) of the agent's process.
 *
 * <p>Needs root and the cgroup v1 memory controller. Usage: {@code java -cp
 * benchmarks/target/benchmarks.jar io.oomdoctor.benchmarks.AgentFootprint [minutes]
 * [warmupSeconds]} from the repository root after {@code mvn -B package -DskipTests}.
 */
public final class AgentFootprint {
  static final int PODS = 55;
  static final Path MEMORY = Paths.get("/sys/fs/cgroup/memory");

  public static void main(String[] args) throws Exception {
    int minutes = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int warmupSec = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    Path repo = Paths.get("").toAbsolutePath();
    Path launcher = repo.resolve("node-agent/bin/oomdoctor-agent");
    Path memhog = compileMemhog(repo);
    Path self = selfMemcg();
    Path root = self.resolve("oomdoctor-bench-" + UUID.randomUUID().toString().substring(0, 8));
    Path state = Files.createTempDirectory("oomdoctor-bench-state");
    List<Process> procs = new ArrayList<>();
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(List.of()),
            false);
    server.init();
    Process agent = null;
    try (KubernetesClient client = server.createClient()) {
      try (InputStream in =
          AgentFootprint.class
              .getClassLoader()
              .getResourceAsStream("META-INF/fabric8/oomkills.oomdoctor.io-v1.yml")) {
        client
            .apiextensions()
            .v1()
            .customResourceDefinitions()
            .resource(
                client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class))
            .create();
      }
      List<Path> containers = new ArrayList<>();
      for (int p = 0; p < PODS; p++) {
        String uid = UUID.randomUUID().toString();
        String qos = p % 3 == 0 ? "besteffort" : "burstable";
        Path pod = root.resolve("kubepods").resolve(qos).resolve("pod" + uid);
        PodBuilder pb =
            new PodBuilder()
                .withNewMetadata()
                .withName("app-" + p)
                .withNamespace("bench")
                .withUid(uid)
                .endMetadata()
                .withNewSpec()
                .withNodeName("bench-node")
                .endSpec()
                .withNewStatus()
                .endStatus();
        for (int c = 0; c < 2; c++) {
          String cid =
              (UUID.randomUUID().toString() + UUID.randomUUID())
                  .replace("-", "")
                  .toLowerCase(Locale.ROOT);
          Path dir = pod.resolve(cid);
          Files.createDirectories(dir);
          Files.writeString(dir.resolve("memory.limit_in_bytes"), Long.toString(64L << 20));
          procs.add(start(dir, List.of("sleep", "100000")));
          containers.add(dir);
          pb.editSpec()
              .addNewContainer()
              .withName("c" + c)
              .endContainer()
              .endSpec()
              .editStatus()
              .addToContainerStatuses(
                  new ContainerStatusBuilder()
                      .withName("c" + c)
                      .withContainerID("containerd://" + cid)
                      .build())
              .endStatus();
        }
        client.resource(pb.build()).create();
      }
      Path kubeconfig = state.resolve("kubeconfig");
      Files.writeString(
          kubeconfig,
          "apiVersion: v1\nkind: Config\nclusters:\n- name: bench\n  cluster:\n    server: http://127.0.0.1:"
              + server.getPort()
              + "\ncontexts:\n- name: bench\n  context:\n    cluster: bench\n    user: bench\n    namespace: oomdoctor-system\ncurrent-context: bench\nusers:\n- name: bench\n  user:\n    token: bench\n");
      int metricsPort;
      try (ServerSocket s = new ServerSocket(0)) {
        metricsPort = s.getLocalPort();
      }
      ProcessBuilder apb =
          new ProcessBuilder(
                  launcher.toString(),
                  "run",
                  "--exporter",
                  "kubernetes",
                  "--node-name",
                  "bench-node",
                  "--cgroup-root",
                  root.toString(),
                  "--state-dir",
                  state.resolve("agent").toString(),
                  "--interval",
                  "10s",
                  "--metrics-port",
                  Integer.toString(metricsPort),
                  "--pod-field-selector",
                  "false",
                  "--namespace",
                  "oomdoctor-system")
              .redirectOutput(state.resolve("agent.out").toFile())
              .redirectError(state.resolve("agent.err").toFile());
      apb.environment().put("KUBECONFIG", kubeconfig.toString());
      agent = apb.start();
      long pid = agent.pid();
      System.out.printf(
          "agent pid %d, %d containers in %d pods, warm-up %d s, measuring %d min%n",
          pid, containers.size(), PODS, warmupSec, minutes);
      Thread.sleep(warmupSec * 1000L);

      long cpu0 = cpuTicks(pid);
      long t0 = System.nanoTime();
      long maxRss = 0;
      long sumRss = 0;
      int samples = 0;
      int kills = 0;
      long end = t0 + TimeUnit.MINUTES.toNanos(minutes);
      long nextKill = t0;
      while (System.nanoTime() < end) {
        if (System.nanoTime() >= nextKill) {
          oomKill(root, memhog, procs);
          kills++;
          nextKill += TimeUnit.MINUTES.toNanos(1);
        }
        long rss = statusKb(pid, "VmRSS:");
        maxRss = Math.max(maxRss, rss);
        sumRss += rss;
        samples++;
        Thread.sleep(5000);
      }
      long wallMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      long cpuMs = (cpuTicks(pid) - cpu0) * 10; // USER_HZ 100
      String metrics =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      int exported = client.resources(OomKill.class).inAnyNamespace().list().getItems().size();
      System.out.printf(
          "RSS max %.1f MiB, mean %.1f MiB, VmHWM %.1f MiB%n",
          maxRss / 1024.0, sumRss / 1024.0 / samples, statusKb(pid, "VmHWM:") / 1024.0);
      System.out.printf(
          "CPU %.2f millicores (%d ms over %d s)%n", cpuMs * 1000.0 / wallMs, cpuMs, wallMs / 1000);
      System.out.printf(
          "sampling pass mean %.2f ms; OOM kills made %d, OomKills in the API server %d%n",
          metric(metrics, "oomdoctor_agent_sampling_duration_seconds_sum")
              * 1000
              / metric(metrics, "oomdoctor_agent_sampling_duration_seconds_count"),
          kills,
          exported);
    } finally {
      if (agent != null) {
        agent.destroy();
        agent.waitFor(10, TimeUnit.SECONDS);
      }
      for (Process p : procs) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
      }
      server.destroy();
      removeTree(root);
    }
  }

  private static Process start(Path cgroup, List<String> argv) throws IOException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "bash",
                "-c",
                "echo $$ > \"$0\" && exec \"$@\"",
                cgroup.resolve("cgroup.procs").toString()));
    cmd.addAll(argv);
    return new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
  }

  /** A short-lived container of its own that the kernel OOM-kills (32 MiB limit). */
  private static void oomKill(Path root, Path memhog, List<Process> procs) throws Exception {
    Path dir =
        root.resolve("kubepods")
            .resolve("burstable")
            .resolve("pod" + UUID.randomUUID())
            .resolve((UUID.randomUUID().toString() + UUID.randomUUID()).replace("-", ""));
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("memory.limit_in_bytes"), Long.toString(32L << 20));
    Process p = start(dir, List.of(memhog.toString(), "--interval-ms", "50"));
    procs.add(p);
    p.waitFor(30, TimeUnit.SECONDS);
  }

  private static long statusKb(long pid, String key) throws IOException {
    for (String l : Files.readAllLines(Paths.get("/proc", Long.toString(pid), "status"))) {
      if (l.startsWith(key)) {
        return Long.parseLong(l.substring(key.length()).trim().split("\\s+")[0]);
      }
    }
    return 0;
  }

  private static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Paths.get("/proc", Long.toString(pid), "stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
  }

  private static double metric(String text, String name) {
    for (String l : text.split("\n")) {
      if (l.startsWith(name + " ") || l.startsWith(name + "{")) {
        return Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1));
      }
    }
    return Double.NaN;
  }

  private static Path selfMemcg() throws IOException {
    for (String line : Files.readAllLines(Paths.get("/proc/self/cgroup"))) {
      String[] parts = line.split(":", 3);
      if (parts.length == 3 && parts[1].equals("memory")) {
        return MEMORY.resolve(parts[2].substring(1));
      }
    }
    return MEMORY;
  }

  private static Path compileMemhog(Path repo) throws Exception {
    Path out = repo.resolve("benchmarks/target/memhog");
    Process p =
        new ProcessBuilder(
                "gcc",
                "-O1",
                "-o",
                out.toString(),
                repo.resolve("node-agent/src/test/c/memhog.c").toString())
            .inheritIO()
            .start();
    if (p.waitFor() != 0) {
      throw new IllegalStateException("gcc failed");
    }
    return out;
  }

  private static void removeTree(Path root) throws IOException, InterruptedException {
    if (!Files.exists(root)) {
      return;
    }
    List<Path> dirs;
    try (Stream<Path> s = Files.walk(root)) {
      dirs = s.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList();
    }
    for (Path d : dirs) {
      for (int i = 0; i < 50; i++) {
        try {
          Files.deleteIfExists(d);
          break;
        } catch (IOException e) {
          Thread.sleep(100);
        }
      }
    }
  }
}
