package io.oomdoctor.benchmarks;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomPolicy;
import io.oomdoctor.model.OomPolicySpec;
import io.oomdoctor.model.evidence.Attribution;
import io.oomdoctor.model.evidence.MemoryTrend;
import io.oomdoctor.model.evidence.OomReport;
import io.oomdoctor.model.evidence.OomTask;
import io.oomdoctor.model.evidence.PodReference;
import io.oomdoctor.operator.OomDoctorOperator;
import io.oomdoctor.operator.OperatorMetrics;
import io.oomdoctor.operator.OperatorSettings;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The operator as it ships (both reconcilers, their caches, the assessment of each kill against
 * live pods) over many OomKills and OomPolicies: the mock API server runs in a process of its own,
 * holding {@code --oomkills N} kills of realistic size (a 40-row task table, memory.stat, a trend)
 * of 100 pods per namespace and {@code --policies P} policies; the operator starts after them and
 * diagnoses every one. Reports the operator's heap after a full collection every 10 s (its live
 * data; the largest seen), and kills diagnosed per second, from start to the last.
 *
 * <p>Usage, from the repository root after {@code mvn -B package -DskipTests}: {@code java -Xmx512m
 * -cp benchmarks/target/benchmarks.jar io.oomdoctor.benchmarks.OperatorScale --oomkills N
 * [--policies P]}. The last line is {@code oomkills=N heap_max_mib=N reconcile_per_s=N}.
 */
