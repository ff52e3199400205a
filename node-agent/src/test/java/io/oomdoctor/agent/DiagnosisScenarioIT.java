package io.oomdoctor.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.agent.metrics.AgentMetrics;
import io.oomdoctor.agent.pod.PodResolver;
import io.oomdoctor.agent.testing.CollectingExporter;
import io.oomdoctor.diagnosis.Cause;
import io.oomdoctor.diagnosis.Diagnoser;
import io.oomdoctor.diagnosis.Diagnosis;
import io.oomdoctor.diagnosis.DiagnosisSettings;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.testkit.CgroupSandbox;
import io.oomdoctor.testkit.JavaHog;
import io.oomdoctor.testkit.RealKernel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The diagnosis of kills the kernel really makes here, from the evidence the agent really collects:
 * one scenario per cause the kernel can produce on this machine. Trend windows are compressed (a
 * leak is seen over seconds, not half an hour) so that each scenario takes seconds; the rules are
 * otherwise the production ones. Host OOM, page cache (clean cache is reclaimed before a memcg
 * OOM), unbounded caches and limits too low for hours of load are covered by the captured reports
 * in the diagnosis module's tests.
 */
class DiagnosisScenarioIT {
  static final long MI = 1L << 20;
  static final Duration TIMEOUT = Duration.ofSeconds(40);
  static final DiagnosisSettings COMPRESSED = DiagnosisSettings.DEFAULT.withWindows(4, 3, 600);

