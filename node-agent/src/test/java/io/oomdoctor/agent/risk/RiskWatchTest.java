package io.oomdoctor.agent.risk;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.agent.cgroup.CgroupTree;
import io.oomdoctor.agent.cgroup.MemorySampler;
import io.oomdoctor.agent.metrics.AgentMetrics;
import io.oomdoctor.agent.pod.PodResolver;
import io.oomdoctor.agent.proc.ProcessInspector;
import io.oomdoctor.diagnosis.risk.RiskSettings;
import io.oomdoctor.diagnosis.risk.RiskText;
import io.oomdoctor.model.OomRisk;
import io.oomdoctor.model.evidence.PodReference;
import io.oomdoctor.testkit.JavaHog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The risk watch on a v1 fixture tree whose files the test changes between sampling passes (real
 * file formats), with settings of seconds instead of minutes: what it raises, renews and clears,
 * and what it never raises (page cache near the limit).
 */
class RiskWatchTest {
  static final Path V1 = io.oomdoctor.testkit.Fixtures.of("cgroup", "v1");
  static final String POD_UID = "5f0c6d1e-8a2b-4c3d-9e4f-a1b2c3d4e5f6";
  static final String CONTAINER_ID =
      "0b1f4e6a9c2d8e7f5a3b1c9d0e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f";
  static final String CONTAINER = "kubepods/burstable/pod" + POD_UID + "/" + CONTAINER_ID;
  static final long T0 = 1_700_000_000_000L;
  static final long MI = 1L << 20;

  /** 10 min sustain → 10 s, 1 h horizon → 60 s, fits of 5 s to 30 s, cleared after 5 s. */
  static final RiskSettings FAST = RiskSettings.defaults().compressed(60);

  @TempDir Path root;
  private Path container;
  private final List<OomRisk> reported = new ArrayList<>();
  private final AgentMetrics metrics = new AgentMetrics();
  private Process jvm;

