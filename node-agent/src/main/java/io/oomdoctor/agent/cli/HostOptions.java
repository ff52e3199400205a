package io.oomdoctor.agent.cli;

import io.oomdoctor.agent.cgroup.CgroupTree;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the host's kernel log, cgroups and /proc are (mounted at other paths in a container). */
final class HostOptions {
  @Option(
      names = "--kmsg",
      defaultValue = "${env:OOMDOCTOR_KMSG:-/dev/kmsg}",
      description = "Kernel log device (env OOMDOCTOR_KMSG; default ${DEFAULT-VALUE}).")
  Path kmsg;

  @Option(
      names = "--cgroup-root",
      defaultValue = "${env:OOMDOCTOR_CGROUP_ROOT}",
      description =
          "Directory holding kubepods or kubepods.slice (env OOMDOCTOR_CGROUP_ROOT; default: the"
              + " memory hierarchy under --cgroup-mount, v1 or v2).")
  Path cgroupRoot;

  @Option(
      names = "--cgroup-mount",
      defaultValue = "${env:OOMDOCTOR_CGROUP_MOUNT:-/sys/fs/cgroup}",
      description =
          "Where cgroup filesystems are mounted (env OOMDOCTOR_CGROUP_MOUNT; default ${DEFAULT-VALUE}).")
  Path cgroupMount;

  @Option(
      names = "--proc-root",
      defaultValue = "${env:OOMDOCTOR_PROC_ROOT:-/proc}",
      description = "The host's /proc (env OOMDOCTOR_PROC_ROOT; default ${DEFAULT-VALUE}).")
  Path procRoot;

  /** The memory hierarchy's mount point (v1 memory controller, or the v2 unified root). */
  Path hierarchyRoot() {
    return CgroupTree.defaultRoot(cgroupMount);
  }

  Path cgroupRoot() {
    return cgroupRoot != null ? cgroupRoot : hierarchyRoot();
  }

  String check() {
    if (!Files.isDirectory(cgroupRoot())) {
      return "cgroup root " + cgroupRoot() + " is not a directory";
    }
    return null;
  }
}
