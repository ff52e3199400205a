package io.oomdoctor.diagnosis;

import io.oomdoctor.diagnosis.rules.MemoryLeak;
import io.oomdoctor.model.evidence.MemoryTrend;
import io.oomdoctor.model.evidence.ProcessInfo;
import io.oomdoctor.model.evidence.RuntimeCaps;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Weighs evidence that bears on several causes at once, after every rule has spoken: a rule sees
 * its own pattern (a steady rise is a leak), this sees what explains the pattern otherwise.
 *
 * <ul>
 *   <li>Processes that started during the rise and hold most of it: the total rose because
 *       processes were added (a pool of workers started one after another), not because one grew —
 *       not a leak; several processes share the limit.
 *   <li>A JVM whose resident memory is well past its heap cap: what grew is outside the heap —
 *       native memory, not the heap a leak hunt would look at.
 *   <li>A killed worker while the main process lives: the container's total is not the victim's own
 *       trend.
 * </ul>
 *
 * Each adjustment is written down as evidence for or against the cause it moves.
 */
final class Weighing {
  /** New processes must hold at least this share of the rise to explain it. */
  static final double EXPLAINED_SHARE = 0.5;

  private Weighing() {}

  static List<Finding> weigh(Facts f, List<Finding> found, DiagnosisSettings s) {
    List<Finding> out = new ArrayList<>(found);
    if (f.hostOom()) {
      return out;
    }
    String appeared = processesAppeared(f);
    if (appeared != null) {
      replace(out, Cause.MemoryLeak, x -> x.weakened(0.45, appeared));
      replace(out, Cause.UnboundedCache, x -> x.weakened(0.6, appeared));
      if (!replace(out, Cause.SharedLimit, x -> x.strengthened(0.9, appeared))) {
        out.add(
            new Finding(
                    Cause.SharedLimit,
                    0.85,
                    appeared,
                    "Size the limit for all processes together (workers times the peak of one"
                        + " worker, plus the main process), or run fewer workers.",
                    f.limitBytes() == null
                        ? null
                        : s.withHeadroom(Math.max(f.processesDemand(), f.peakBytes())),
                    Map.of())
                .strengthened(0.85, appeared));
      }
    }
    String outsideHeap = outsideHeap(f);
    if (outsideHeap != null) {
      replace(out, Cause.MemoryLeak, x -> x.weakened(0.5, outsideHeap));
      replace(out, Cause.NativeMemory, x -> x.strengthened(0.9, outsideHeap));
    }
    String workersGrew = workersEachGrew(f);
    if (f.victimIsChild() && workersGrew == null) {
      String child =
          "The killed process was a worker beside the container's main process: the container's"
              + " total is not the worker's own trend.";
      replace(out, Cause.MemoryLeak, x -> x.weakened(0.7, child));
    }
    if (workersGrew != null) {
      // Every worker grows on its own: a leak in the workers' code, whatever the total does
      // while the kernel kills one and the server starts another.
      replace(out, Cause.SharedLimit, x -> x.weakened(0.5, workersGrew));
      if (!replace(out, Cause.MemoryLeak, x -> x.strengthened(0.9, workersGrew))
          && f.limitBytes() != null) {
        long limit = f.limitBytes();
        long bump = s.clamp(Bytes.roundUpMi(limit * (1 + s.leakBumpPercent() / 100.0)));
        out.add(
            new Finding(
                    Cause.MemoryLeak,
                    0.85,
                    workersGrew,
                    "Raising the limit only delays the next kill. Find the leak in the worker"
                        + " code (a heap dump or allocation profile of a worker near its peak);"
                        + " meanwhile recycle workers before they grow (gunicorn --max-requests,"
                        + " a worker's maximum number of tasks or requests).",
                    bump > limit ? bump : null,
                    Map.of())
                .strengthened(0.85, workersGrew));
      }
    }
    return out;
  }