  @AfterEach
  void stop() throws InterruptedException {
    if (jvm != null) {
      jvm.destroy();
      jvm.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private RiskWatch watch(long pid) throws IOException {
    io.oomdoctor.testkit.Fixtures.copyTree(V1, root);
    container = root.resolve(CONTAINER);
    Files.writeString(container.resolve("cgroup.procs"), pid + "\n");
    Files.writeString(container.resolve("memory.limit_in_bytes"), (100 * MI) + "\n");
    MemorySampler sampler =
        new MemorySampler(
            new CgroupTree(root, root), new ProcessInspector(Paths.get("/proc"), false), 1, 0);
    PodResolver pods =
        (uid, cid) -> {
          PodReference ref = new PodReference();
          ref.namespace = "shop";
          ref.name = "cart-7d9f";
          ref.uid = uid;
          ref.container = "cart";
          return ref;
        };
    RiskWatch w = new RiskWatch("node-a", sampler, pods, metrics, FAST);
    w.exporter(reported::add);
    this.sampler = sampler;
    return w;
  }

  private MemorySampler sampler;

  private void memory(long usage, long inactiveFile, long failcnt) throws IOException {
    Files.writeString(container.resolve("memory.usage_in_bytes"), usage + "\n");
    Files.writeString(
        container.resolve("memory.stat"),
        "cache "
            + inactiveFile
            + "\nrss "
            + (usage - inactiveFile)
            + "\ntotal_inactive_file "
            + inactiveFile
            + "\ntotal_shmem 0\n");
    Files.writeString(container.resolve("memory.failcnt"), failcnt + "\n");
  }

  private void pass(RiskWatch w, long sec) {
    sampler.sampleOnce(T0 + sec * 1000);
    w.pass(T0 + sec * 1000);
  }

  private List<OomRisk> of(String risk, String state) {
    return reported.stream()
        .filter(r -> r.getSpec().risk.equals(risk) && r.getSpec().state.equals(state))
        .toList();
  }

  @Test
  void aSteadyRiseIsSeenBeforeTheLimitThenSustainedThenClearedWhenItFalls() throws IOException {
    RiskWatch w = watch(ProcessHandle.current().pid());
    long sec = 0;
    // 40 MiB rising by 1 MiB a second: the limit (100 MiB) is in sight within the 60 s horizon.
    for (; sec < 12; sec++) {
      memory((40 + sec) * MI, 0, 0);
      pass(w, sec);
    }
    List<OomRisk> eta = of(OomRisk.LIMIT_IN_SIGHT, OomRisk.ACTIVE);
    assertThat(eta).as("a straight rise meets the limit within the horizon").isNotEmpty();
    OomRisk first = eta.get(0);
    assertThat(first.getSpec().etaSeconds).isBetween(40L, 62L);
    assertThat(first.getSpec().growthBytesPerHour).isBetween(3500 * MI, 3700 * MI);
    assertThat(first.getSpec().pod.name).isEqualTo("cart-7d9f");
    assertThat(first.getSpec().containerId).isEqualTo(CONTAINER_ID);
    assertThat(first.getMetadata().getNamespace()).isEqualTo("shop");
    assertThat(RiskText.message(first.getSpec()).orElseThrow())
        .contains("working set")
        .contains("the limit is reached in about");
    assertThat(metrics.scrape())
        .contains("oomdoctor_container_oom_eta_seconds{container=\"cart\",namespace=\"shop\"")
        .contains("oomdoctor_container_working_set_ratio{container=\"cart\"");

    // Flat at 95 MiB (95 %) for longer than the sustain window (10 s): near the limit.
    for (; sec < 42; sec++) {
      memory(95 * MI, 0, 0);
      pass(w, sec);
    }
    List<OomRisk> near = of(OomRisk.NEAR_LIMIT, OomRisk.ACTIVE);
    assertThat(near).isNotEmpty();
    assertThat(near.get(0).getSpec().sustainedSeconds).isGreaterThanOrEqualTo(10);
    assertThat(near.stream().map(r -> r.getSpec().occurrence).distinct().count())
        .as("renewed every renewEvery (10 s) while it lasts, its occurrence rising")
        .isGreaterThanOrEqualTo(2);
    assertThat(near.stream().map(r -> r.getMetadata().getName()).distinct())
        .as("one object per risk of a container")
        .hasSize(1);

    // Down to 30 %: both risks are cleared once the condition has not held for 5 s.
    for (; sec < 57; sec++) {
      memory(30 * MI, 0, 0);
      pass(w, sec);
    }
    assertThat(of(OomRisk.NEAR_LIMIT, OomRisk.CLEARED))
        .singleElement()
        .satisfies(r -> assertThat(r.getSpec().clearedBecause).isEqualTo("Subsided"));
    assertThat(of(OomRisk.LIMIT_IN_SIGHT, OomRisk.CLEARED)).isNotEmpty();
    List<Long> occurrences =
        reported.stream()
            .filter(r -> r.getSpec().risk.equals(OomRisk.LIMIT_IN_SIGHT))
            .filter(r -> r.getSpec().state.equals(OomRisk.ACTIVE))
            .map(r -> r.getSpec().occurrence)
            .toList();
    assertThat(occurrences)
        .as("a risk raised again after a clear goes on counting: each report is a new occurrence")
        .doesNotHaveDuplicates();
    assertThat(w.active()).isZero();
  }

  @Test
  void pageCacheNearTheLimitIsNoRisk() throws IOException {
    RiskWatch w = watch(ProcessHandle.current().pid());
    for (long sec = 0; sec < 40; sec++) {
      // 97 % used, 70 MiB of it inactive file cache the kernel reclaims first.
      memory(97 * MI, 70 * MI, sec * 3);
      pass(w, sec);
    }
    assertThat(reported).as("usage near the limit, working set at 27 %").isEmpty();
    assertThat(metrics.scrape())
        .contains(
            "oomdoctor_container_working_set_ratio{container=\"cart\",namespace=\"shop\","
                + "pod=\"cart-7d9f\"} 0.27");
  }

  @Test
  void v1FailcntRisingWithTheWorkingSetAtTheLimitIsPressure() throws IOException {
    RiskWatch w = watch(ProcessHandle.current().pid());
    for (long sec = 0; sec < 20; sec++) {
      memory(99 * MI, 5 * MI, sec * 40);
      pass(w, sec);
    }
    assertThat(of(OomRisk.PRESSURE, OomRisk.ACTIVE))
        .isNotEmpty()
        .first()
        .satisfies(r -> assertThat(r.getSpec().failcntRise).isPositive());
  }

  @Test
  void aContainerThatIsGoneClearsItsRisks() throws IOException {
    RiskWatch w = watch(ProcessHandle.current().pid());
    long sec = 0;
    for (; sec < 15; sec++) {
      memory(95 * MI, 0, 0);
      pass(w, sec);
    }
    assertThat(of(OomRisk.NEAR_LIMIT, OomRisk.ACTIVE)).isNotEmpty();
    try (Stream<Path> files = Files.list(container)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.delete(f);
      }
    }
    Files.delete(container);
    pass(w, sec);
    assertThat(of(OomRisk.NEAR_LIMIT, OomRisk.CLEARED))
        .singleElement()
        .satisfies(r -> assertThat(r.getSpec().clearedBecause).isEqualTo("ContainerGone"));
  }

  @Test
  void aJvmWhoseHeapCapFillsTheLimitIsMisconfiguredAtStartOnce() throws Exception {
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    jvm =
        new ProcessBuilder(
                java,
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                JavaHog.class.getName(),
                "heap",
                "0",
                "600000")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    RiskWatch w = watch(jvm.pid());
    for (long sec = 0; sec < 8; sec++) {
      memory(20 * MI, 0, 0);
      pass(w, sec);
    }
    List<OomRisk> m = of(OomRisk.MISCONFIGURED, OomRisk.ACTIVE);
    assertThat(m).as("reported once per container start").hasSize(1);
    assertThat(m.get(0).getSpec().caps.jvmMaxHeapBytes).isEqualTo(256 * MI);
    assertThat(RiskText.message(m.get(0).getSpec()).orElseThrow())
        .contains("256Mi")
        .contains("Set: -Xmx70m");
  }

  @Test
  void gaugesAreBoundedToTheHighestRatios() {
    java.util.Map<String, Double> many = new java.util.HashMap<>();
    for (int i = 0; i < 500; i++) {
      many.put("c" + i, i / 500.0);
    }
    assertThat(RiskWatch.top(many, false)).hasSize(RiskWatch.GAUGE_SERIES).containsKey("c499");
    assertThat(RiskWatch.top(many, true)).hasSize(RiskWatch.GAUGE_SERIES).containsKey("c0");
    assertThat(Duration.ofSeconds(1)).isPositive();
  }
}
