package io.oomdoctor.agent.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.agent.proc.ProcessInspector;
import io.oomdoctor.model.evidence.MemoryTrend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sampler on a copy of the v1 fixture tree whose files the test changes between passes. */
class MemorySamplerTest {
  static final long T0 = 1_700_000_000_000L;

  @TempDir Path root;

  private Path container;

  private MemorySampler sampler() throws IOException {
    Path src = CgroupReaderTest.V1;
    io.oomdoctor.testkit.Fixtures.copyTree(src, root);
    container = root.resolve(CgroupReaderTest.V1_CONTAINER);
    Files.writeString(container.resolve("cgroup.procs"), ProcessHandle.current().pid() + "\n");
    return new MemorySampler(
        new CgroupTree(root, root), new ProcessInspector(Paths.get("/proc"), false), 10, 0);
  }

  private void usage(long bytes, long inactiveFile) throws IOException {
    Files.writeString(container.resolve("memory.usage_in_bytes"), bytes + "\n");
    Files.writeString(
        container.resolve("memory.stat"),
        "cache 0\nrss " + bytes + "\ntotal_inactive_file " + inactiveFile + "\n");
  }

  @Test
  void samplesPodsAndContainersAndReadsMemoryStatOnlyEveryThirdPass() throws IOException {
    MemorySampler s = sampler();
    String kernelPath = "/any/prefix/" + CgroupReaderTest.V1_CONTAINER;
    usage(100L << 20, 10L << 20);
    assertThat(s.sampleOnce(T0))
        .as("pod, container, and the vanished pod's directory is skipped")
        .isEqualTo(2);
    usage(110L << 20, 50L << 20); // new inactive cache is not read on passes 1 and 2
    s.sampleOnce(T0 + 10_000);
    s.sampleOnce(T0 + 20_000);
    usage(120L << 20, 60L << 20);
    s.sampleOnce(T0 + 30_000); // pass 3 reads memory.stat again

    MemoryTrend t = s.trend(kernelPath, (T0 + 30_000) / 1000);
    assertThat(t.samples).isEqualTo(4);
    assertThat(t.peakBytes).isEqualTo(120L << 20);
    assertThat(t.growthBytesPerHour).isPositive();
    assertThat(s.processes(kernelPath).processCount)
        .as("the test's own JVM is the container's process")
        .isEqualTo(1);
    assertThat(s.processes(kernelPath).threadCount).isGreaterThan(1);
  }

  @Test
  void aVanishedCgroupKeepsItsHistoryForTheGracePeriod() throws IOException {
    MemorySampler s = sampler();
    String kernelPath = "/" + CgroupReaderTest.V1_CONTAINER;
    usage(100L << 20, 0);
    s.sampleOnce(T0);
    // The runtime removes the container's cgroup right after the kill.
    try (Stream<Path> files = Files.list(container)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.delete(f);
      }
    }
    Files.delete(container);
    s.sampleOnce(T0 + 10_000);
    assertThat(s.trend(kernelPath, T0 / 1000 + 10))
        .as("still there for the late kernel report")
        .isNotNull();
    s.sampleOnce(T0 + (MemorySampler.GRACE_SEC + 20) * 1000);
    assertThat(s.trend(kernelPath, T0 / 1000)).as("evicted after the grace period").isNull();
    assertThat(s.tracked()).isEqualTo(1); // the pod, still present
  }

  @Test
  void aPassInTheKillsSecondAfterTheKillIsNotTheContainersLastSample() throws IOException {
    MemorySampler s = sampler();
    usage(100L << 20, 0);
    s.sampleOnce(T0);
    usage(110L << 20, 0);
    s.sampleOnce(T0 + 10_000);
    usage(120L << 20, 0);
    s.sampleOnce(T0 + 20_000);
    // Killed at T0 + 30.1 s; the next pass, in the same second, finds the emptied cgroup.
    usage(1L << 20, 0);
    s.sampleOnce(T0 + 30_500);
    io.oomdoctor.model.evidence.OomReport r = new io.oomdoctor.model.evidence.OomReport();
    r.kind = io.oomdoctor.model.evidence.OomReport.KIND_CGROUP;
    r.complete = true;
    r.pid = 4242;
    r.taskMemcg = "/" + CgroupReaderTest.V1_CONTAINER;
    r.oomMemcg = r.taskMemcg;
    r.timestamp = java.time.Instant.ofEpochMilli(T0 + 30_100).toString();
    MemoryTrend t =
        new io.oomdoctor.agent.EvidenceAssembler(
                "node-a",
                "oomdoctor-system",
                new CgroupTree(root, root),
                s,
                io.oomdoctor.agent.pod.PodResolver.NONE,
                null)
            .assemble(r, T0 + 30_600)
            .getSpec()
            .trend;
    assertThat(t.lastBytes).as("the last sample before the kill").isEqualTo(120L << 20);
    assertThat(t.growthBytesPerHour).isPositive();
  }
}
