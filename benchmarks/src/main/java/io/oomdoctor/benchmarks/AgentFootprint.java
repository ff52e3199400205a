package io.oomdoctor.benchmarks;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.testkit.CgroupSandbox;
import io.oomdoctor.testkit.MockApiServer;
import io.oomdoctor.testkit.RealKernel;
import io.oomdoctor.testkit.TlsRelay;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Measures the agent daemon as it ships: started through {@code node-agent/bin/oomdoctor-agent}
 * with its JVM flags, exporting to an API server (the CRUD mock, in this process) that holds the
 * node's pods, reached as from a pod (HTTPS through a TLS relay whose certificate is the cluster
 * CA, and a service account token), sampling 110 real container cgroups (55 pods, each container a
 * real process) every 10 s, with one real OOM kill a minute. Reports resident memory (VmRSS over
 * time, VmHWM) and CPU (utime + stime over the measured wall time) of the agent's process.
 *
 * <p>Needs root and the cgroup v1 memory controller. Usage, from the repository root after {@code
 * mvn -B package -DskipTests}: {@code java -cp benchmarks/target/benchmarks.jar
 * io.oomdoctor.benchmarks.AgentFootprint [--minutes M] [--warmup S] [--pods N] [--annotation-kib K]
 * [--churn-pods C] [--api-outage S] [--storm K [--storm-cpu-shares S]]} — N pods of two containers
 * each (55 by default), each pod object carrying an annotation of K KiB (0 by default: big pod
 * objects make big pod lists); C more pods created and deleted on the node over the measured time;
 * the API server unreachable for the first S seconds measured (kills go on); K real kernel OOM
 * kills a minute in 20 more containers for the whole measured time (their CPU weight S, 2 by
 * default: a kubelet's burstable pods without a CPU request), checked at the end against the
 * kernel's own counts, with the operator running in this JVM so that the first kill is timed to its
 * Pod Event. The last line is {@code rss_max_mib=N heap_max_mib=N oom=0|1 lost=N}: the agent's peak
 * resident memory, its peak heap (from its GC log), whether it ran out of memory (or died), and
 * kills made but not in the API server.
 */
public final class AgentFootprint {
  public static void main(String[] args) throws Exception {
    int minutes = 5;
    int warmupSec = 60;
    int pods = 55;
    int annotationKib = 0;
    int churnPods = 0;
    int outageSec = 0;
    int stormPerMinute = 0;
    int stormCpuShares = 2;
    for (int i = 0; i < args.length; i++) {
      String v = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--minutes" -> minutes = Integer.parseInt(v);
        case "--warmup" -> warmupSec = Integer.parseInt(v);
        case "--pods" -> pods = Integer.parseInt(v);
        case "--annotation-kib" -> annotationKib = Integer.parseInt(v);
        case "--churn-pods" -> churnPods = Integer.parseInt(v);
        case "--api-outage" -> outageSec = Integer.parseInt(v);
        case "--storm" -> stormPerMinute = Integer.parseInt(v);
        case "--storm-cpu-shares" -> stormCpuShares = Integer.parseInt(v);
        default -> {
          System.err.println("AgentFootprint: unknown option " + args[i]);
          System.exit(2);
        }
      }
      i++;
    }
    String annotation = "x".repeat(annotationKib * 1024);
    String problem = RealKernel.unavailableReason();
    if (problem != null) {
      System.err.println("AgentFootprint needs real cgroups: " + problem);
      System.exit(2);
    }
    Path launcher = Paths.get("node-agent/bin/oomdoctor-agent").toAbsolutePath();
    Path state = Files.createTempDirectory("oomdoctor-bench-state");
    Process agent = null;
    try (MockApiServer api = MockApiServer.start();
        TlsRelay relay = new TlsRelay(api.port(), state);
        CgroupSandbox sandbox = CgroupSandbox.create()) {
      KubernetesClient client = api.client();
      // The pods' namespace exists, as in a cluster: OomKills go to it, not to the agent's own.
      client
          .namespaces()
          .resource(
              new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                  .withNewMetadata()
                  .withName("bench")
                  .endMetadata()
                  .build())
          .create();
      int containers = 0;
      for (int p = 0; p < pods; p++) {
        String qos = p % 3 == 0 ? "besteffort" : "burstable";
        for (Path dir : pod(client, sandbox, "app-" + p, qos, 64L << 20, annotation).values()) {
          sandbox.start(dir, List.of("sleep", "100000"));
          containers++;
        }
      }
      Path sa = Files.createDirectories(state.resolve("serviceaccount"));
      Files.copy(relay.caCertificate(), sa.resolve("ca.crt"));
      Files.writeString(sa.resolve("token"), "bench-token");
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
                  sandbox.root().toString(),
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
      apb.environment().put("KUBERNETES_SERVICE_HOST", "localhost");
      apb.environment().put("KUBERNETES_SERVICE_PORT", Integer.toString(relay.port()));
      apb.environment().put("OOMDOCTOR_SERVICE_ACCOUNT_DIR", sa.toString());
      Path gcLog = state.resolve("gc.log");
      // OOMDOCTOR_BENCH_JAVA_OPTS adds flags for a look inside (-XX:NativeMemoryTracking=summary)
      apb.environment()
          .put(
              "OOMDOCTOR_JAVA_OPTS",
              ("-Xlog:gc:file="
                      + gcLog
                      + " "
                      + System.getenv().getOrDefault("OOMDOCTOR_BENCH_JAVA_OPTS", ""))
                  .strip());
      agent = apb.start();
      long pid = agent.pid();
      System.out.printf(
          "agent pid %d, %d containers in %d pods, warm-up %d s, measuring %d min%n",
          pid, containers, pods, warmupSec, minutes);
      // Under a storm the operator runs too, in this JVM against the same API server, from the
      // start (as a cluster's runs before the storm): it turns the OomKills into Pod Events, the
      // end of the path the storm's first kill is timed over.
      io.oomdoctor.operator.OomDoctorOperator operator =
          stormPerMinute > 0
              ? new io.oomdoctor.operator.OomDoctorOperator(
                      client,
                      // every OomKill kept (by default 50 a container), for the count at the end
                      io.oomdoctor.operator.OperatorSettings.defaults()
                          .withRetention(java.time.Duration.ofDays(7), Integer.MAX_VALUE),
                      new io.oomdoctor.operator.OperatorMetrics(
                          new io.micrometer.core.instrument.simple.SimpleMeterRegistry()),
                      java.time.Clock.systemUTC(),
                      null,
                      false)
                  .start()
              : null;
      Thread.sleep(warmupSec * 1000L);

      long cpu0 = cpuTicks(pid);
      long t0 = System.nanoTime();
      long maxRss = 0;
      long sumRss = 0;
      long stormLost = 0;
      int samples = 0;
      int kills = 0;
      java.util.Set<String> killed = new java.util.HashSet<>();
      long end = t0 + TimeUnit.MINUTES.toNanos(minutes);
      long nextKill = t0;
      if (outageSec > 0) {
        relay.outage(true);
        System.out.printf("API server unreachable for %d s%n", outageSec);
      }
      long outageEnd = t0 + TimeUnit.SECONDS.toNanos(outageSec);
      Thread churn = churnPods > 0 ? churn(client, churnPods, minutes) : null;
      double killsSeenBefore = metricSum(scrape(metricsPort), "oomdoctor_agent_kills_total");
      Storm storm =
          stormPerMinute > 0
              ? Storm.start(sandbox, client, stormPerMinute, stormCpuShares, operator)
              : null;
      while (System.nanoTime() < end && agent.isAlive()) {
        if (outageSec > 0 && System.nanoTime() >= outageEnd) {
          relay.outage(false);
          outageSec = 0;
          System.out.println("API server back");
        }
        if (System.nanoTime() >= nextKill) {
          killed.add(oomKill(sandbox));
          kills++;
          nextKill += TimeUnit.MINUTES.toNanos(1);
        }
        long rss = statusKb(pid, "VmRSS:");
        maxRss = Math.max(maxRss, rss);
        sumRss += rss;
        samples++;
        Thread.sleep(5000);
      }
      if (churn != null) {
        churn.interrupt();
        churn.join(10_000);
      }
      long stormNanos = System.nanoTime() - t0;
      String stormLine =
          storm == null ? null : storm.finish(client, agent, metricsPort, stormNanos);
      if (storm != null) {
        double seen =
            metricSum(scrape(metricsPort), "oomdoctor_agent_kills_total") - killsSeenBefore;
        System.out.println(stormLine);
        System.out.printf(
            "storm: the agent counted %.0f kills in the window (the storm's and %d others)%n",
            seen, kills);
        stormLost = storm.lost;
      }
      relay.outage(false);
      long wallMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      boolean died = !agent.isAlive();
      long cpuMs = died ? 0 : (cpuTicks(pid) - cpu0) * 10; // USER_HZ 100
      String metrics =
          died
              ? ""
              : HttpClient.newHttpClient()
                  .send(
                      HttpRequest.newBuilder(
                              URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
                          .build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body();
      List<OomKill> stored = client.resources(OomKill.class).inAnyNamespace().list().getItems();
      int exported =
          stored.stream()
              .mapToInt(k -> io.oomdoctor.model.evidence.Repeats.count(k.getSpec().repeats))
              .sum();
      // The kills this run made, by their containers (the kernel log may hold older ones too).
      long reported =
          stored.stream()
              .map(
                  k -> k.getSpec().attribution == null ? null : k.getSpec().attribution.containerId)
              .filter(killed::contains)
              .distinct()
              .count();
      System.out.printf(
          "RSS max %.1f MiB, mean %.1f MiB, VmHWM %.1f MiB%n",
          maxRss / 1024.0,
          sumRss / 1024.0 / Math.max(1, samples),
          died ? 0 : statusKb(pid, "VmHWM:") / 1024.0);
      System.out.printf(
          "CPU %.2f millicores (%d ms over %d s)%n", cpuMs * 1000.0 / wallMs, cpuMs, wallMs / 1000);
      System.out.printf(
          "sampling pass mean %.2f ms; OOM kills made %d, OomKills in the API server %d%n",
          metric(metrics, "oomdoctor_agent_sampling_duration_seconds_sum")
              * 1000
              / metric(metrics, "oomdoctor_agent_sampling_duration_seconds_count"),
          kills,
          exported);
      agent.destroy(); // before the API server goes, so that its going is not reported
      agent.waitFor(10, TimeUnit.SECONDS);
      boolean oom =
          died
              || Files.readString(state.resolve("agent.err")).contains("OutOfMemoryError")
              || Files.readString(state.resolve("agent.out")).contains("OutOfMemoryError");
      System.out.printf(
          "rss_max_mib=%d heap_max_mib=%d oom=%d lost=%d%n",
          Math.round(maxRss / 1024.0),
          Math.round(heapMaxMib(gcLog)),
          oom ? 1 : 0,
          killed.size() - reported + stormLost);
    } finally {
      if (agent != null) {
        agent.destroy();
        agent.waitFor(10, TimeUnit.SECONDS);
        Path err = state.resolve("agent.err");
        String keep = System.getenv("OOMDOCTOR_BENCH_AGENT_LOG");
        if (keep != null && Files.exists(err)) {
          Files.copy(err, Path.of(keep), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        if (Files.exists(err)) {
          // What went wrong in the run stays visible; the state directory itself goes.
          for (String line : Files.readAllLines(err)) {
            if (line.contains(" WARN ") || line.contains(" ERROR ")) {
              System.out.println("agent: " + line);
            }
          }
        }
      }
      deleteTree(state);
    }
  }

  /**
   * The largest heap occupancy the JVM's GC log shows right after a collection (the live data:
   * "…GC(3) Pause Young … 12M->8M(20M)" is 8).
   */
  private static double heapMaxMib(Path gcLog) throws IOException {
    double max = 0;
    if (!Files.exists(gcLog)) {
      return Double.NaN;
    }
    java.util.regex.Pattern p = java.util.regex.Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");
    for (String l : Files.readAllLines(gcLog)) {
      java.util.regex.Matcher m = p.matcher(l);
      if (m.find()) {
        max =
            Math.max(max, Math.max(Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))));
      }
    }
    return max;
  }

  /**
   * A pod of the node with two containers, each a real cgroup in kubelet's cgroupfs layout with the
   * given limit, created in the API server; returns the containers' cgroups by ID.
   */
  static Map<String, Path> pod(
      KubernetesClient client,
      CgroupSandbox sandbox,
      String name,
      String qos,
      long limit,
      String annotation)
      throws IOException {
    PodBuilder pb =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace("bench")
            .addToAnnotations("bench/payload", annotation)
            .endMetadata()
            .withNewSpec()
            .withNodeName("bench-node")
            .endSpec()
            .withNewStatus()
            .endStatus();
    List<String> ids = new ArrayList<>();
    for (int c = 0; c < 2; c++) {
      String cid = CgroupSandbox.containerId();
      ids.add(cid);
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
    // The API server gives the pod its UID (as a real one does): the cgroups carry that one, or
    // the agent could not tell whose they are.
    String uid = client.resource(pb.build()).create().getMetadata().getUid();
    Map<String, Path> dirs = new java.util.LinkedHashMap<>();
    for (String cid : ids) {
      Path dir = sandbox.cgroupfsContainer(qos, uid, cid);
      sandbox.limit(dir, limit);
      dirs.put(cid, dir);
    }
    return dirs;
  }

  private static String scrape(int port) {
    try {
      return HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (Exception e) {
      return "";
    }
  }

  /** Sums a metric's samples over all its label sets. */
  private static double metricSum(String text, String name) {
    double sum = 0;
    for (String l : text.split("\n")) {
      if (l.startsWith(name + " ") || l.startsWith(name + "{")) {
        sum += Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  /**
   * An OOM storm: 10 pods of 2 containers (8 MiB limits), each container's process forking children
   * that allocate 16 MiB at once, together {@code perMinute} real kernel OOM kills a minute. The
   * truth at the end is the kernel's own count of kills in each cgroup.
   */
  static final class Storm {
    static final int PODS = 10;
    static final int CONTAINERS = 2 * PODS;

    final Map<String, Path> cgroups = new java.util.LinkedHashMap<>();
    final List<Process> processes = new ArrayList<>();
    long startNanos;
    long firstKillMillis = -1;
    long firstSeenMillis = -1;
    String firstPod;
    String firstOomKill;
    Path cpuCgroup;
    long lost;
    private io.fabric8.kubernetes.client.Watch watch;

    /** When a watch first saw the operator's OOMKilled Event of each storm pod. */
    final Map<String, Long> firstEventMillis = new java.util.concurrent.ConcurrentHashMap<>();

    private io.fabric8.kubernetes.client.Watch eventWatch;
    private io.oomdoctor.operator.OomDoctorOperator operator;

    static Storm start(
        CgroupSandbox sandbox,
        KubernetesClient client,
        int perMinute,
        int cpuShares,
        io.oomdoctor.operator.OomDoctorOperator operator)
        throws Exception {
      Storm s = new Storm();
      s.operator = operator;
      int perContainer = Math.max(1, Math.round(perMinute / (float) CONTAINERS));
      for (int p = 0; p < PODS; p++) {
        s.cgroups.putAll(pod(client, sandbox, "storm-" + p, "burstable", 8L << 20, ""));
      }
      Thread.sleep(2000); // the agent's pod watch sees the storm's pods
      System.out.printf(
          "storm: %d kills a minute in %d containers (%d each)%n",
          perContainer * CONTAINERS, CONTAINERS, perContainer);
      // Watching before the storm starts (a watch opened later would list the first OomKills
      // late). The first kill's latency: from the kernel's time of the kill (in its report) to the
      // OomKill reaching a watch of the API server.
      s.watch =
          client
              .resources(OomKill.class)
              .inAnyNamespace()
              .watch(
                  new io.fabric8.kubernetes.client.Watcher<OomKill>() {
                    @Override
                    public void eventReceived(Action action, OomKill k) {
                      long seen = System.currentTimeMillis();
                      if (action != Action.ADDED
                          || k.getSpec().attribution == null
                          || !s.cgroups.containsKey(k.getSpec().attribution.containerId)
                          || k.getSpec().report == null
                          || k.getSpec().report.timestamp == null) {
                        return;
                      }
                      long killed =
                          java.time.OffsetDateTime.parse(k.getSpec().report.timestamp)
                              .toInstant()
                              .toEpochMilli();
                      synchronized (s) {
                        if (s.firstKillMillis < 0 || killed < s.firstKillMillis) {
                          s.firstKillMillis = killed;
                          s.firstSeenMillis = seen;
                          s.firstPod = k.getSpec().pod == null ? null : k.getSpec().pod.name;
                          s.firstOomKill = k.getMetadata().getName();
                        }
                      }
                    }

                    @Override
                    public void onClose(io.fabric8.kubernetes.client.WatcherException e) {}
                  });
      s.eventWatch =
          client
              .v1()
              .events()
              .inNamespace("bench")
              .watch(
                  new io.fabric8.kubernetes.client.Watcher<
                      io.fabric8.kubernetes.api.model.Event>() {
                    @Override
                    public void eventReceived(
                        Action action, io.fabric8.kubernetes.api.model.Event e) {
                      if (action == Action.ADDED
                          && "OOMKilled".equals(e.getReason())
                          && e.getInvolvedObject() != null) {
                        s.firstEventMillis.putIfAbsent(
                            e.getInvolvedObject().getName(), System.currentTimeMillis());
                      }
                    }

                    @Override
                    public void onClose(io.fabric8.kubernetes.client.WatcherException e) {}
                  });

      // The storm's containers take CPU as the kubelet lets burstable pods without a CPU request
      // take it: cpu.shares 2 (the kernel work of their OOM kills is charged to them too), while
      // the agent and this JVM (API server, operator) keep the default 1024. --storm-cpu-shares
      // 1024 puts them on an equal footing.
      s.cpuCgroup =
          Path.of("/sys/fs/cgroup/cpu", "oomdoctor-bench-storm-" + ProcessHandle.current().pid());
      Files.createDirectories(s.cpuCgroup);
      Files.writeString(s.cpuCgroup.resolve("cpu.shares"), Integer.toString(cpuShares));
      for (Path dir : s.cgroups.values()) {
        s.processes.add(
            sandbox.start(
                dir,
                List.of(
                    "bash",
                    "-c",
                    "echo $$ > \"$0\" && exec \"$@\"",
                    s.cpuCgroup.resolve("cgroup.procs").toString(),
                    RealKernel.memhog().toString(),
                    "--storm-per-min",
                    Integer.toString(perContainer),
                    "--step-mb",
                    "16")));
      }
      s.startNanos = System.nanoTime(); // the storm starts now, not at its pods' creation
      return s;
    }

    /**
     * Stops the storm, waits until the agent has delivered what it counted (or 3 minutes), and says
     * what reached the API server against the kernel's counts.
     */
    String finish(KubernetesClient client, Process agent, int metricsPort, long nanos)
        throws Exception {
      for (Process p : processes) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
      removeCpuCgroup();
      watch.close();
      long made = 0;
      Map<String, Long> byContainer = new java.util.HashMap<>();
      for (var e : cgroups.entrySet()) {
        long n = oomKillCount(e.getValue());
        byContainer.put(e.getKey(), n);
        made += n;
      }
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(15);
      long stormEnd = System.nanoTime();
      long lastProgress = System.nanoTime();
      long lastExported = -1;
      long exported = 0;
      int oomKills = 0;
      java.util.Set<String> reached = new java.util.HashSet<>();
      while (true) {
        exported = 0;
        oomKills = 0;
        reached.clear();
        for (OomKill k : client.resources(OomKill.class).inAnyNamespace().list().getItems()) {
          String cid = k.getSpec().attribution == null ? null : k.getSpec().attribution.containerId;
          if (cid != null && cgroups.containsKey(cid)) {
            exported += io.oomdoctor.model.evidence.Repeats.count(k.getSpec().repeats);
            oomKills++;
            reached.add(cid);
          }
        }
        if (exported != lastExported) {
          lastExported = exported;
          lastProgress = System.nanoTime();
        }
        if (exported >= made
            || System.nanoTime() > deadline
            || System.nanoTime() - lastProgress > TimeUnit.MINUTES.toNanos(1)
            || !agent.isAlive()) {
          break;
        }
        Thread.sleep(2000);
      }
      lost = Math.max(0, made - exported);
      if (lost > 0) {
        // Where the kills not counted into a storm container went: OomKills of the storm's time
        // that name no container of it (the kernel's record did not say whose, and no counter
        // settled it).
        long elsewhere = 0;
        for (OomKill k : client.resources(OomKill.class).inAnyNamespace().list().getItems()) {
          String cid = k.getSpec().attribution == null ? null : k.getSpec().attribution.containerId;
          if ((cid == null || !cgroups.containsKey(cid))
              && k.getSpec().report != null
              && k.getSpec().report.timestamp != null
              && firstKillMillis > 0
              && java.time.OffsetDateTime.parse(k.getSpec().report.timestamp)
                      .toInstant()
                      .toEpochMilli()
                  >= firstKillMillis) {
            elsewhere += io.oomdoctor.model.evidence.Repeats.count(k.getSpec().repeats);
            System.out.printf(
                "storm: OomKill %s/%s of container %s, %d kills, cgroup %s%n",
                k.getMetadata().getNamespace(),
                k.getMetadata().getName(),
                cid,
                io.oomdoctor.model.evidence.Repeats.count(k.getSpec().repeats),
                k.getSpec().report.taskMemcg);
          }
        }
        System.out.printf("storm: %d kills in OomKills of no storm container%n", elsewhere);
      }
      eventWatch.close();
      operator.close();
      Long event = firstPod == null ? null : firstEventMillis.get(firstPod);
      if (firstOomKill != null) {
        OomKill first =
            client.resources(OomKill.class).inNamespace("bench").withName(firstOomKill).get();
        System.out.printf(
            "storm: the first kill at %s, its OomKill %s seen %d ms after, diagnosed at %s%n",
            java.time.Instant.ofEpochMilli(firstKillMillis),
            firstOomKill,
            firstSeenMillis - firstKillMillis,
            first == null || first.getStatus() == null ? null : first.getStatus().diagnosedAt);
      }
      double drainSec = (System.nanoTime() - stormEnd) / 1e9;
      String metrics = scrape(metricsPort);
      return String.format(
          "storm: kernel kills %d in %.0f s (%.0f a minute); counted into OomKills %d, in %d"
              + " OomKills (%.2f writes a second); containers killed %d, with an OomKill %d;"
              + " first kill to its OomKill %d ms, to its Pod Event %d ms (Events on %d pods);"
              + " the agent's own delivery: mean %.0f ms, max"
              + " %.0f ms; coalesced %.0f, dropped %.0f; waiting %.0f; delivered %.0f s after the"
              + " storm",
          made,
          nanos / 1e9,
          made * 60e9 / nanos,
          exported,
          oomKills,
          oomKills * 1e9 / nanos,
          byContainer.values().stream().filter(n -> n > 0).count(),
          reached.size(),
          firstKillMillis < 0 ? -1 : firstSeenMillis - firstKillMillis,
          event == null ? -1 : event - firstKillMillis,
          firstEventMillis.size(),
          1000
              * metricSum(metrics, "oomdoctor_agent_kill_delivery_seconds_sum")
              / Math.max(1, metricSum(metrics, "oomdoctor_agent_kill_delivery_seconds_count")),
          1000 * metricSum(metrics, "oomdoctor_agent_kill_delivery_seconds_max"),
          metricSum(metrics, "oomdoctor_agent_exports_coalesced_total"),
          metricSum(metrics, "oomdoctor_agent_exports_dropped_total"),
          metricSum(metrics, "oomdoctor_agent_exports_pending"),
          drainSec);
    }

    /** Removes the storm's CPU cgroup once its last process (a child being killed) is gone. */
    void removeCpuCgroup() throws InterruptedException {
      for (int i = 0; i < 100 && cpuCgroup != null; i++) {
        try {
          Files.deleteIfExists(cpuCgroup);
          cpuCgroup = null;
        } catch (IOException busy) {
          Thread.sleep(100);
        }
      }
      if (cpuCgroup != null) {
        System.out.println("storm: could not remove " + cpuCgroup);
      }
    }

    /** The kernel's count of OOM kills in a v1 memory cgroup (memory.oom_control). */
    static long oomKillCount(Path dir) throws IOException {
      for (String l : Files.readAllLines(dir.resolve("memory.oom_control"))) {
        if (l.startsWith("oom_kill ")) {
          return Long.parseLong(l.substring(9).trim());
        }
      }
      return 0;
    }
  }

  /** Creates and deletes {@code count} pods of the node, evenly over the minutes measured. */
  private static Thread churn(KubernetesClient client, int count, int minutes) {
    long gapMs = Math.max(1, TimeUnit.MINUTES.toMillis(minutes) / count);
    Thread t =
        new Thread(
            () -> {
              try {
                for (int i = 0; i < count && !Thread.currentThread().isInterrupted(); i++) {
                  var pod =
                      client
                          .resource(
                              new PodBuilder()
                                  .withNewMetadata()
                                  .withName("churn-" + i)
                                  .withNamespace("bench")
                                  .endMetadata()
                                  .withNewSpec()
                                  .withNodeName("bench-node")
                                  .addNewContainer()
                                  .withName("app")
                                  .endContainer()
                                  .endSpec()
                                  .build())
                          .create();
                  Thread.sleep(gapMs / 2);
                  client.resource(pod).delete();
                  Thread.sleep(gapMs - gapMs / 2);
                }
              } catch (InterruptedException e) {
                // the run is over
              } catch (RuntimeException e) {
                System.out.println("churn stopped: " + e);
              }
            },
            "pod-churn");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Removes the run's state directory (cursor, certificates, the agent's output). */
  private static void deleteTree(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /**
   * A short-lived container of its own that the kernel OOM-kills (32 MiB limit); returns its ID.
   */
  private static String oomKill(CgroupSandbox sandbox) throws Exception {
    String id = CgroupSandbox.containerId();
    Path dir = sandbox.cgroupfsContainer("burstable", CgroupSandbox.podUid(), id);
    sandbox.limit(dir, 32L << 20);
    sandbox
        .start(dir, List.of(RealKernel.memhog().toString(), "--interval-ms", "50"))
        .waitFor(30, TimeUnit.SECONDS);
    return id;
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
}
