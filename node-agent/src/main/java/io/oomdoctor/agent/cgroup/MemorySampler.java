package io.oomdoctor.agent.cgroup;

import io.oomdoctor.agent.proc.ProcessInspector;
import io.oomdoctor.model.evidence.MemoryTrend;
import io.oomdoctor.model.evidence.ProcessSnapshot;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Samples the memory of every pod and container cgroup on the node into bounded {@link
 * MemoryHistory} rings, and keeps the last look at each container's processes. A cgroup that
 * disappears keeps its history for a grace period: the kernel's report of a kill often arrives
 * after the runtime has already removed the container's cgroup.
 */
public final class MemorySampler {
  /** How long the history of a vanished cgroup is kept, seconds. */
  static final long GRACE_SEC = 600;

  /**
   * Processes and memory.stat are read on every this many passes (and at a cgroup's first sight):
   * command lines rarely change, and on cgroup v1 the kernel sums a whole subtree for every read of
   * memory.stat, the most expensive read of a pass.
   */
  static final int PROCESS_EVERY = 3;

  private final CgroupTree tree;
  private final ProcessInspector processes;
  private final int intervalSec;
  private final long bootEpochSec;
  private final Map<String, MemoryHistory> histories = new ConcurrentHashMap<>();
  private final Map<String, ProcessSnapshot> lastProcesses = new ConcurrentHashMap<>();
  private volatile int lastPassCount = -1;
  private volatile List<CgroupTree.Entry> lastEntries = List.of();

  private long passes;

  /**
   * @param bootEpochSec the node's boot time (btime of /proc/stat), to date container starts
   */
  public MemorySampler(
      CgroupTree tree, ProcessInspector processes, int intervalSec, long bootEpochSec) {
    this.tree = tree;
    this.processes = processes;
    this.intervalSec = intervalSec;
    this.bootEpochSec = bootEpochSec;
    if (processes != null) {
      processes.bootEpochSec(bootEpochSec);
    }
  }

  /** One pass over every pod and container cgroup. Returns how many were sampled. */
  public int sampleOnce(long nowMillis) {
    long nowSec = nowMillis / 1000;
    long startNanos = System.nanoTime();
    boolean lookAtProcesses = passes++ % PROCESS_EVERY == 0;
    List<CgroupTree.Entry> entries = tree.walk();
    Set<Long> alivePids = new HashSet<>();
    int sampled = 0;
    for (CgroupTree.Entry e : entries) {
      // When this cgroup is read, on the pass's clock: a pass that began before a kill may read
      // the killed container's cgroup after it.
      long readMillis = nowMillis + (System.nanoTime() - startNanos) / 1_000_000;
      long usage = tree.reader().usage(e.dir());
      if (usage < 0) {
        continue; // vanished between the walk and the read
      }
      MemoryHistory h = histories.get(e.key());
      // memory.stat on the same cadence as processes (and at first sight); usage every pass.
      CgroupFigures figures = h == null || lookAtProcesses ? tree.reader().figures(e.dir()) : null;
      long inactive = figures != null ? figures.inactiveFileBytes() : h.lastInactiveBytes();
      boolean container = CgroupTree.isContainer(e);
      boolean look = container && processes != null && (lookAtProcesses || h == null);
      long[] pids = look ? tree.reader().pids(e.dir()) : null;
      if (look) {
        ProcessSnapshot ps = processes.inspect(pids, nowMillis);
        if (ps != null) {
          lastProcesses.put(e.key(), ps);
        }
        for (long p : pids) {
          alivePids.add(p);
        }
      }
      if (h == null) {
        // After the look above, so the start times come from what it read.
        h = new MemoryHistory(intervalSec, nowSec, startedSec(pids));
        histories.put(e.key(), h);
      }
      if (figures != null) {
        h.figures(nowSec, figures);
      }
      h.add(nowSec, readMillis, usage, Math.max(0, usage - inactive));
      sampled++;
    }
    lastEntries = entries;
    histories.entrySet().removeIf(en -> nowSec - en.getValue().lastSeenSec() > GRACE_SEC);
    lastProcesses.keySet().retainAll(histories.keySet());
    if (processes != null && lookAtProcesses) {
      processes.retainOnly(alivePids);
    }
    lastPassCount = sampled;
    return sampled;
  }

