package io.oomdoctor.diagnosis;

import io.oomdoctor.model.OomKillSpec;
import io.oomdoctor.model.evidence.CgroupSnapshot;
import io.oomdoctor.model.evidence.MemoryTrend;
import io.oomdoctor.model.evidence.OomReport;
import io.oomdoctor.model.evidence.OomTask;
import io.oomdoctor.model.evidence.ProcessInfo;
import io.oomdoctor.model.evidence.RuntimeCaps;
import java.util.List;
import java.util.Map;

/**
 * The figures the rules reason about, derived once from an OomKill's evidence. Every figure may be
 * missing (a report cut short, a container too young to have a trend); rules check before use.
 */
public final class Facts {
  private static final long PAGE = 4096;

  final OomReport report;
  final MemoryTrend trend;

  /** The memory limit that was hit, bytes; null for a host OOM or when unknown. */
  final Long limitBytes;

  /** The container's own limit in its pod spec, bytes; null when unknown or unset. */
  final Long containerLimitBytes;

  /** Restarts of the container before this kill, as the pod's status said; null when unknown. */
  final Integer restartCount;

  /** Usage of the OOM cgroup at the kill, bytes. */
  final Long usageBytes;

  final long anonRssBytes;

  /** Shared memory (tmpfs, shm) charged to the OOM cgroup, bytes. */
  final long shmemBytes;

  final boolean shmemReadAfterKill;

  /** Page cache charged to the OOM cgroup (excluding shmem), bytes. */
  final long fileBytes;

  /** Processes of the task table other than the pause container, with their resident bytes. */
  final List<OomTask> tasks;

  /** The victim's runtime caps, from the agent's last look at the container's processes. */
  final RuntimeCaps caps;

  final Integer processCount;
  final Integer threadCount;

  /** The container's processes at the agent's last look. */
  final List<ProcessInfo> processes;

  /** The victim's parent was in the container too: a worker, not the main process. */
  final boolean victimIsChild;

  /** Whose limit was hit (container, pod, node), as the agent attributed it; null when unknown. */
  final String limitScope;

