package io.oomdoctor.agent.trust;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.agent.Agent;
import io.oomdoctor.agent.AgentConfig;
import io.oomdoctor.agent.kmsg.Cursor;
import io.oomdoctor.agent.kmsg.KmsgReader;
import io.oomdoctor.agent.metrics.AgentMetrics;
import io.oomdoctor.agent.pod.PodResolver;
import io.oomdoctor.agent.testing.CollectingExporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A kernel-log cursor says "everything up to seq N of boot B is handled". Without a readable boot
 * id, a stored cursor may be another boot's, and trusting it would skip that boot's kills: no
 * cursor is trusted or stored then.
 */
class BootIdTest {
  @TempDir Path dir;

  @Test
  void anUnreadableOrForgedBootIdIsNoBootId() throws Exception {
    Path proc = Files.createDirectories(dir.resolve("proc/sys/kernel/random"));
    assertThat(KmsgReader.bootId(dir.resolve("proc"))).isNull();
    Files.writeString(proc.resolve("boot_id"), "unknown\n");
    assertThat(KmsgReader.bootId(dir.resolve("proc"))).isNull();
    Files.writeString(proc.resolve("boot_id"), "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9\n");
    assertThat(KmsgReader.bootId(dir.resolve("proc")))
        .isEqualTo("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9");
  }

  @Test
  void withoutABootIdNoCursorIsTrustedOrStored() throws Exception {
    Path kmsg = dir.resolve("kmsg");
    Files.copy(
        io.oomdoctor.testkit.Fixtures.of("kernel", "6.18-v1-cgroupfs-container-limit.kmsg"), kmsg);
    Path cgroups = Files.createDirectories(dir.resolve("cgroup"));
    Files.writeString(cgroups.resolve("memory.usage_in_bytes"), "0\n");
    Path state = Files.createDirectories(dir.resolve("state"));
    Path cursorFile = state.resolve(AgentConfig.CURSOR_FILE);
    // What an agent of an earlier version stored when it could not read the boot id either.
    new Cursor("unknown", 10_000).store(cursorFile);
    String before = Files.readString(cursorFile);

    CollectingExporter out = new CollectingExporter();
    AgentConfig config =
        new AgentConfig(
            "node-a",
            kmsg,
            cgroups,
            cgroups,
            Files.createDirectories(dir.resolve("proc")),
            Duration.ofMillis(100),
            state,
            false,
            "oomdoctor-system");
    try (Agent agent =
        new Agent(config, out, PodResolver.NONE, new AgentMetrics(), Clock.systemUTC())) {
      agent.start();
      var kill =
          out.awaitOne(
              k -> Long.valueOf(501).equals(k.getSpec().report.seq), Duration.ofSeconds(20));
      assertThat(kill.getSpec().report.process).isEqualTo("alloc");
      assertThat(kill.getSpec().report.bootId).startsWith("unreadable-");
    }
    assertThat(Files.readString(cursorFile)).as("no cursor stored").isEqualTo(before);
  }
}
