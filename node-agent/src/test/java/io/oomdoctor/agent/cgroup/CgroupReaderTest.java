package io.oomdoctor.agent.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.model.evidence.CgroupSnapshot;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The v1 and v2 readers on fixture trees of the real file formats. */
class CgroupReaderTest {
  static final Path V1 = io.oomdoctor.testkit.Fixtures.of("cgroup", "v1");
  static final Path V2 = io.oomdoctor.testkit.Fixtures.of("cgroup", "v2");
  static final String V1_POD = "kubepods/burstable/pod5f0c6d1e-8a2b-4c3d-9e4f-a1b2c3d4e5f6";
  static final String V1_CONTAINER =
      V1_POD + "/0b1f4e6a9c2d8e7f5a3b1c9d0e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f";
  static final String V2_POD =
      "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod9e8d7c6b_5a49_4382_9170_6f5e4d3c2b1a.slice";
  static final String V2_CONTAINER =
      V2_POD
          + "/cri-containerd-aa11bb22cc33dd44ee55ff6600112233445566778899aabbccddeeff00112233.scope";
  static final String V2_OLD =
      V2_POD
          + "/cri-containerd-ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100.scope";

  @Test
  void detectsTheVersionFromTheRootFiles() {
    assertThat(CgroupReader.detect(V1).version()).isEqualTo(1);
    assertThat(CgroupReader.detect(V2).version()).isEqualTo(2);
  }

  @Test
  void v1ContainerAndUnlimitedPod() {
    CgroupReader r = new CgroupV1Reader();
    CgroupSnapshot c = r.snapshot(V1.resolve(V1_CONTAINER)).orElseThrow();
    assertThat(c.version).isEqualTo(1);
    assertThat(c.limitBytes).isEqualTo(128L << 20);
    assertThat(c.usageBytes).isGreaterThan(20L << 20);
    assertThat(c.peakBytes).isGreaterThanOrEqualTo(c.usageBytes);
    assertThat(c.failcnt).isEqualTo(0);
    assertThat(c.oomKills).isEqualTo(0);
    assertThat(r.oomKills(V1.resolve(V1_CONTAINER))).isEqualTo(0);
    assertThat(c.stats)
        .containsKeys("rss", "cache", "total_inactive_file", "hierarchical_memory_limit");
    assertThat(r.pids(V1.resolve(V1_CONTAINER))).containsExactly(4242);
    CgroupSnapshot pod = r.snapshot(V1.resolve(V1_POD)).orElseThrow();
    assertThat(pod.limitBytes).as("9223372036854771712 is no limit").isNull();
    Path dir = V1.resolve(V1_CONTAINER);
    assertThat(r.usage(dir)).isEqualTo(c.usageBytes);
    assertThat(r.usage(dir) - r.inactiveFile(dir))
        .isEqualTo(c.usageBytes - c.stats.get("total_inactive_file"));
  }

  @Test
  void v1VanishedAndMissingCgroupsAreNormal() {
    CgroupReader r = new CgroupV1Reader();
    Path gone = V1.resolve("kubepods/besteffort/pod7a7a7a7a-1111-2222-3333-444444444444");
    CgroupSnapshot s = r.snapshot(gone).orElseThrow(); // the directory is there, its files are not
    assertThat(s.usageBytes).isNull();
    assertThat(s.limitBytes).isNull();
    assertThat(r.usage(gone)).as("gone").isEqualTo(-1);
    assertThat(r.snapshot(V1.resolve("kubepods/nope"))).isEmpty();
    assertThat(r.pids(V1.resolve("kubepods/nope"))).isEmpty();
    assertThat(r.oomKills(gone)).isNull();
  }

  @Test
  void v2ContainerWithEvents() {
    CgroupReader r = new CgroupV2Reader();
    CgroupSnapshot c = r.snapshot(V2.resolve(V2_CONTAINER)).orElseThrow();
    assertThat(c.version).isEqualTo(2);
    assertThat(c.limitBytes).isEqualTo(104857600L);
    assertThat(c.usageBytes).isEqualTo(101642240L);
    assertThat(c.peakBytes).isEqualTo(104857600L);
    assertThat(c.failcnt).isEqualTo(6402);
    assertThat(c.oomEvents).isEqualTo(3);
    assertThat(c.oomKills).isEqualTo(2);
    assertThat(c.oomGroupKills).isEqualTo(0);
    assertThat(r.oomKills(V2.resolve(V2_CONTAINER))).isEqualTo(2);
    assertThat(c.swapBytes).isEqualTo(0);
    assertThat(c.stats)
        .containsEntry("anon", 98742272L)
        .containsEntry("shmem", 2297856L)
        .hasSize(33);
    assertThat(r.pids(V2.resolve(V2_CONTAINER))).containsExactly(181537, 181574, 181575);
    Path dir = V2.resolve(V2_CONTAINER);
    assertThat(new long[] {r.usage(dir), r.usage(dir) - r.inactiveFile(dir)})
        .containsExactly(101642240L, 101642240L - 86016);
  }

