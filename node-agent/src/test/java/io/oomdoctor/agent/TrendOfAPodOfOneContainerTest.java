package io.oomdoctor.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.agent.cgroup.CgroupTree;
import io.oomdoctor.agent.cgroup.MemorySampler;
import io.oomdoctor.model.OomKillSpec;
import io.oomdoctor.model.evidence.OomReport;
import io.oomdoctor.model.evidence.PodReference;
import io.oomdoctor.testkit.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A kill at a pod's limit: when that limit is the container's own (a pod of one container), the
 * container's samples are its trend — the pod's usage also holds what its dead containers left
 * charged, reclaimed while the new container grows, and sits at the limit. A pod-level limit over
 * several containers keeps the pod's trend. On a copy of the v1 fixture tree (real file formats).
 */
class TrendOfAPodOfOneContainerTest {
  static final long MI = 1L << 20;
  static final long T0 = 1_700_000_000_000L;
  static final String POD = "kubepods/burstable/pod5f0c6d1e-8a2b-4c3d-9e4f-a1b2c3d4e5f6";
  static final String CONTAINER =
      POD + "/0b1f4e6a9c2d8e7f5a3b1c9d0e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f";

  @TempDir Path root;

  private MemorySampler sampler;
  private CgroupTree tree;

  private void sample() throws IOException {
    Fixtures.copyTree(Fixtures.of("cgroup", "v1"), root);
    Files.createDirectories(root.resolve("proc"));
    tree = new CgroupTree(root, root);
    sampler = new MemorySampler(tree, null, 10, 0);
    for (int i = 0; i < 10; i++) {
      // the container leaks 8 MiB every 10 s; its pod sits at the 96Mi limit throughout
      usage(CONTAINER, 20 * MI + i * 8 * MI);
      usage(POD, 96 * MI);
      sampler.sampleOnce(T0 + i * 10_000L);
    }
  }

  private void usage(String cgroup, long bytes) throws IOException {
    Path dir = root.resolve(cgroup);
    Files.writeString(dir.resolve("memory.usage_in_bytes"), bytes + "\n");
    Files.writeString(dir.resolve("memory.stat"), "cache 0\nrss " + bytes + "\n");
  }

  private OomKillSpec killAtThePodsLimit(long containerLimit) {
    OomReport r = new OomReport();
    r.kind = OomReport.KIND_CGROUP;
    r.complete = true;
    r.pid = 4242;
    r.process = "app";
    r.taskMemcg = "/" + CONTAINER;
    r.oomMemcg = "/" + POD;
    r.limitKb = 96 * MI / 1024;
    r.usageKb = 96 * MI / 1024;
    r.timestamp = Instant.ofEpochMilli(T0 + 95_000).toString();
    EvidenceAssembler a =
        new EvidenceAssembler(
            "node-a",
            "oomdoctor-system",
            tree,
            sampler,
            (podUid, containerId) -> {
              PodReference p = new PodReference();
              p.namespace = "shop";
              p.name = "web-1";
              p.container = "app";
              p.containerLimitBytes = containerLimit;
              return p;
            },
            root.resolve("proc"));
    return a.assemble(r, T0 + 95_000).getSpec();
  }

  @Test
  void aPodOfOneContainerIsJudgedByTheContainersOwnSamples() throws IOException {
    sample();
    OomKillSpec spec = killAtThePodsLimit(96 * MI);
    assertThat(spec.attribution.limitScope).isEqualTo("pod");
    assertThat(spec.trend.growthBytesPerHour).isEqualTo(8 * MI * 360);
    assertThat(spec.trend.fitR2).isEqualTo(1.0);
  }

  @Test
  void aPodLevelLimitOverSeveralContainersKeepsThePodsTrend() throws IOException {
    sample();
    OomKillSpec spec = killAtThePodsLimit(64 * MI); // the pod's 96Mi is not the container's
    assertThat(spec.trend.growthBytesPerHour).isZero();
  }
}
