package io.oomdoctor.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.agent.metrics.AgentMetrics;
import io.oomdoctor.agent.pod.PodResolver;
import io.oomdoctor.agent.testing.CollectingExporter;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.evidence.Attribution;
import io.oomdoctor.model.evidence.Repeats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An OOM storm as the kernel logs it once it rate-limits its reports: only "Killed process" lines,
 * whose victims are reaped before the agent can read their /proc. The lines pile up while the
 * assembler is busy (held here until all are read). Every kill must come out counted, shared by the
 * containers' oom_kill counters, none lost however many lines one waiting kill can hold, and the
 * kernel-log cursor must move past all of them.
 */
class StormPoolTest {
  static final String POD = "0a1b2c3d-0000-4000-8000-0000000000";
  static final int LINES = 2_500;

  @TempDir Path dir;

  private Path container(Path root, String pod, char id) throws IOException {
    Path d =
        root.resolve("kubepods/burstable/pod" + POD + pod + "/" + String.valueOf(id).repeat(64));
    Files.createDirectories(d);
    for (String f :
        new String[] {"memory.usage_in_bytes", "memory.stat", "cgroup.procs", "tasks"}) {
      Files.writeString(d.resolve(f), "0\n");
    }
    kills(d, 0);
    return d;
  }

  private static void kills(Path d, long n) throws IOException {
    Files.writeString(
        d.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill " + n + "\n");
  }

  @Test
  void aPoolOfLoneLinesLargerThanOneWaitingKillIsSharedByTheCountersAndNothingIsLost()
      throws Exception {
    Path cgroups = Files.createDirectories(dir.resolve("cgroup"));
    Files.writeString(cgroups.resolve("memory.usage_in_bytes"), "0\n");
    Path a = container(cgroups, "01", 'a');
    Path b = container(cgroups, "02", 'b');
    StringBuilder log = new StringBuilder();
    long firstSeq = 1000;
    for (int i = 0; i < LINES; i++) {
      log.append("3,")
          .append(firstSeq + i)
          .append(',')
          .append(2_000_000_000L + i * 1000L)
          .append(",-;Memory cgroup out of memory: Killed process ")
          .append(20_000 + i)
          .append(" (worker) total-vm:20000kB, anon-rss:16384kB, file-rss:0kB,")
          .append(" shmem-rss:0kB, UID:0 pgtables:80kB oom_score_adj:0\n");
    }
    Path kmsg = dir.resolve("kmsg");
    Files.writeString(kmsg, log);
    Path proc = Files.createDirectories(dir.resolve("proc"));
    AgentConfig config =
        new AgentConfig(
            "node-a",
            kmsg,
            cgroups,
            cgroups,
            proc,
            Duration.ofSeconds(10),
            Files.createDirectories(dir.resolve("state")),
            false,
            "oomdoctor-system");
    CollectingExporter out = new CollectingExporter();
    CountDownLatch gate = new CountDownLatch(1);
    try (Agent agent =
        new Agent(config, out, PodResolver.NONE, new AgentMetrics(), Clock.systemUTC())) {
      agent.holdAssembly(gate);
      agent.start(); // the counters' baseline: no kill yet
      kills(a, 1_500);
      kills(b, 1_000);
      long last = firstSeq + LINES - 1;
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> agent.lastRecordSeq() == last);
      gate.countDown();
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> total(out) == LINES && agent.safeSeq() >= last);

      Map<String, Integer> byContainer = new HashMap<>();
      for (OomKill k : out.kills()) {
        Attribution at = k.getSpec().attribution;
        byContainer.merge(
            at.containerId == null ? "-" : at.containerId,
            Repeats.count(k.getSpec().repeats),
            Integer::sum);
        if (at.containerId != null) {
          assertThat(at.method).isEqualTo(Attribution.METHOD_COUNTER);
          assertThat(k.getSpec().report.pid).as("two counters rose: no line is named").isNull();
        }
      }
      assertThat(byContainer).containsEntry("a".repeat(64), 1_500);
      assertThat(byContainer).containsEntry("b".repeat(64), 1_000);
      assertThat(byContainer).doesNotContainKey("-");
      assertThat(out.kills().stream().map(k -> k.getMetadata().getName()).distinct().count())
          .as("every OomKill has a name of its own")
          .isEqualTo(out.kills().size());
    }
  }

  private static int total(CollectingExporter out) {
    return out.kills().stream().mapToInt(k -> Repeats.count(k.getSpec().repeats)).sum();
  }
}