  @Test
  void v2MaxMeansUnlimitedAndOldKernelsLackPeakAndTruncatedStatKeepsWhatIsWhole() {
    CgroupReader r = new CgroupV2Reader();
    CgroupSnapshot c = r.snapshot(V2.resolve(V2_OLD)).orElseThrow();
    assertThat(c.limitBytes).isNull();
    assertThat(c.peakBytes).isNull();
    assertThat(c.swapBytes).isNull();
    assertThat(c.stats).containsOnlyKeys("anon", "file", "inactive_file");
    assertThat(r.pids(V2.resolve(V2_OLD))).isEmpty();
  }

  @Test
  void walkFindsPodsAndContainersOfBothDrivers() {
    List<CgroupTree.Entry> v1 = new CgroupTree(V1, V1).walk();
    assertThat(v1)
        .extracting(CgroupTree.Entry::key)
        .containsExactlyInAnyOrder(
            V1_POD, V1_CONTAINER, "kubepods/besteffort/pod7a7a7a7a-1111-2222-3333-444444444444");
    List<CgroupTree.Entry> v2 = new CgroupTree(V2, V2).walk();
    assertThat(v2)
        .extracting(CgroupTree.Entry::key)
        .containsExactlyInAnyOrder(V2_POD, V2_CONTAINER, V2_OLD);
    assertThat(v2).filteredOn(CgroupTree::isContainer).hasSize(2);
    CgroupTree tree = new CgroupTree(V2, Paths.get("/sys/fs/cgroup"));
    assertThat(tree.resolveKernelPath("/some/prefix/" + V2_CONTAINER))
        .isEqualTo(V2.resolve(V2_CONTAINER));
    assertThat(tree.resolveKernelPath("/system.slice/x.service"))
        .isEqualTo(Paths.get("/sys/fs/cgroup/system.slice/x.service"));
  }

  @Test
  void theFiguresOfBothVersionsInOneLook() {
    CgroupFigures v1 = new CgroupV1Reader().figures(V1.resolve(V1_CONTAINER));
    assertThat(v1.limitBytes()).isEqualTo(128L << 20);
    assertThat(v1.failcnt()).isEqualTo(0);
    assertThat(v1.pressureSomeAvg60()).as("v1 has no PSI").isNull();
    assertThat(new CgroupV1Reader().figures(V1.resolve(V1_POD)).limitBytes())
        .as("unlimited")
        .isEqualTo(-1);
    CgroupFigures v2 = new CgroupV2Reader().figures(V2.resolve(V2_CONTAINER));
    assertThat(v2.limitBytes()).isEqualTo(104857600L);
    assertThat(v2.inactiveFileBytes()).isEqualTo(86016L);
    assertThat(v2.shmemBytes()).isEqualTo(2297856L);
    assertThat(v2.pressureSomeAvg60()).isEqualTo(12.5);
    assertThat(v2.failcnt()).isNull();
    CgroupFigures gone = new CgroupV2Reader().figures(V2.resolve("no-such-cgroup"));
    assertThat(gone.limitBytes()).isEqualTo(-1);
    assertThat(gone.pressureSomeAvg60()).isNull();
  }

  @Test
  void garbledPressureIsUnknownNotAFigure(@org.junit.jupiter.api.io.TempDir Path dir)
      throws java.io.IOException {
    for (String text :
        new String[] {
          "",
          "some avg10=1.00",
          "some avg10=1.00 avg60=NaN avg300=0 total=1",
          "full avg60=50.00\n",
          "some avg10=1.00 avg60=-4 avg300=0 total=1"
        }) {
      java.nio.file.Files.writeString(dir.resolve("memory.pressure"), text);
      assertThat(CgroupFiles.pressureSomeAvg60(dir.resolve("memory.pressure"))).as(text).isNull();
    }
    java.nio.file.Files.writeString(
        dir.resolve("memory.pressure"), "some avg10=0.00 avg60=250.00 avg300=0.00 total=1\n");
    assertThat(CgroupFiles.pressureSomeAvg60(dir.resolve("memory.pressure"))).isEqualTo(100.0);
  }
}