  public Facts(OomKillSpec spec) {
    this.report = spec.report == null ? new OomReport() : spec.report;
    this.limitScope = spec.attribution == null ? null : spec.attribution.limitScope;
    Long limit = report.limitKb == null ? null : report.limitKb * 1024;
    if (limit == null && spec.pod != null && !"node".equals(limitScope)) {
      limit = spec.pod.containerLimitBytes;
    }
    this.limitBytes = limit;
    this.trend = heldAtTheLimit(spec.trend, limit);
    this.containerLimitBytes = spec.pod == null ? null : spec.pod.containerLimitBytes;
    this.restartCount = spec.pod == null ? null : spec.pod.restartCount;
    this.usageBytes = report.usageKb == null ? null : report.usageKb * 1024;
    this.anonRssBytes = report.anonRssKb == null ? 0 : report.anonRssKb * 1024;
    Map<String, Long> stats = report.memcgStats == null ? Map.of() : report.memcgStats;
    long shmem = first(stats, "total_shmem", "shmem");
    boolean shmemAfter = false;
    if (stats.isEmpty()) {
      // The report was cut short (the kernel rate-limits it to the kill line): files in a tmpfs
      // stay charged to the cgroup when its processes die, so the agent's read of the cgroup just
      // after the kill still shows them.
      Long after = shmemAfterKill(spec, limit);
      if (after != null) {
        shmem = after;
        shmemAfter = true;
      }
    }
    this.shmemBytes = shmem;
    this.shmemReadAfterKill = shmemAfter;
    // v1 "cache" includes shmem; v2 "file" does too (shmem is file-backed).
    this.fileBytes = Math.max(0, first(stats, "total_cache", "cache", "file") - shmemBytes);
    this.tasks =
        report.tasks == null
            ? List.of()
            : report.tasks.stream().filter(t -> !"pause".equals(t.name)).toList();
    ProcessInfo victim = null;
    if (spec.processes != null && spec.processes.processes != null) {
      for (ProcessInfo p : spec.processes.processes) {
        if (report.pid != null && report.pid.equals(p.pid)) {
          victim = p;
        }
      }
      if (victim == null) {
        // The victim may be younger than the agent's last look: take the runtime by name.
        victim =
            spec.processes.processes.stream()
                .filter(
                    p -> p.caps != null && report.process != null && report.process.equals(p.name))
                .findFirst()
                .orElse(
                    spec.processes.processes.stream()
                        .filter(p -> p.caps != null)
                        .findFirst()
                        .orElse(null));
      }
    }
    this.caps = victim == null ? null : victim.caps;
    this.processes =
        spec.processes == null || spec.processes.processes == null
            ? List.of()
            : spec.processes.processes.stream().filter(p -> p != null).toList();
    this.processCount = spec.processes == null ? null : spec.processes.processCount;
    this.threadCount = spec.processes == null ? null : spec.processes.threadCount;
    boolean child = false;
    if (spec.processes != null && spec.processes.processes != null && report.pid != null) {
      ProcessInfo v = victim != null && report.pid.equals(victim.pid) ? victim : null;
      if (v != null && v.ppid != null) {
        ProcessInfo parent =
            spec.processes.processes.stream()
                .filter(p -> p != null && v.ppid.equals(p.pid))
                .findFirst()
                .orElse(null);
        // A shell or init that only started the program ("sh -c 'python app.py'", tini) is not
        // a main process the program works for: the program is the container's main work.
        child = parent != null && !(wrapper(parent.name) && aloneBesides(v, parent, spec));
      }
    }
    if (!child
        && report.pid != null
        && spec.processes != null
        && spec.processes.processes != null) {
      // The agent may have looked before the worker was forked: a victim it never saw, while a
      // process it did see is in the kernel's task table too, is a worker beside the main one.
      java.util.Set<Integer> seen = new java.util.HashSet<>();
      spec.processes.processes.stream()
          .filter(p -> p != null && !wrapper(p.name))
          .forEach(p -> seen.add(p.pid));
      child =
          !seen.contains(report.pid)
              && tasks.stream()
                  .anyMatch(
                      t -> t.pid != null && !t.pid.equals(report.pid) && seen.contains(t.pid));
      if (!child && tasks.isEmpty()) {
        // The kernel cut the report to its kill line (a burst of kills): no task table. The
        // container's main process is known when the agent saw exactly one process whose parent
        // is outside the container, and a victim the agent never saw under another PID is not
        // it — unless the main process is a shell that only started the program.
        List<ProcessInfo> roots =
            processes.stream()
                .filter(
                    p ->
                        p.pid != null
                            && processes.stream()
                                .noneMatch(q -> q.pid != null && q.pid.equals(p.ppid)))
                .toList();
        child =
            roots.size() == 1
                && !wrapper(roots.get(0).name)
                && processes.stream().noneMatch(p -> report.pid.equals(p.pid));
      }
    }
    this.victimIsChild = child;
  }

  /** A sample this close to the limit is at it (the kernel keeps usage a page or so below). */
  static final double AT_THE_LIMIT = 0.97;

  /**
   * The trend, or — when its last samples sit at the limit — the trend of its rise. The kernel
   * holds a container at its limit while it reclaims what little it can (the program thrashing on
   * its own code pages) before it kills, for seconds at times: those samples show the limit, not
   * what the program asked for, and a straight rise followed by them fits a line badly. When at
   * least 3 samples sit at the limit after at least 5 that rose with every step (the container's
   * first sample, its start, aside), the growth and its R² are those of the rise (up to the first
   * sample at the limit), if that fits better. A rise with flat or falling steps (a collector's
   * sawtooth, a steady load's bursts) is left as it is.
   */
  static MemoryTrend heldAtTheLimit(MemoryTrend t, Long limit) {
    if (t == null || limit == null || t.series == null || t.fitR2 == null) {
      return t;
    }
    List<long[]> points = Saturation.points(t.series);
    int first = points.size();
    while (first > 0 && points.get(first - 1)[1] >= limit * AT_THE_LIMIT) {
      first--;
    }
    int held = points.size() - first;
    // The container's first sample is its start (an empty cgroup, a runtime loading), not its
    // growth: left out when the samples go back to the start.
    long span = points.isEmpty() ? 0 : points.get(points.size() - 1)[0] - points.get(0)[0];
    int from = t.containerAgeSeconds != null && span >= t.containerAgeSeconds - 2 ? 1 : 0;
    if (held < 3 || first + 1 - from < 5) {
      return t;
    }
    List<long[]> rise = points.subList(from, first + 1);
    for (int i = 1; i < rise.size(); i++) {
      if (rise.get(i)[1] <= rise.get(i - 1)[1]) {
        return t;
      }
    }
    double[] fit = LineFit.of(rise);
    if (fit[0] <= 0 || fit[1] <= t.fitR2) {
      return t;
    }
    MemoryTrend r = new MemoryTrend();
    r.peakBytes = t.peakBytes;
    r.lastBytes = t.lastBytes;
    r.samples = t.samples;
    r.containerAgeSeconds = t.containerAgeSeconds;
    r.secondsToPeak = t.secondsToPeak;
    r.series = t.series;
    r.growthBytesPerHour = Math.round(fit[0] * 3600);
    r.fitR2 = Math.round(fit[1] * 1000) / 1000.0;
    r.fitWindowSeconds = rise.get(rise.size() - 1)[0] - rise.get(0)[0];
    return r;
  }

