package io.oomdoctor.agent.cgroup;

import io.oomdoctor.model.evidence.CgroupSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** cgroup v2 unified hierarchy: memory.max/current/peak/events/stat/swap.current. */
public final class CgroupV2Reader implements CgroupReader {
  @Override
  public int version() {
    return 2;
  }

  @Override
  public Optional<CgroupSnapshot> snapshot(Path dir) {
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    CgroupSnapshot s = new CgroupSnapshot();
    s.version = 2;
    s.readAtMillis = System.currentTimeMillis();
    s.limitBytes = CgroupFiles.nullIfUnlimited(CgroupFiles.number(dir.resolve("memory.max")));
    s.usageBytes = CgroupFiles.number(dir.resolve("memory.current"));
    s.peakBytes = CgroupFiles.number(dir.resolve("memory.peak"));
    Map<String, Long> events = CgroupFiles.keyed(dir.resolve("memory.events"));
    if (events != null) {
      s.failcnt = events.get("max");
      s.oomEvents = events.get("oom");
      s.oomKills = events.get("oom_kill");
      s.oomGroupKills = events.get("oom_group_kill");
    }
    s.swapBytes =
        CgroupFiles.nullIfUnlimited(CgroupFiles.number(dir.resolve("memory.swap.current")));
    s.stats = CgroupFiles.keyed(dir.resolve("memory.stat"));
    if (s.usageBytes == null && s.stats == null && !Files.isDirectory(dir)) {
      return Optional.empty();
    }
    return Optional.of(s);
  }

  @Override
  public long usage(Path dir) {
    Long usage = CgroupFiles.number(dir.resolve("memory.current"));
    return usage == null || usage < 0 ? -1 : usage;
  }

  @Override
  public long inactiveFile(Path dir) {
    return CgroupFiles.counter(dir.resolve("memory.stat"), "inactive_file");
  }

  @Override
  public CgroupFigures figures(Path dir) {
    Long limit = CgroupFiles.number(dir.resolve("memory.max"));
    long[] stat = CgroupFiles.counters(dir.resolve("memory.stat"), "inactive_file", "shmem");
    return new CgroupFigures(
        limit == null ? -1 : limit,
        stat == null ? 0 : stat[0],
        stat == null ? 0 : stat[1],
        CgroupFiles.pressureSomeAvg60(dir.resolve("memory.pressure")),
        null);
  }

  @Override
  public Long oomKills(Path dir) {
    Map<String, Long> events = CgroupFiles.keyed(dir.resolve("memory.events"));
    return events == null ? null : events.get("oom_kill");
  }

  @Override
  public long[] pids(Path dir) {
    return CgroupFiles.pids(dir.resolve("cgroup.procs"));
  }
}
