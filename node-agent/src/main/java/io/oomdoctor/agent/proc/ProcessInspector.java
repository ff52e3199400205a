package io.oomdoctor.agent.proc;

import io.oomdoctor.agent.KernelFiles;
import io.oomdoctor.model.evidence.ProcessInfo;
import io.oomdoctor.model.evidence.ProcessSnapshot;
import io.oomdoctor.model.evidence.RuntimeCaps;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Looks at a container's processes in /proc while they are alive: count, threads, resident memory,
 * and the runtime caps of each command line. Command lines are parsed once per process (keyed by
 * PID and start time), so a steady container costs one small read per process per look.
 *
 * <p>Environment variables are read only when enabled, and then only {@link
 * RuntimeFlags#ENV_WHITELIST}; no other variable is ever kept.
 */
public final class ProcessInspector {
  static final int MAX_PROCESSES = 16;

  /**
   * What is kept of a process between looks: its identity, caps, and the two figures that tell
   * whether it grew (first resident size seen, largest seen) — a few dozen bytes a process.
   */
  private static final class Known {
    final long startTicks;
    final RuntimeCaps caps;
    final long firstRssKb;
    final long firstSeenSec;
    volatile long peakRssKb;

    Known(long startTicks, RuntimeCaps caps, long rssKb, long nowSec) {
      this.startTicks = startTicks;
      this.caps = caps;
      this.firstRssKb = rssKb;
      this.firstSeenSec = nowSec;
      this.peakRssKb = rssKb;
    }
  }

  private final Path procRoot;
  private final boolean readEnvironment;
  private volatile long bootEpochSec;
  private final Map<Long, Known> known = new ConcurrentHashMap<>();

  public ProcessInspector(Path procRoot, boolean readEnvironment) {
    this.procRoot = procRoot;
    this.readEnvironment = readEnvironment;
  }

  /** The node's boot time, so that start times can be dated; 0 leaves them undated. */
  public void bootEpochSec(long sec) {
    this.bootEpochSec = sec;
  }

  /** A snapshot of the given processes; null when none of them could be read. */
  public ProcessSnapshot inspect(long[] pids, long nowMillis) {
    if (pids.length == 0) {
      return null;
    }
    List<ProcessInfo> infos = new ArrayList<>(pids.length);
    int threads = 0;
    for (long pid : pids) {
      ProcessInfo p = inspect(pid, nowMillis / 1000);
      if (p != null) {
        infos.add(p);
        threads += p.threads == null ? 1 : p.threads;
      }
    }
    if (infos.isEmpty()) {
      return null;
    }
    ProcessSnapshot s = new ProcessSnapshot();
    s.observedAtMillis = nowMillis;
    s.processCount = infos.size();
    s.threadCount = threads;
    infos.sort(Comparator.comparing((ProcessInfo p) -> p.rssKb == null ? 0 : p.rssKb).reversed());
    s.processes =
        infos.size() > MAX_PROCESSES ? new ArrayList<>(infos.subList(0, MAX_PROCESSES)) : infos;
    return s;
  }

  /** Forgets processes not in {@code alive}; call after a full pass. */
  public void retainOnly(java.util.Set<Long> alive) {
    known.keySet().retainAll(alive);
  }

  private ProcessInfo inspect(long pid, long nowSec) {
    Path dir = procRoot.resolve(Long.toString(pid));
    String stat = read(dir.resolve("stat"));
    if (stat == null) {
      return null; // exited
    }
    // comm is in parentheses and may itself contain spaces and parentheses: split after the last
    // ')'.
    int open = stat.indexOf('(');
    int close = stat.lastIndexOf(')');
    if (open < 0 || close < open || close + 2 > stat.length()) {
      return null;
    }
    String name = stat.substring(open + 1, close);
    String[] f = stat.substring(close + 2).trim().split(" ");
    // f[0] is field 3 (state): field N is f[N - 3].
    ProcessInfo p = new ProcessInfo();
    p.pid = (int) pid;
    p.name = name;
    p.ppid = (int) longAt(f, 4 - 3);
    p.threads = (int) longAt(f, 20 - 3);
    long startTicks = longAt(f, 22 - 3);
    p.rssKb = longAt(f, 24 - 3) * 4; // pages; x86-64 and arm64 defaults are 4 KiB
    Known k = known.get(pid);
    if (k == null || k.startTicks != startTicks) {
      k = new Known(startTicks, caps(dir), p.rssKb, nowSec);
      known.put(pid, k);
    }
    k.peakRssKb = Math.max(k.peakRssKb, p.rssKb);
    p.caps = k.caps;
    p.firstRssKb = k.firstRssKb;
    p.peakRssKb = k.peakRssKb;
    p.firstSeenSec = k.firstSeenSec;
    long boot = bootEpochSec;
    if (boot > 0 && startTicks > 0) {
      p.startedAtSec = boot + startTicks / 100; // USER_HZ is 100
    }
    return p;
  }

  private RuntimeCaps caps(Path dir) {
    byte[] cmdline = KernelFiles.read(dir.resolve("cmdline"));
    if (cmdline == null) {
      return null;
    }
    Map<String, String> env = readEnvironment ? environment(dir) : Map.of();
    return RuntimeFlags.parse(RuntimeFlags.argv(cmdline), env);
  }

  private static Map<String, String> environment(Path dir) {
    byte[] raw = KernelFiles.read(dir.resolve("environ"));
    if (raw == null) {
      return Map.of();
    }
    Map<String, String> out = new HashMap<>();
    for (String entry : RuntimeFlags.argv(raw)) {
      int eq = entry.indexOf('=');
      if (eq > 0) {
        String key = entry.substring(0, eq);
        if (RuntimeFlags.ENV_WHITELIST.contains(key)) {
          out.put(key, entry.substring(eq + 1));
        }
      }
    }
    return out;
  }

  /**
   * Start time (clock ticks since boot) of a process as the last {@link #inspect} read it, or -1
   * when it has not been looked at.
   */
  public long startTicks(long pid) {
    Known k = known.get(pid);
    return k == null ? -1 : k.startTicks;
  }

  private static long longAt(String[] f, int i) {
    if (i < 0 || i >= f.length) {
      return 0;
    }
    try {
      return Long.parseLong(f[i]);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static String read(Path p) {
    byte[] b = KernelFiles.read(p);
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }
}
