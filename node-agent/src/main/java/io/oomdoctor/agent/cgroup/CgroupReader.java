package io.oomdoctor.agent.cgroup;

import io.oomdoctor.model.evidence.CgroupSnapshot;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Reads the memory figures of one cgroup directory. Implementations exist for cgroup v1 and v2;
 * neither throws for missing files or a cgroup that vanishes mid-read — both are normal.
 */
public interface CgroupReader {
  /** 1 or 2. */
  int version();

  /** Everything the agent records for a kill. Empty when the cgroup directory is gone. */
  Optional<CgroupSnapshot> snapshot(Path dir);

  /** Current usage in bytes, or -1 when the cgroup is gone. One small read. */
  long usage(Path dir);

  /**
   * Inactive file cache in bytes (0 when unknown): the part of usage the kernel reclaims first.
   * Costly on cgroup v1, where the kernel sums the whole subtree on every read of memory.stat.
   */
  long inactiveFile(Path dir);

  /**
   * Limit, inactive file cache, tmpfs and pressure in one look (memory.stat read once): what the
   * sampler reads every few passes.
   */
  CgroupFigures figures(Path dir);

  /**
   * How many processes the kernel's OOM killer has killed in this cgroup, or null when unknown (a
   * kernel without the counter, or the cgroup is gone). One small read.
   */
  Long oomKills(Path dir);

  /** PIDs of the processes directly in the cgroup (not its children). */
  long[] pids(Path dir);

  /** Picks the reader for a hierarchy by the files its root holds. */
  static CgroupReader detect(Path dir) {
    if (java.nio.file.Files.exists(dir.resolve("memory.usage_in_bytes"))) {
      return new CgroupV1Reader();
    }
    return new CgroupV2Reader();
  }
}
