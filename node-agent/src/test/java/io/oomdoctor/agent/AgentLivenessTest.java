package io.oomdoctor.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.agent.metrics.AgentMetrics;
import io.oomdoctor.agent.pod.PodResolver;
import io.oomdoctor.agent.testing.CollectingExporter;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent whose sampler hangs (a cgroup file that never answers: here a named pipe in a fixture
 * tree) must say so on /healthz, so that the kubelet restarts it, instead of reporting ok while it
 * sees nothing.
 */
class AgentLivenessTest {
  @TempDir Path dir;

  @Test
  void aSamplerThatStopsMakingPassesFailsTheHealthCheck() throws Exception {
    Path cgroups = Files.createDirectories(dir.resolve("cgroup"));
    Files.writeString(cgroups.resolve("memory.usage_in_bytes"), "0\n");
    Path container =
        Files.createDirectories(
            cgroups.resolve(
                "kubepods/burstable/pod0a1b2c3d-0000-4000-8000-000000000001/" + "c".repeat(64)));
    for (String f : new String[] {"memory.stat", "cgroup.procs", "tasks"}) {
      Files.writeString(container.resolve(f), "0\n");
    }
    Path fifo = container.resolve("memory.usage_in_bytes");
    Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assertThat(mk.waitFor()).isZero();
    Path kmsg = Files.writeString(dir.resolve("kmsg"), "");
    AgentConfig config =
        new AgentConfig(
            "node-a",
            kmsg,
            cgroups,
            cgroups,
            Files.createDirectories(dir.resolve("proc")),
            Duration.ofMillis(100),
            null,
            false,
            "oomdoctor-system");
    Agent agent =
        new Agent(
            config,
            new CollectingExporter(),
            PodResolver.NONE,
            new AgentMetrics(),
            Clock.systemUTC());
    try {
      agent.passGrace(Duration.ofSeconds(1));
      assertThat(agent.liveProblem()).isNull();
      agent.start();
      String problem =
          Awaitility.await()
              .atMost(Duration.ofSeconds(20))
              .until(agent::liveProblem, p -> p != null);
      assertThat(problem).startsWith("no memory sampling pass for");
    } finally {
      // Let the blocked read end (and no later one block), so that no thread is left behind.
      try (OutputStream out = Files.newOutputStream(fifo)) {
        Files.delete(fifo);
        Files.writeString(fifo, "0\n");
        out.write("0\n".getBytes());
      } catch (java.io.IOException e) {
        // the reader took its end and went: nothing left blocked
      }
      agent.close();
    }
  }
}
