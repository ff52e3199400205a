package io.oomdoctor.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.agent.metrics.AgentMetrics;
import io.oomdoctor.agent.pod.PodResolver;
import io.oomdoctor.agent.testing.CollectingExporter;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.evidence.Repeats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real memory.oom.group kill (Debian 6.1, cgroup v2, from the kernel tier) replayed through the
 * agent: one OomKill with all its victims. The kill line that comes next — another container's OOM
 * kill, rate-limited to its line — looks like a member's, and must stay a kill of its own.
 */
class OomGroupTest {
  @TempDir Path dir;

  static final String GROUP =
      "/kubepods.slice/kubepods-burstable.slice/"
          + "kubepods-burstable-pod0a1b2c3d_0000_4000_8000_000000000006.slice/"
          + "cri-containerd-c000000000000000000000000000000000000000000000000000000000000006.scope";

  @Test
  void aGroupKillIsOneEventAndTheNextKillLineIsNotItsMember() throws Exception {
    // The captured `dmesg -r` lines as /dev/kmsg records.
    Pattern dmesg = Pattern.compile("^<(\\d+)>\\[\\s*(\\d+)\\.(\\d{6})\\] (.*)$");
    StringBuilder kmsg = new StringBuilder();
    long seq = 400;
    List<String> lines =
        Files.readAllLines(io.oomdoctor.testkit.Fixtures.of("kernel", "6.1-v2-oom-group.dmesg-r"));
    for (String l : lines) {
      Matcher m = dmesg.matcher(l);
      if (m.matches()) {
        kmsg.append(m.group(1)).append(',').append(seq++).append(',');
        kmsg.append(Long.parseLong(m.group(2)) * 1_000_000 + Long.parseLong(m.group(3)));
        kmsg.append(",-;").append(m.group(4)).append('\n');
      }
    }
    // Right after the group: pid 999 of a container elsewhere, its report rate-limited away.
    kmsg.append("3,")
        .append(seq)
        .append(",14940000,-;Memory cgroup out of memory: Killed process 999 (kt-group-a)")
        .append(" total-vm:4520kB, anon-rss:1108kB, file-rss:1080kB, shmem-rss:0kB, UID:0")
        .append(" pgtables:56kB oom_score_adj:0\n");
    Path file = dir.resolve("kmsg");
    Files.writeString(file, kmsg);
    Path cgroups = Files.createDirectories(dir.resolve("cgroup"));
    Files.writeString(cgroups.resolve("memory.usage_in_bytes"), "0\n");
    Files.createDirectories(cgroups.resolve(GROUP.substring(1)));
    AgentConfig config =
        new AgentConfig(
            "node-a",
            file,
            cgroups,
            cgroups,
            Files.createDirectories(dir.resolve("proc")),
            Duration.ofSeconds(10),
            Files.createDirectories(dir.resolve("state")),
            false,
            "oomdoctor-system");
    CollectingExporter out = new CollectingExporter();
    try (Agent agent =
        new Agent(config, out, PodResolver.NONE, new AgentMetrics(), Clock.systemUTC())) {
      agent.start();
      long last = seq;
      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> agent.safeSeq() >= last && out.kills().size() == 2);
    }
    List<OomKill> kills = out.kills();
    OomKill group = kills.stream().filter(k -> k.getSpec().report.pid == 232).findFirst().get();
    assertThat(group.getSpec().report.oomGroup).isEqualTo(GROUP);
    assertThat(Repeats.count(group.getSpec().repeats)).isEqualTo(3);
    assertThat(group.getSpec().repeats.pids).containsExactly(232, 229, 230);
    OomKill next = kills.stream().filter(k -> k.getSpec().report.pid == 999).findFirst().get();
    assertThat(next.getSpec().report.oomGroup).as("not in the first victim's task table").isNull();
    assertThat(next.getSpec().attribution.podUid).as("no /proc, no counter: unattributed").isNull();
  }
}
