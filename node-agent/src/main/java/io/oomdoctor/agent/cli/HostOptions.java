package io.oomdoctor.agent.cli;

import io.oomdoctor.agent.cgroup.CgroupTree;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the host's kernel log, cgroups and /proc are (mounted at other paths in a container). */
final class HostOptions {
  final Path kmsg;
  final Path cgroupRoot;
  final Path cgroupMount;
  final Path procRoot;

  /** Adds the host options to a command's. */
  static Options add(Options o) {
    return o.value("--kmsg", "PATH", "OOMDOCTOR_KMSG", "/dev/kmsg", "Kernel log device.")
        .value(
            "--cgroup-root",
            "PATH",
            "OOMDOCTOR_CGROUP_ROOT",
            null,
            "Directory holding kubepods or kubepods.slice (default: the memory hierarchy under"
                + " --cgroup-mount, v1 or v2).")
        .value(
            "--cgroup-mount",
            "PATH",
            "OOMDOCTOR_CGROUP_MOUNT",
            "/sys/fs/cgroup",
            "Where cgroup filesystems are mounted.")
        .value("--proc-root", "PATH", "OOMDOCTOR_PROC_ROOT", "/proc", "The host's /proc.");
  }

  HostOptions(Options o) throws Options.UsageException {
    this.kmsg = o.path("--kmsg");
    this.cgroupRoot = o.path("--cgroup-root");
    this.cgroupMount = o.path("--cgroup-mount");
    this.procRoot = o.path("--proc-root");
  }

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