  private long startedSec(long[] pids) {
    if (pids == null || pids.length == 0 || processes == null || bootEpochSec <= 0) {
      return 0;
    }
    long minTicks = Long.MAX_VALUE;
    for (long p : pids) {
      long t = processes.startTicks(p);
      if (t > 0) {
        minTicks = Math.min(minTicks, t);
      }
    }
    return minTicks == Long.MAX_VALUE ? 0 : bootEpochSec + minTicks / 100; // USER_HZ is 100
  }

  /** The pod and container cgroups the latest pass found. */
  public List<CgroupTree.Entry> lastEntries() {
    return lastEntries;
  }

  /** The history of a cgroup by its key (see {@link CgroupTree.Entry#key()}), or null. */
  public MemoryHistory historyOf(String key) {
    return histories.get(key);
  }

  /** Whether processes were looked at in the latest pass. */
  public boolean lookedAtProcesses() {
    return (passes - 1) % PROCESS_EVERY == 0;
  }

  /** The last look at the processes of a container cgroup by its key, or null. */
  public ProcessSnapshot processesOf(String key) {
    return lastProcesses.get(key);
  }

  /** Cgroups currently held (live or within grace). */
  public int tracked() {
    return histories.size();
  }

  public int lastPassCount() {
    return lastPassCount;
  }

  /** The trend of the cgroup the kernel printed as {@code kernelPath}, or null if never sampled. */
  public MemoryTrend trend(String kernelPath, long killSec) {
    return trend(kernelPath, killSec, 0);
  }

  /** The same from {@code sinceSec} on (see {@link MemoryHistory#trend(long, long)}). */
  public MemoryTrend trend(String kernelPath, long killSec, long sinceSec) {
    return trend(kernelPath, killSec, sinceSec, false);
  }

  /** The same, leaving out the kill's second when it was sampled only after the kill. */
  public MemoryTrend trend(
      String kernelPath, long killSec, long sinceSec, boolean emptiedKillSecond) {
    MemoryHistory h = history(kernelPath);
    return h == null ? null : h.trend(killSec, sinceSec, emptiedKillSecond);
  }

  /** A pod's trend from {@code sinceSec} on only (null when it has no sample since). */
  public MemoryTrend trendSince(
      String kernelPath, long killSec, long sinceSec, boolean emptiedKillSecond) {
    MemoryHistory h = history(kernelPath);
    return h == null ? null : h.trend(killSec, sinceSec, emptiedKillSecond, true);
  }

  /**
   * When that cgroup's sample of second {@code sec} was first read (epoch ms), or 0 when that is
   * not its newest second: later than a kill in that second means the sample shows the emptied
   * cgroup.
   */
  public long firstReadMillis(String kernelPath, long sec) {
    MemoryHistory h = history(kernelPath);
    return h == null ? 0 : h.firstReadMillis(sec);
  }

  /** When the cgroup's processes started, or 0 when it was never sampled. */
  public long startOf(String kernelPath) {
    MemoryHistory h = history(kernelPath);
    return h == null ? 0 : h.startSec();
  }

  /** Whether that cgroup has been sampled (and is still remembered). */
  public boolean seen(String kernelPath) {
    return history(kernelPath) != null;
  }

  /** When that cgroup was last sampled (epoch seconds), or 0 when never. */
  public long lastSeenOf(String kernelPath) {
    MemoryHistory h = history(kernelPath);
    return h == null ? 0 : h.lastSeenSec();
  }

  /** The history of the cgroup the kernel printed as {@code kernelPath}, or null. */
  private MemoryHistory history(String kernelPath) {
    String key = CgroupTree.keyOf(kernelPath); // null for a null path or one outside kubepods
    return key == null ? null : histories.get(key);
  }

  /** The last look at the processes of that container cgroup, or null. */
  public ProcessSnapshot processes(String kernelPath) {
    String key = CgroupTree.keyOf(kernelPath);
    return key == null ? null : lastProcesses.get(key);
  }

  public CgroupTree tree() {
    return tree;
  }
}
