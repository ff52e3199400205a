package io.oomdoctor.agent.cgroup;

import io.oomdoctor.model.evidence.CgroupSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** cgroup v1 memory controller: memory.limit_in_bytes, usage/max_usage, failcnt, oom_control. */
public final class CgroupV1Reader implements CgroupReader {
  @Override
  public int version() {
    return 1;
  }

  @Override
  public Optional<CgroupSnapshot> snapshot(Path dir) {
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    CgroupSnapshot s = new CgroupSnapshot();
    s.version = 1;
    s.readAtMillis = System.currentTimeMillis();
    s.limitBytes =
        CgroupFiles.nullIfUnlimited(CgroupFiles.number(dir.resolve("memory.limit_in_bytes")));
    s.usageBytes = CgroupFiles.number(dir.resolve("memory.usage_in_bytes"));
    s.peakBytes = CgroupFiles.number(dir.resolve("memory.max_usage_in_bytes"));
    s.failcnt = CgroupFiles.number(dir.resolve("memory.failcnt"));
    s.oomKills = oomKills(dir);
    s.stats = CgroupFiles.keyed(dir.resolve("memory.stat"));
    if (s.stats != null) {
      s.swapBytes = s.stats.get("total_swap");
    }
    if (s.usageBytes == null && s.stats == null && !Files.isDirectory(dir)) {
      return Optional.empty(); // vanished while we read it
    }
    return Optional.of(s);
  }

  @Override
  public long usage(Path dir) {
    Long usage = CgroupFiles.number(dir.resolve("memory.usage_in_bytes"));
    return usage == null || usage < 0 ? -1 : usage;
  }

  @Override
  public long inactiveFile(Path dir) {
    return CgroupFiles.counter(dir.resolve("memory.stat"), "total_inactive_file");
  }

  @Override
  public CgroupFigures figures(Path dir) {
    Long limit = CgroupFiles.number(dir.resolve("memory.limit_in_bytes"));
    long[] stat =
        CgroupFiles.counters(dir.resolve("memory.stat"), "total_inactive_file", "total_shmem");
    Long failcnt = CgroupFiles.number(dir.resolve("memory.failcnt"));
    return new CgroupFigures(
        limit == null ? -1 : limit,
        stat == null ? 0 : stat[0],
        stat == null ? 0 : stat[1],
        null,
        failcnt == null || failcnt < 0 ? null : failcnt);
  }

  @Override
  public Long oomKills(Path dir) {
    Map<String, Long> oom = CgroupFiles.keyed(dir.resolve("memory.oom_control"));
    return oom == null ? null : oom.get("oom_kill");
  }

  @Override
  public long[] pids(Path dir) {
    return CgroupFiles.pids(dir.resolve("cgroup.procs"));
  }
}
