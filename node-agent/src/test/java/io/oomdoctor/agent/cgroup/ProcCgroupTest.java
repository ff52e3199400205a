package io.oomdoctor.agent.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /proc/PID/cgroup as v1, v2 and hybrid hosts write it. */
class ProcCgroupTest {
  @TempDir Path proc;

  private void write(String pid, String text) throws Exception {
    Files.createDirectories(proc.resolve(pid));
    Files.writeString(proc.resolve(pid).resolve("cgroup"), text);
  }

  @Test
  void theMemoryHierarchyWinsWhereverItsLineIs() throws Exception {
    write("7", "0::/user.slice\n9:name=systemd:/\n4:memory:/kubepods/burstable/podx/abc\n");
    assertThat(ProcCgroup.memoryPath(proc, "7")).isEqualTo("/kubepods/burstable/podx/abc");
    write("8", "5:cpu,cpuacct:/a\n3:memory,hugetlb:/kubepods/pody/def\n");
    assertThat(ProcCgroup.memoryPath(proc, "8")).isEqualTo("/kubepods/pody/def");
    assertThat(ProcCgroup.memoryDir(proc, "8", Path.of("/sys/fs/cgroup/memory")))
        .isEqualTo(Path.of("/sys/fs/cgroup/memory/kubepods/pody/def"));
  }

  @Test
  void cgroupV2UsesTheUnifiedLineAndAGoneProcessHasNone() throws Exception {
    write("9", "0::/kubepods.slice/kubepods-podz.slice/cri-containerd-1.scope\n");
    assertThat(ProcCgroup.memoryPath(proc, "9"))
        .isEqualTo("/kubepods.slice/kubepods-podz.slice/cri-containerd-1.scope");
    write("10", "0::/\n");
    assertThat(ProcCgroup.memoryDir(proc, "10", Path.of("/sys/fs/cgroup")))
        .isEqualTo(Path.of("/sys/fs/cgroup"));
    assertThat(ProcCgroup.memoryPath(proc, "11")).isNull();
  }
}
