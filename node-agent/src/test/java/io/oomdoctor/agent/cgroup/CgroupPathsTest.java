package io.oomdoctor.agent.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.agent.cgroup.CgroupPathInfo.Level;
import org.junit.jupiter.api.Test;

class CgroupPathsTest {
  private static final String ID =
      "3aa524735953bba4ebc64dfd3f0080cb4ac9790f83675e0b77ff9414c0165df0";

  @Test
  void cgroupfsLayoutsOfEveryQosClassWithAnyPrefix() {
    var c =
        CgroupPaths.parse(
            "/sandbox/x/kubepods/burstable/pod8f3c2a4e-1b7d-4c9a-9e2f-5d6a7b8c9d01/" + ID);
    assertThat(c)
        .isEqualTo(
            new CgroupPathInfo(
                "8f3c2a4e-1b7d-4c9a-9e2f-5d6a7b8c9d01",
                ID,
                null,
                "burstable",
                "cgroupfs",
                Level.CONTAINER));
    assertThat(
            CgroupPaths.parse("/kubepods/pod8f3c2a4e-1b7d-4c9a-9e2f-5d6a7b8c9d01/" + ID).qosClass())
        .isEqualTo("guaranteed");
    assertThat(
            CgroupPaths.parse("kubepods/besteffort/pod8f3c2a4e-1b7d-4c9a-9e2f-5d6a7b8c9d01")
                .level())
        .isEqualTo(Level.POD);
    assertThat(
            CgroupPaths.parse(
                    "/kubepods/burstable/pod8f3c2a4e-1b7d-4c9a-9e2f-5d6a7b8c9d01/crio-" + ID)
                .runtime())
        .isEqualTo("cri-o");
    assertThat(CgroupPaths.parse("/kubepods/burstable").level()).isEqualTo(Level.NODE);
    assertThat(CgroupPaths.parse("/kubepods").level()).isEqualTo(Level.NODE);
  }

  @Test
  void systemdLayoutsAndRuntimes() {
    String pod =
        "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1d2e3f40_5a6b_4c7d_8e9f_0a1b2c3d4e5f.slice";
    var c = CgroupPaths.parse(pod + "/cri-containerd-" + ID + ".scope");
    assertThat(c.podUid()).isEqualTo("1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e5f");
    assertThat(c.qosClass()).isEqualTo("besteffort");
    assertThat(c.runtime()).isEqualTo("containerd");
    assertThat(c.driver()).isEqualTo("systemd");
    assertThat(CgroupPaths.parse(pod + "/crio-" + ID + ".scope").runtime()).isEqualTo("cri-o");
    assertThat(CgroupPaths.parse(pod + "/docker-" + ID + ".scope").runtime()).isEqualTo("docker");
    assertThat(CgroupPaths.parse(pod).level()).isEqualTo(Level.POD);
    assertThat(
            CgroupPaths.parse(
                    "/kubepods.slice/kubepods-pod1d2e3f40_5a6b_4c7d_8e9f_0a1b2c3d4e5f.slice/crio-"
                        + ID
                        + ".scope")
                .qosClass())
        .isEqualTo("guaranteed");
    assertThat(CgroupPaths.parse("/kubepods.slice").level()).isEqualTo(Level.NODE);
  }

  @Test
  void thingsOutsidePods() {
    assertThat(CgroupPaths.parse("/system.slice/kubelet.service")).isEqualTo(CgroupPathInfo.NONE);
    assertThat(CgroupPaths.parse("/")).isEqualTo(CgroupPathInfo.NONE);
    assertThat(CgroupPaths.parse(null)).isEqualTo(CgroupPathInfo.NONE);
    var docker = CgroupPaths.parse("/docker/" + ID);
    assertThat(docker.containerId()).isEqualTo(ID);
    assertThat(docker.runtime()).isEqualTo("docker");
    assertThat(docker.podUid()).isNull();
    assertThat(CgroupPaths.parse("/system.slice/docker-" + ID + ".scope").containerId())
        .isEqualTo(ID);
    assertThat(CgroupPaths.parse("/kubepods-not/pod1/x").level()).isEqualTo(Level.OUTSIDE);
  }

  @Test
  void keysStripTheHierarchyPrefix() {
    assertThat(CgroupTree.keyOf("/process_api/abc/oomdoctor-test/kubepods/burstable/podX/Y"))
        .isEqualTo("kubepods/burstable/podX/Y");
    assertThat(CgroupTree.keyOf("/a/kubepods.slice/kubepods-pod1.slice"))
        .isEqualTo("kubepods.slice/kubepods-pod1.slice");
    assertThat(CgroupTree.keyOf("/system.slice/foo.service")).isNull();
    assertThat(CgroupTree.keyOf("/x/kubepods")).isEqualTo("kubepods");
  }
}