  /**
   * Shared memory of the killed container's cgroup as the agent read it after the kill: of the
   * cgroup whose limit was hit when one is known, else of the first read; null when none was read.
   */
  private static Long shmemAfterKill(OomKillSpec spec, Long limit) {
    if (spec.cgroups == null) {
      return null;
    }
    Long found = null;
    for (CgroupSnapshot c : spec.cgroups) {
      if (c == null || c.stats == null || c.stats.isEmpty()) {
        continue;
      }
      long v = first(c.stats, "total_shmem", "shmem");
      if (found == null || (limit != null && limit.equals(c.limitBytes))) {
        found = v;
      }
    }
    return found;
  }

  /** Whether {@link #shmemBytes()} was read from the cgroup after the kill, not the report. */
  public boolean shmemReadAfterKill() {
    return shmemReadAfterKill;
  }

  private static long first(Map<String, Long> stats, String... keys) {
    for (String k : keys) {
      Long v = stats.get(k);
      if (v != null && v > 0) {
        return v;
      }
    }
    return 0;
  }

  /** The container's processes at the agent's last look (largest first), possibly empty. */
  public List<ProcessInfo> processes() {
    return processes;
  }

  /** When the kill happened, seconds since the epoch; null when the report does not say. */
  public Long killEpochSec() {
    if (report.timestamp == null) {
      return null;
    }
    try {
      return java.time.Instant.parse(report.timestamp).getEpochSecond();
    } catch (RuntimeException e) {
      return null;
    }
  }

  public OomReport report() {
    return report;
  }

  private Saturation saturation;
  private boolean saturationWeighed;

  /** How the memory's growth bent before the kill; null when it did not (or nothing tells). */
  public Saturation saturation() {
    if (!saturationWeighed) {
      saturation = Saturation.of(trend, limitBytes);
      saturationWeighed = true;
    }
    return saturation;
  }

  public MemoryTrend trend() {
    return trend;
  }

  public Long limitBytes() {
    return limitBytes;
  }

  public Long containerLimitBytes() {
    return containerLimitBytes;
  }

  public Integer restartCount() {
    return restartCount;
  }

  public Long usageBytes() {
    return usageBytes;
  }

  public long anonRssBytes() {
    return anonRssBytes;
  }

  public long shmemBytes() {
    return shmemBytes;
  }

  public long fileBytes() {
    return fileBytes;
  }

  public List<OomTask> tasks() {
    return tasks;
  }

  public RuntimeCaps caps() {
    return caps;
  }

  public Integer threadCount() {
    return threadCount;
  }

  public Integer processCount() {
    return processCount;
  }

  public boolean victimIsChild() {
    return victimIsChild;
  }

  public String processName() {
    return report.process == null ? "a process" : report.process;
  }

  public String limitScope() {
    return limitScope;
  }

  public Integer pid() {
    return report.pid;
  }

  public boolean hostOom() {
    return OomReport.KIND_GLOBAL.equals(report.kind) || "node".equals(limitScope);
  }

  /** Resident bytes of a task-table row (pages of 4 KiB). */
  public static long rss(OomTask t) {
    return t.rssPages == null ? 0 : t.rssPages * PAGE;
  }

  /** The highest memory the evidence shows: usage at the kill, or the sampled peak. */
  public long peakBytes() {
    long peak = usageBytes == null ? 0 : usageBytes;
    if (trend != null && trend.peakBytes != null) {
      peak = Math.max(peak, trend.peakBytes);
    }
    return peak;
  }