  /**
   * Why each of the container's workers leaks, or null: at least two processes besides the oldest
   * (the main one) each grew since the agent first saw it by more than a quarter of its peak and
   * more than 4 MiB, and together they hold at least half of what the processes hold.
   */
  static String workersEachGrew(Facts f) {
    List<ProcessInfo> procs = f.processes();
    if (procs.size() < 3) {
      return null;
    }
    ProcessInfo oldest =
        procs.stream()
            .filter(p -> p.startedAtSec != null)
            .min(Comparator.comparingLong(p -> p.startedAtSec))
            .orElse(null);
    if (oldest == null) {
      return null;
    }
    List<ProcessInfo> grew =
        procs.stream()
            .filter(p -> p != oldest && p.firstRssKb != null && p.peakRssKb != null)
            .filter(p -> !flat(p))
            .toList();
    if (grew.size() < 2) {
      return null;
    }
    long held = grew.stream().mapToLong(Weighing::peakBytes).sum();
    long all = procs.stream().mapToLong(Weighing::peakBytes).sum();
    if (all <= 0 || held * 2 < all) {
      return null;
    }
    long rise =
        grew.stream().mapToLong(p -> (p.peakRssKb - p.firstRssKb) * 1024).sum() / grew.size();
    return grew.size()
        + " worker processes each grew since the agent first saw them (by about "
        + Bytes.human(rise)
        + " each, to "
        + Bytes.human(held / grew.size())
        + " on average): each worker leaks.";
  }

  /**
   * Why the rise is explained by processes that appeared during it, or null when it is not: at
   * least two processes (not the oldest) started inside the rising window and together hold at
   * least half of the rise.
   */
  static String processesAppeared(Facts f) {
    MemoryTrend t = f.trend();
    Long kill = f.killEpochSec();
    List<ProcessInfo> procs = f.processes();
    if (t == null
        || kill == null
        || procs.size() < 3
        || t.growthBytesPerHour == null
        || t.growthBytesPerHour <= 0
        || t.fitWindowSeconds == null
        || t.fitWindowSeconds <= 0) {
      return null;
    }
    long windowStart = kill - t.fitWindowSeconds;
    long rise = t.growthBytesPerHour * t.fitWindowSeconds / 3600;
    ProcessInfo oldest =
        procs.stream()
            .filter(p -> p.startedAtSec != null)
            .min(Comparator.comparingLong(p -> p.startedAtSec))
            .orElse(null);
    if (oldest == null || rise <= 0) {
      return null;
    }
    List<ProcessInfo> fresh =
        procs.stream()
            .filter(p -> p != oldest && p.startedAtSec != null && p.startedAtSec > windowStart)
            .toList();
    if (fresh.size() < 2) {
      return null;
    }
    long held = fresh.stream().mapToLong(Weighing::peakBytes).sum();
    if (held < rise * EXPLAINED_SHARE) {
      return null;
    }
    long flat = fresh.stream().filter(Weighing::flat).count();
    long perWorker = held / fresh.size();
    return fresh.size()
        + " processes started during the "
        + humanDuration(t.fitWindowSeconds)
        + " rise and hold "
        + Bytes.human(held)
        + " of it (about "
        + Bytes.human(perWorker)
        + " each"
        + (flat == fresh.size()
            ? ", each flat since it started"
            : flat > 0 ? ", " + flat + " of them flat since they started" : "")
        + "): the total rose because processes were added, not because one grew.";
  }

  /**
   * Why what grew is outside a runtime's heap, or null: a JVM (or Node) with a known heap cap whose
   * resident memory at the kill was at least half again the cap and 32 MiB past it.
   */
  static String outsideHeap(Facts f) {
    RuntimeCaps c = f.caps();
    Long heap = Facts.heapCap(c);
    if (heap == null) {
      return null;
    }
    long rss = f.anonRssBytes();
    if (rss < heap * 1.5 || rss - heap < (32L << 20)) {
      return null;
    }
    return ("node".equals(c.runtime)
            ? "V8's old space is capped at "
            : "The JVM's heap is capped at ")
        + Bytes.human(heap)
        + " but it held "
        + Bytes.human(rss)
        + ": "
        + Bytes.human(rss - heap)
        + " of it outside the heap, so what grew is native (off-heap) memory.";
  }

  private static long peakBytes(ProcessInfo p) {
    Long kb = p.peakRssKb != null ? p.peakRssKb : p.rssKb;
    return kb == null ? 0 : kb * 1024;
  }

  /** Held about the same since the agent first saw it (within a quarter, or 4 MiB). */
  private static boolean flat(ProcessInfo p) {
    if (p.firstRssKb == null || p.peakRssKb == null) {
      return false;
    }
    long grew = p.peakRssKb - p.firstRssKb;
    return grew <= Math.max(p.peakRssKb / 4, 4096);
  }

  private static String humanDuration(long seconds) {
    return MemoryLeak.human(java.time.Duration.ofSeconds(seconds));
  }

  private static boolean replace(
      List<Finding> list, Cause cause, java.util.function.UnaryOperator<Finding> change) {
    boolean any = false;
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i).cause() == cause) {
        list.set(i, change.apply(list.get(i)));
        any = true;
      }
    }
    return any;
  }
}