public final class OperatorScale {
  static final int PODS_PER_NAMESPACE = 100;
  static final int KILLS_PER_NAMESPACE = 1000;

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--serve")) {
      serve();
      return;
    }
    int kills = 1000;
    int policies = 10;
    for (int i = 0; i < args.length; i += 2) {
      switch (args[i]) {
        case "--oomkills" -> kills = Integer.parseInt(args[i + 1]);
        case "--policies" -> policies = Integer.parseInt(args[i + 1]);
        default -> {
          System.err.println("OperatorScale: unknown option " + args[i]);
          System.exit(2);
        }
      }
    }
    Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
    Process server =
        new ProcessBuilder(
                java.toString(),
                "-Xmx12g",
                "-cp",
                System.getProperty("java.class.path"),
                OperatorScale.class.getName(),
                "--serve")
            .redirectErrorStream(true)
            .start();
    try {
      String url = readUrl(server.getInputStream());
      KubernetesClient client =
          new KubernetesClientBuilder()
              .withConfig(
                  new io.fabric8.kubernetes.client.ConfigBuilder()
                      .withMasterUrl(url)
                      .withTrustCerts(true)
                      .withRequestTimeout(60_000)
                      .build())
              .build();
      int namespaces = Math.max(1, (kills + KILLS_PER_NAMESPACE - 1) / KILLS_PER_NAMESPACE);
      long t0 = System.nanoTime();
      populate(client, kills, policies, namespaces);
      System.out.printf(
          "%d OomKills in %d namespaces, %d OomPolicies created in %.0f s%n",
          kills, namespaces, policies, (System.nanoTime() - t0) / 1e9);

      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      HeapWatch heap = new HeapWatch();
      System.gc();
      long start = System.nanoTime();
      try (OomDoctorOperator operator =
          new OomDoctorOperator(
                  client,
                  OperatorSettings.defaults().withApplyEnabled(true),
                  new OperatorMetrics(registry),
                  Clock.systemUTC(),
                  null,
                  false)
              .start()) {
        double done = 0;
        long deadline = start + TimeUnit.MINUTES.toNanos(60);
        int tick = 0;
        while (done < kills && System.nanoTime() < deadline) {
          Thread.sleep(1000);
          if (++tick % 10 == 0) {
            // A full collection every 10 s, so that what is sampled is what is live (G1 keeps
            // garbage in the old generation until it needs the room).
            System.gc();
            heap.sample();
            System.out.printf(
                "%d s: %.0f kills diagnosed, heap %.0f MiB live%n", tick, done, heap.lastMib());
          }
          done =
              registry.find("oomdoctor_kills").counters().stream()
                  .mapToDouble(c -> c.count())
                  .sum();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("%.0f kills diagnosed in %.1f s%n", done, seconds);
        System.out.printf(
            "oomkills=%d heap_max_mib=%d reconcile_per_s=%d%n",
            kills, Math.round(heap.maxMib()), Math.round(done / seconds));
      }
      client.close();
    } finally {
      server.destroy();
      server.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static String readUrl(InputStream out) throws Exception {
    BufferedReader r = new BufferedReader(new InputStreamReader(out, StandardCharsets.UTF_8));
    String line;
    while ((line = r.readLine()) != null) {
      if (line.startsWith("URL ")) {
        String url = line.substring(4);
        Thread drain =
            new Thread(
                () -> {
                  try {
                    while (r.readLine() != null) {
                      // the server's own log: not needed
                    }
                  } catch (java.io.IOException e) {
                    // the server ended
                  }
                });
        drain.setDaemon(true);
        drain.start();
        return url;
      }
    }
    throw new IllegalStateException("the API server process ended before it listened");
  }

  /** The mock API server, with both CRDs, until the parent ends this process. */
  static void serve() throws Exception {
    java.util.logging.Logger.getLogger("io.fabric8.mockwebserver")
        .setLevel(java.util.logging.Level.WARNING);
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new IndexedCrudDispatcher(),
            false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    KubernetesClient client = server.createClient();
    io.oomdoctor.testkit.MockApiServer.registerCrds(client);
    System.out.println("URL " + client.getMasterUrl());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }

  /** Pods, one policy per namespace first, then the OomKills of those pods, in parallel. */
  private static void populate(KubernetesClient client, int kills, int policies, int namespaces)
      throws Exception {
    List<List<io.fabric8.kubernetes.api.model.Pod>> pods = new ArrayList<>();
    for (int n = 0; n < namespaces; n++) {
      String ns = "ns-" + n;
      List<io.fabric8.kubernetes.api.model.Pod> these = new ArrayList<>();
      for (int p = 0; p < PODS_PER_NAMESPACE; p++) {
        these.add(
            client
                .pods()
                .inNamespace(ns)
                .resource(
                    new PodBuilder()
                        .withNewMetadata()
                        .withName("app-" + p)
                        .withNamespace(ns)
                        .addToLabels("app", "app-" + (p % 10))
                        .endMetadata()
                        .withNewSpec()
                        .withNodeName("node-" + (p % 10))
                        .addNewContainer()
                        .withName("app")
                        .endContainer()
                        .endSpec()
                        .withNewStatus()
                        .addNewContainerStatus()
                        .withName("app")
                        .withContainerID(
                            "containerd://" + "c".repeat(60) + String.format("%04d", p))
                        .endContainerStatus()
                        .endStatus()
                        .build())
                .create());
      }
      pods.add(these);
    }
    for (int i = 0; i < policies; i++) {
      OomPolicy policy = new OomPolicy();
      policy.getMetadata().setName("policy-" + i);
      policy.getMetadata().setNamespace("ns-" + (i % namespaces));
      OomPolicySpec spec = new OomPolicySpec();
      spec.mode = OomPolicySpec.Mode.Recommend;
      spec.selector = new io.oomdoctor.model.PodSelector();
      spec.selector.matchLabels = Map.of("app", "app-" + (i / namespaces % 10));
      policy.setSpec(spec);
      client.resource(policy).create();
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    AtomicInteger made = new AtomicInteger();
    for (int k = 0; k < kills; k++) {
      int n = k / KILLS_PER_NAMESPACE;
      var pod = pods.get(n).get(k % PODS_PER_NAMESPACE);
      int seq = k;
      pool.execute(
          () -> {
            client.resource(kill(pod, seq)).create();
            made.incrementAndGet();
          });
    }
    pool.shutdown();
    pool.awaitTermination(2, TimeUnit.HOURS);
  }

  /** An OomKill as the agent writes it, of realistic size. */
  static OomKill kill(io.fabric8.kubernetes.api.model.Pod pod, int seq) {
    OomKill k = new OomKill();
    String node = pod.getSpec().getNodeName();
    k.getMetadata().setName(node + "-" + seq + "-" + UUID.randomUUID().toString().substring(0, 8));
    k.getMetadata().setNamespace(pod.getMetadata().getNamespace());
    k.getMetadata().setLabels(Map.of(OomKill.LABEL_NODE, node));
    var spec = new io.oomdoctor.model.OomKillSpec();
    spec.nodeName = node;
    spec.limit = "256Mi";
    OomReport r = new OomReport();
    r.kind = OomReport.KIND_CGROUP;
    r.complete = true;
    r.seq = (long) seq;
    r.pid = 1000 + seq % 30000;
    r.process = "app";
    r.constraint = "CONSTRAINT_MEMCG";
    r.usageKb = 262144L;
    r.limitKb = 262144L;
    r.anonRssKb = 250000L;
    for (String stat : List.of("anon", "file", "kernel", "shmem", "sock", "slab", "pgfault")) {
      for (int i = 0; i < 8; i++) {
        r.memcgStats().put(stat + "_" + i, 123456789L + i);
      }
    }
    for (int t = 0; t < 40; t++) {
      OomTask task = new OomTask();
      task.pid = r.pid + t;
      task.name = "worker-" + t;
      task.rssPages = 1500L + t;
      r.tasks().add(task);
    }
    spec.report = r;
    Attribution a = new Attribution();
    a.podUid = pod.getMetadata().getUid();
    String cid = pod.getStatus().getContainerStatuses().get(0).getContainerID().substring(13);
    a.containerId = cid;
    a.limitScope = "container";
    a.method = Attribution.METHOD_REPORT_PATH;
    spec.attribution = a;
    PodReference ref = new PodReference();
    ref.namespace = pod.getMetadata().getNamespace();
    ref.name = pod.getMetadata().getName();
    ref.uid = pod.getMetadata().getUid();
    ref.container = "app";
    ref.labels = pod.getMetadata().getLabels();
    ref.containerLimitBytes = 256L << 20;
    spec.pod = ref;
    MemoryTrend trend = new MemoryTrend();
    trend.peakBytes = 256L << 20;
    trend.lastBytes = 250L << 20;
    trend.samples = 360;
    trend.series = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      trend.series.add(List.of(1_700_000_000L + i * 60, (200L + i) << 20));
    }
    spec.trend = trend;
    k.setSpec(spec);
    return k;
  }

  /** The heap's occupancy right after each collection, the largest seen. */
  static final class HeapWatch {
    private final List<MemoryPoolMXBean> heap = new ArrayList<>();

    HeapWatch() {
      for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
        if (p.getType() == MemoryType.HEAP && p.isCollectionUsageThresholdSupported()) {
          p.resetPeakUsage();
          heap.add(p);
        }
      }
    }

    private long max;

    /** Takes the heap's occupancy after the latest collections (every pool's). */
    void sample() {
      long bytes = 0;
      for (MemoryPoolMXBean p : heap) {
        var after = p.getCollectionUsage();
        bytes += after == null ? 0 : after.getUsed();
      }
      last = bytes;
      max = Math.max(max, bytes);
    }

    private long last;

    double maxMib() {
      System.gc();
      sample();
      return max / 1048576.0;
    }

    double lastMib() {
      return last / 1048576.0;
    }
  }
}