  /**
   * The best estimate of what the workload would have used had the limit not stopped it: the usage
   * at the kill is only a lower bound. Killed before the agent's sampler saw it grow (a trend of
   * fewer than two samples), nothing tells how far beyond the limit it would have gone: twice the
   * limit. Without any trend (a pasted kernel log) nothing says it grew: the peak. Killed while
   * still growing steadily (a fit of R² ≥ 0.8), half its age again at the rate it grew: what grew
   * steadily for a while is expected to go on for some time yet; growth that slowed on its own,
   * where it levels off ({@link Saturation}). Otherwise the peak. A leak's recommendation does not
   * use this (it grows without end).
   */
  public long demandEstimate() {
    long peak = peakBytes();
    long limit = limitBytes == null ? peak : limitBytes;
    if (trend == null) {
      return peak;
    }
    if (trend.samples == null || trend.samples < 2) {
      return Math.max(peak, 2 * limit);
    }
    if (saturation() != null) {
      return Math.max(peak, saturation().plateauBytes());
    }
    if (trend.growthBytesPerHour != null
        && trend.growthBytesPerHour > 0
        && trend.fitR2 != null
        && trend.fitR2 >= 0.8
        && trend.containerAgeSeconds != null
        && trend.containerAgeSeconds > 0) {
      long more = (long) (trend.growthBytesPerHour * (trend.containerAgeSeconds / 2.0) / 3600);
      return peak + Math.min(more, Math.max(peak, limit)); // at most doubling
    }
    return peak;
  }

  /**
   * What the container's processes need together: the sum of their resident memory at the kill,
   * and, when workers were started one after another (processes that started well after the first
   * one) and no worker count is configured, half as many more of the largest — more were likely
   * still to come.
   */
  public long processesDemand() {
    List<OomTask> t = tasks();
    long total = t.stream().mapToLong(Facts::rss).sum();
    if (t.size() < 2 || processes == null || processes.isEmpty()) {
      return total;
    }
    long first =
        processes.stream()
            .filter(p -> p.startedAtSec != null)
            .mapToLong(p -> p.startedAtSec)
            .min()
            .orElse(Long.MAX_VALUE);
    long late =
        processes.stream()
            .filter(p -> p.startedAtSec != null && p.startedAtSec > first + 10)
            .count();
    if (late == 0) {
      return total;
    }
    OomTask main = t.stream().min(java.util.Comparator.comparing(x -> x.pid)).get();
    long largest = t.stream().filter(x -> x != main).mapToLong(Facts::rss).max().orElse(0);
    return total + ((late + 1) / 2) * largest;
  }

  /** The heap cap a runtime was given (a JVM's -Xmx, Node's --max-old-space-size), or null. */
  public static Long heapCap(RuntimeCaps c) {
    if (c == null) {
      return null;
    }
    if ("jvm".equals(c.runtime)) {
      return c.jvmMaxHeapBytes;
    }
    if ("node".equals(c.runtime) && c.nodeMaxOldSpaceMb != null) {
      return c.nodeMaxOldSpaceMb << 20;
    }
    return null;
  }

  /** Programs that start the container's real work and wait: shells and small inits. */
  static final java.util.Set<String> WRAPPERS =
      java.util.Set.of(
          "sh",
          "bash",
          "dash",
          "ash",
          "zsh",
          "ksh",
          "busybox",
          "tini",
          "dumb-init",
          "catatonit",
          "s6-svscan",
          "runsv",
          "su",
          "sudo",
          "gosu",
          "su-exec",
          "setpriv",
          "timeout",
          "nice",
          "env",
          "npm",
          "npm start",
          "yarn",
          "pnpm",
          "entrypoint.sh",
          "docker-entrypoi");

  static boolean wrapper(String name) {
    return name != null && WRAPPERS.contains(name.strip());
  }

  /** No process but the victim and its wrapper holds a tenth of the usage or more. */
  private static boolean aloneBesides(ProcessInfo victim, ProcessInfo wrapper, OomKillSpec spec) {
    long victimKb = victim.rssKb == null ? 0 : victim.rssKb;
    return spec.processes.processes.stream()
        .filter(p -> p != null && p != victim && p != wrapper)
        .noneMatch(p -> p.rssKb != null && p.rssKb * 10 >= Math.max(victimKb, 1));
  }
}