  @TempDir Path state;
  private CgroupSandbox sandbox;
  private Agent agent;
  private CollectingExporter out;
  private final List<Path> cleanup = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    RealKernel.require();
    sandbox = CgroupSandbox.create();
    out = new CollectingExporter();
    AgentConfig config =
        new AgentConfig(
            "test-node",
            RealKernel.KMSG,
            sandbox.root(),
            RealKernel.MEMORY_MOUNT,
            Paths.get("/proc"),
            Duration.ofMillis(200),
            state,
            false,
            "oomdoctor-system");
    agent = new Agent(config, out, PodResolver.NONE, new AgentMetrics(), Clock.systemUTC());
    agent.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (agent != null) {
      agent.close();
    }
    if (sandbox != null) {
      sandbox.close();
    }
    for (Path p : cleanup) {
      try (var files = Files.walk(p)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  private Diagnosis kill(Path container, String cid, List<String> argv) throws Exception {
    sandbox.start(container, argv);
    OomKill k = out.awaitOne(CollectingExporter.container(cid), TIMEOUT);
    Diagnosis d = new Diagnoser(COMPRESSED).diagnose(k.getSpec());
    System.out.println(cid.substring(0, 8) + " " + d.cause() + ": " + d.explain());
    return d;
  }

  private Path container(String cid, long limit) throws Exception {
    Path c = sandbox.cgroupfsContainer("burstable", CgroupSandbox.podUid(), cid);
    sandbox.limit(c, limit);
    return c;
  }

  static List<String> java(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of(args));
    return cmd;
  }

  static String testClasses() {
    return Paths.get(JavaHog.class.getProtectionDomain().getCodeSource().getLocation().getPath())
        .toString();
  }

  @Test
  void steadyGrowthIsALeakAndGetsOneBoundedRaise() throws Exception {
    String cid = CgroupSandbox.containerId();
    Diagnosis d =
        kill(
            container(cid, 64 * MI),
            cid,
            List.of(RealKernel.memhog().toString(), "--step-mb", "2", "--interval-ms", "150"));
    assertThat(d.cause()).isEqualTo(Cause.MemoryLeak);
    assertThat(d.primary().summary()).contains("until it reached the 64Mi limit: a leak");
    assertThat(d.primary().fix()).contains("only delays").contains("80Mi buys about");
    assertThat(d.primary().recommendedLimitBytes()).isEqualTo(80 * MI);
  }

  @Test
  void aFastRiseRightAfterStartIsAStartupSpike() throws Exception {
    String cid = CgroupSandbox.containerId();
    Diagnosis d =
        kill(
            container(cid, 64 * MI),
            cid,
            List.of(RealKernel.memhog().toString(), "--step-mb", "12", "--interval-ms", "250"));
    assertThat(d.cause()).isEqualTo(Cause.StartupSpike);
    assertThat(d.primary().summary()).contains("after the container started");
    assertThat(d.primary().fix()).contains("startup");
    // At least the usage at the kill plus headroom (80Mi); where the sampler saw it still rising
    // steadily, where that rise was heading (DemandEstimateTest); at most twice the limit plus
    // headroom.
    assertThat(d.primary().recommendedLimitBytes()).isBetween(80 * MI, 160 * MI);
  }

  @Test
  void aJvmWhoseHeapCapExceedsTheLimitGetsFlagsNotALimit() throws Exception {
    String cid = CgroupSandbox.containerId();
    Diagnosis d =
        kill(
            container(cid, 160 * MI),
            cid,
            java(
                "-Xmx512m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                testClasses(),
                JavaHog.class.getName(),
                "heap",
                "8",
                "20"));
    assertThat(d.cause()).isEqualTo(Cause.RuntimeCapMisconfigured);
    assertThat(d.primary().summary()).contains("512Mi").contains("160Mi");
    assertThat(d.primary().runtimeFlags()).containsEntry("-Xmx", "112m");
    assertThat(d.explain()).endsWith("Set: -Xmx112m.");
  }

  @Test
  void aJvmWithASmallHeapAndGrowingDirectMemoryIsNative() throws Exception {
    String cid = CgroupSandbox.containerId();
    Diagnosis d =
        kill(
            container(cid, 160 * MI),
            cid,
            java(
                "-Xmx32m",
                "-XX:MaxDirectMemorySize=1g",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                testClasses(),
                JavaHog.class.getName(),
                "direct",
                "8",
                "20"));
    assertThat(d.cause()).isEqualTo(Cause.NativeMemory);
    assertThat(d.primary().summary()).contains("32Mi");
    assertThat(d.primary().evidenceFor()).anyMatch(x -> x.contains("outside the heap"));
    assertThat(d.primary().fix()).containsIgnoringCase("MaxDirectMemorySize");
  }

  @Test
  void aWorkerKilledWhileTheMainProcessLivesIsASharedLimit() throws Exception {
    String cid = CgroupSandbox.containerId();
    Diagnosis d =
        kill(
            container(cid, 48 * MI),
            cid,
            List.of(
                RealKernel.memhog().toString(),
                "--child",
                "--name",
                "worker",
                "--interval-ms",
                "100"));
    assertThat(d.cause()).isEqualTo(Cause.SharedLimit);
    assertThat(d.primary().summary()).contains("worker");
    assertThat(d.primary().recommendedLimitBytes()).isNotNull();
  }

  @Test
  void workersStartedOneAfterAnotherEachFlatAreASharedLimitNotALeak() throws Exception {
    // A prefork server: a worker every 700 ms, each 4 MiB and flat. The container's total rises
    // steadily in steps — a leak to a look at the total alone.
    String cid = CgroupSandbox.containerId();
    Diagnosis d =
        kill(
            container(cid, 48 * MI),
            cid,
            List.of(
                RealKernel.memhog().toString(),
                "--workers-every-ms",
                "700",
                "--step-mb",
                "4",
                "--name",
                "worker"));
    assertThat(d.cause()).isEqualTo(Cause.SharedLimit);
    assertThat(d.primary().evidenceFor())
        .anyMatch(x -> x.contains("processes started during the") && x.contains("rise"));
    d.others().stream()
        .filter(o -> o.cause() == Cause.MemoryLeak)
        .forEach(
            leak ->
                assertThat(leak.evidenceAgainst())
                    .anyMatch(x -> x.contains("processes were added")));
  }

  @Test
  void aPodLevelLimitInTheSystemdLayoutIsNamedAsSuch() throws Exception {
    String cid = CgroupSandbox.containerId();
    Path container = sandbox.systemdContainer("burstable", CgroupSandbox.podUid(), cid);
    sandbox.limit(container.getParent(), 40 * MI);
    Diagnosis d =
        kill(
            container,
            cid,
            List.of(RealKernel.memhog().toString(), "--step-mb", "1", "--interval-ms", "150"));
    assertThat(d.cause()).isEqualTo(Cause.MemoryLeak);
    assertThat(d.primary().summary())
        .contains("40Mi limit")
        .contains("The limit hit was the pod's");
    assertThat(d.primary().recommendedLimitBytes()).isEqualTo(50 * MI);
  }

  @Test
  void tmpfsFillingTheLimitIsSharedMemory() throws Exception {
    String cid = CgroupSandbox.containerId();
    Path shm =
        Files.createDirectories(Paths.get("/dev/shm", "oomdoctor-test-" + UUID.randomUUID()));
    cleanup.add(shm);
    Diagnosis d =
        kill(
            container(cid, 48 * MI),
            cid,
            List.of(
                RealKernel.memhog().toString(),
                "--tmpfs-dir",
                shm.toString(),
                "--interval-ms",
                "100"));
    assertThat(d.cause()).isEqualTo(Cause.PageCacheOrShmem);
    assertThat(d.primary().summary()).contains("tmpfs");
    assertThat(d.primary().fix()).contains("sizeLimit");
    assertThat(d.primary().recommendedLimitBytes()).isEqualTo(60 * MI);
  }
}
