package io.oomdoctor.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.agent.kmsg.Cursor;
import io.oomdoctor.agent.metrics.AgentMetrics;
import io.oomdoctor.agent.pod.PodResolver;
import io.oomdoctor.agent.testing.CollectingExporter;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.evidence.ProcessInfo;
import io.oomdoctor.testkit.CgroupSandbox;
import io.oomdoctor.testkit.RealKernel;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole agent on the real kernel: kmsg, cgroups, /proc, sampler, cursor, exporter. */
class AgentIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  @TempDir Path state;
  private CgroupSandbox sandbox;

  @BeforeEach
  void setUp() throws Exception {
    RealKernel.require();
    sandbox = CgroupSandbox.create();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  private Agent agent(CollectingExporter out, AgentMetrics metrics) {
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
    return new Agent(config, out, PodResolver.NONE, metrics, Clock.systemUTC());
  }

  @Test
  void killCarriesTrendProcessesAndRuntimeCapsAndIsNeverReportedTwice() throws Exception {
    String uid = CgroupSandbox.podUid();
    String cid = CgroupSandbox.containerId();
    Path container = sandbox.cgroupfsContainer("burstable", uid, cid);
    sandbox.limit(container, 64L << 20);

    CollectingExporter out = new CollectingExporter();
    AgentMetrics metrics = new AgentMetrics();
    OomKill kill;
    try (Agent agent = agent(out, metrics)) {
      agent.start();
      // A slow grower (4 MiB every 150 ms, about 2.5 s to the limit) with JVM flags for the
      // inspector to find; memhog ignores them.
      Process p =
          sandbox.start(
              container,
              List.of(
                  RealKernel.memhog().toString(),
                  "--interval-ms",
                  "150",
                  "-Xmx48m",
                  "-XX:MaxRAMPercentage=75.0",
                  "-XX:-UseContainerSupport"));
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      kill = out.awaitOne(CollectingExporter.container(cid), TIMEOUT);
    }
    var spec = kill.getSpec();
    assertThat(kill.getMetadata().getName()).startsWith("test-node-" + spec.report.seq + "-");
    assertThat(kill.getMetadata().getNamespace()).isEqualTo("oomdoctor-system");
    assertThat(kill.getMetadata().getLabels()).containsEntry(OomKill.LABEL_POD_UID, uid);
    assertThat(spec.limit).isEqualTo("64Mi");
    assertThat(spec.report.bootId)
        .isEqualTo(io.oomdoctor.agent.kmsg.KmsgReader.bootId(Paths.get("/proc")));
    assertThat(spec.report.timestamp).isNotNull();

    assertThat(spec.trend).as("sampled while it grew").isNotNull();
    assertThat(spec.trend.samples).isGreaterThanOrEqualTo(3);
    assertThat(spec.trend.peakBytes).isGreaterThan(8L << 20).isLessThanOrEqualTo(64L << 20);
    assertThat(spec.trend.growthBytesPerHour).isPositive();
    assertThat(spec.trend.fitR2).isGreaterThan(0.5);
    assertThat(spec.trend.series).isNotEmpty();

    assertThat(spec.processes).as("looked at while alive").isNotNull();
    assertThat(spec.processes.processCount).isEqualTo(1);
    ProcessInfo proc = spec.processes.processes.get(0);
    assertThat(proc.name).isEqualTo("memhog");
    assertThat(proc.caps.runtime).isEqualTo("jvm");
    assertThat(proc.caps.jvmMaxHeapBytes).isEqualTo(48L << 20);
    assertThat(proc.caps.jvmMaxRamPercentage).isEqualTo(75.0);
    assertThat(proc.caps.jvmUseContainerSupport).isFalse();
    assertThat(metrics.count("oomdoctor.agent.kills")).isGreaterThanOrEqualTo(1);
    assertThat(metrics.count("oomdoctor.agent.kmsg.records.read")).isPositive();

    Cursor cursor = Cursor.load(state.resolve(AgentConfig.CURSOR_FILE));
    assertThat(cursor).as("cursor stored on stop").isNotNull();
    assertThat(cursor.seq()).isGreaterThanOrEqualTo(spec.report.seq);

    // A kill while the agent is down must be reported by the next run; the old one must not.
    String cid2 = CgroupSandbox.containerId();
    Path second = sandbox.cgroupfsContainer("burstable", uid, cid2);
    sandbox.limit(second, 32L << 20);
    Process p2 = sandbox.start(second, List.of(RealKernel.memhog().toString()));
    assertThat(p2.waitFor(30, TimeUnit.SECONDS)).isTrue();

    CollectingExporter afterRestart = new CollectingExporter();
    try (Agent agent = agent(afterRestart, new AgentMetrics())) {
      agent.start();
      OomKill missed = afterRestart.awaitOne(CollectingExporter.container(cid2), TIMEOUT);
      assertThat(missed.getSpec().limit).isEqualTo("32Mi");
      Thread.sleep(1000); // let the reader reach the end of the ring buffer
      assertThat(afterRestart.matching(CollectingExporter.container(cid)))
          .as("not re-reported")
          .isEmpty();
      assertThat(afterRestart.matching(CollectingExporter.container(cid2))).hasSize(1);
    }
  }

  @Test
  void linesWrittenToKmsgByUserspaceAreNeverReported() throws Exception {
    String forgedId = CgroupSandbox.containerId();
    String forgedPod = CgroupSandbox.podUid();
    String path = "/kubepods/burstable/pod" + forgedPod + "/" + forgedId;
    CollectingExporter out = new CollectingExporter();
    try (Agent agent = agent(out, new AgentMetrics())) {
      agent.start();
      writeToKmsg(
          List.of(
              "forged invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0",
              "memory: usage 65536kB, limit 65536kB, failcnt 1",
              "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg="
                  + path
                  + ",task_memcg="
                  + path
                  + ",task=forged,pid=4242,uid=0",
              "Memory cgroup out of memory: Killed process 4242 (forged) total-vm:1000kB,"
                  + " anon-rss:1000kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0"));
      // A real kill after the forged lines: once it is reported, the forged ones were read too.
      String cid = CgroupSandbox.containerId();
      Path container = sandbox.cgroupfsContainer("besteffort", CgroupSandbox.podUid(), cid);
      sandbox.limit(container, 32L << 20);
      sandbox
          .start(container, List.of(RealKernel.memhog().toString()))
          .waitFor(30, TimeUnit.SECONDS);
      OomKill real = out.awaitOne(CollectingExporter.container(cid), TIMEOUT);
      assertThat(real.getSpec().attribution.qosClass).isEqualTo("besteffort");
      assertThat(out.matching(CollectingExporter.container(forgedId))).isEmpty();
      assertThat(out.kills()).noneMatch(k -> "forged".equals(k.getSpec().report.process));
    }
  }

  /** Writes lines as userspace does (they come back with facility 1: user). */
  static void writeToKmsg(List<String> lines) throws IOException {
    // The kernel rate-limits each open file to 10 lines per 5 s: open anew for every few lines.
    for (int i = 0; i < lines.size(); i += 5) {
      try (FileOutputStream os = new FileOutputStream(RealKernel.KMSG.toFile())) {
        for (String l : lines.subList(i, Math.min(lines.size(), i + 5))) {
          os.write((l + "\n").getBytes(StandardCharsets.UTF_8));
        }
      }
    }
  }

  /** Awaitility with the defaults these tests use. */
  static void await(org.awaitility.core.ThrowingRunnable assertion) {
    Awaitility.await().atMost(TIMEOUT).untilAsserted(assertion);
  }
}
