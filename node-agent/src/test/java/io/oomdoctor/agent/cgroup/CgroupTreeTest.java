package io.oomdoctor.agent.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Walks of a kubelet tree (cgroupfs and systemd layouts) as pods come and go between passes. */
class CgroupTreeTest {
  static final String UID_A = "0a1b2c3d-0000-4000-8000-00000000000a";
  static final String UID_B = "0a1b2c3d-0000-4000-8000-00000000000b";
  static final String CID_1 = "1".repeat(64);
  static final String CID_2 = "2".repeat(64);

  @TempDir Path root;

  private static Path cgroup(Path dir) throws Exception {
    Files.createDirectories(dir);
    for (String f : List.of("memory.usage_in_bytes", "memory.stat", "cgroup.procs", "tasks")) {
      Files.writeString(dir.resolve(f), "0\n");
    }
    return dir;
  }

  private static List<String> keys(CgroupTree tree) {
    return tree.walk().stream().map(CgroupTree.Entry::key).toList();
  }

  @Test
  void podsBeforeTheirContainersAndChangesSeenOnTheNextWalk() throws Exception {
    Path podA = cgroup(root.resolve("kubepods/burstable/pod" + UID_A));
    cgroup(podA.resolve(CID_1));
    cgroup(root.resolve("kubepods/besteffort"));
    CgroupTree tree = new CgroupTree(root, root);
    assertThat(keys(tree))
        .containsExactly(
            "kubepods/burstable/pod" + UID_A, "kubepods/burstable/pod" + UID_A + "/" + CID_1);
    CgroupTree.Entry container = tree.walk().get(1);
    assertThat(container.info().containerId()).isEqualTo(CID_1);
    assertThat(container.info().qosClass()).isEqualTo("burstable");
    assertThat(container.dir()).isEqualTo(podA.resolve(CID_1));

    // The container restarts under a new ID; another pod starts.
    Files.walk(podA.resolve(CID_1))
        .sorted(java.util.Comparator.reverseOrder())
        .forEach(p -> p.toFile().delete());
    cgroup(podA.resolve(CID_2));
    Path podB = cgroup(root.resolve("kubepods/besteffort/pod" + UID_B));
    assertThat(keys(tree))
        .containsExactlyInAnyOrder(
            "kubepods/burstable/pod" + UID_A,
            "kubepods/burstable/pod" + UID_A + "/" + CID_2,
            "kubepods/besteffort/pod" + UID_B);
    Files.walk(podB).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    assertThat(keys(tree)).hasSize(2);
  }

  @Test
  void systemdLayoutWithContainerScopes() throws Exception {
    String uid = UID_A.replace('-', '_');
    Path pod =
        cgroup(
            root.resolve(
                "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uid + ".slice"));
    cgroup(pod.resolve("cri-containerd-" + CID_1 + ".scope"));
    List<CgroupTree.Entry> entries = new CgroupTree(root, root).walk();
    assertThat(entries).hasSize(2);
    assertThat(entries.get(0).info().podUid()).isEqualTo(UID_A);
    assertThat(entries.get(1).info().runtime()).isEqualTo("containerd");
    assertThat(entries.get(1).info().driver()).isEqualTo("systemd");
  }
}
