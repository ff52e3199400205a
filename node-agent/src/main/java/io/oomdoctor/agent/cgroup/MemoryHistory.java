package io.oomdoctor.agent.cgroup;

import io.oomdoctor.model.evidence.MemoryTrend;
import java.util.ArrayList;
import java.util.List;

/**
 * Bounded memory history of one cgroup, in three tiers of fixed-size ring buffers: every sample for
 * the last hour (at the default 10 s), one-minute maxima for six hours, ten-minute maxima for 78
 * hours (over three days). Values are kept in KiB as ints, so a container costs about 9.5 KiB
 * whatever its age.
 */
public final class MemoryHistory {
  static final int RAW_SLOTS = 360;
  static final int MINUTE_SLOTS = 360;
  static final int TEN_MINUTE_SLOTS = 468;
  static final int SERIES_POINTS = 30;

  private final Tier raw;
  private final Tier minutes = new Tier(60, MINUTE_SLOTS);
  private final Tier tenMinutes = new Tier(600, TEN_MINUTE_SLOTS);
  private final long firstSeenSec;
  private long lastSeenSec;
  private long startedSec;
  private long lastInactiveBytes;
  private CgroupFigures figures = CgroupFigures.NONE;

  /**
   * The slower figures over time: {sec, shmem KiB, failcnt}, at their own cadence (every third
   * pass: 64 readings are 32 minutes at the default 10 s, the longest risk window).
   */
  static final int FIGURE_SLOTS = 64;

  private final long[] figureSec = new long[FIGURE_SLOTS];
  private final int[] shmemKb = new int[FIGURE_SLOTS];
  private final long[] failcnt = new long[FIGURE_SLOTS];
  private int figureHead = -1;
  private int figureSize;

  /**
   * @param intervalSec sampling interval (the raw tier's resolution)
   * @param startedSec when the container started (epoch seconds), or 0 if unknown
   */
  public MemoryHistory(int intervalSec, long nowSec, long startedSec) {
    this.raw = new Tier(Math.max(1, intervalSec), RAW_SLOTS);
    this.firstSeenSec = nowSec;
    this.lastSeenSec = nowSec;
    this.startedSec = startedSec;
  }

  /** When the first read of the newest second's sample was made (epoch ms), and that second. */
  private long headFirstReadMillis;

  private long headSec = -1;

  /**
   * Records one sample of second {@code epochSec}, read at {@code readMillis}: a second's first
   * read tells whether all of that second's sample came after a moment (a kill).
   */
  public synchronized void add(
      long epochSec, long readMillis, long usageBytes, long workingSetBytes) {
    if (headSec != epochSec) {
      headSec = epochSec;
      headFirstReadMillis = readMillis;
    } else {
      headFirstReadMillis = Math.min(headFirstReadMillis, readMillis);
    }
    add(epochSec, usageBytes, workingSetBytes);
  }

  /**
   * When the first read of second {@code sec}'s sample was made, or 0 when it is not the newest.
   */
  public synchronized long firstReadMillis(long sec) {
    return headSec == sec ? headFirstReadMillis : 0;
  }

  /** Records one sample. */
  public synchronized void add(long epochSec, long usageBytes, long workingSetBytes) {
    int usageKb = (int) Math.min(Integer.MAX_VALUE, usageBytes >> 10);
    int wsKb = (int) Math.min(Integer.MAX_VALUE, workingSetBytes >> 10);
    raw.add(epochSec, usageKb, wsKb);
    minutes.add(epochSec, usageKb, wsKb);
    tenMinutes.add(epochSec, usageKb, wsKb);
    lastSeenSec = epochSec;
  }

  /**
   * The inactive file cache last read from memory.stat (between reads, the working set uses it).
   */
  public synchronized long lastInactiveBytes() {
    return lastInactiveBytes;
  }

  public synchronized void lastInactiveBytes(long bytes) {
    lastInactiveBytes = bytes;
  }

  /** Records the slower figures read at {@code epochSec} (see {@link CgroupFigures}). */
  public synchronized void figures(long epochSec, CgroupFigures f) {
    figures = f;
    lastInactiveBytes = f.inactiveFileBytes();
    figureHead = (figureHead + 1) % FIGURE_SLOTS;
    figureSec[figureHead] = epochSec;
    shmemKb[figureHead] = (int) Math.min(Integer.MAX_VALUE, f.shmemBytes() >> 10);
    failcnt[figureHead] = f.failcnt() == null ? -1 : f.failcnt();
    figureSize = Math.min(figureSize + 1, FIGURE_SLOTS);
  }

  /** The figures last read. */
  public synchronized CgroupFigures figures() {
    return figures;
  }

  /** tmpfs samples from {@code sinceSec} on, {sec, bytes}, oldest first. */
  public synchronized List<long[]> tmpfsSince(long sinceSec) {
    List<long[]> out = new ArrayList<>();
    for (int i = figureSize - 1; i >= 0; i--) {
      int idx = (figureHead - i + FIGURE_SLOTS) % FIGURE_SLOTS;
      if (figureSec[idx] >= sinceSec) {
        out.add(new long[] {figureSec[idx], (long) shmemKb[idx] << 10});
      }
    }
    return out;
  }

  /**
   * How much memory.failcnt rose since {@code sinceSec} (from the first reading at or after it), or
   * null when it is not known (cgroup v2, or no reading that old).
   */
  public synchronized Long failcntRiseSince(long sinceSec) {
    long first = -1;
    long last = -1;
    for (int i = figureSize - 1; i >= 0; i--) {
      int idx = (figureHead - i + FIGURE_SLOTS) % FIGURE_SLOTS;
      if (failcnt[idx] < 0) {
        continue;
      }
      if (figureSec[idx] >= sinceSec && first < 0) {
        first = failcnt[idx];
      }
      last = failcnt[idx];
    }
    return first < 0 || last < first ? null : last - first;
  }

  /** Working-set samples of the fine tier from {@code sinceSec} on, {sec, bytes}, oldest first. */
  public synchronized List<long[]> workingSetSince(long sinceSec) {
    List<long[]> out = new ArrayList<>();
    raw.forEachWorkingSet(
        (sec, kb) -> {
          if (sec >= sinceSec) {
            out.add(new long[] {sec, kb << 10});
          }
        });
    return out;
  }

  /** The last usage sample in bytes (0 before any). */
  public synchronized long lastUsageBytes() {
    return raw.lastUsageKb() << 10;
  }

  public synchronized long lastSeenSec() {
    return lastSeenSec;
  }

  public synchronized void startedSec(long startedSec) {
    if (startedSec > 0) {
      this.startedSec = startedSec;
    }
  }

  /** When the cgroup's processes started (or, failing that, when it was first sampled). */
  public synchronized long startSec() {
    return startedSec > 0 ? Math.min(startedSec, firstSeenSec) : firstSeenSec;
  }

  public synchronized int samples() {
    return raw.total;
  }

  /**
   * The trend up to {@code killSec} (later samples are ignored): peak, least-squares growth over
   * the whole history (coarse tiers for the old part, fine for the recent), its R², and a short
   * downsampled series.
   */
  public synchronized MemoryTrend trend(long killSec) {
    return trend(killSec, 0);
  }

  /**
   * The same, from {@code sinceSec} on (0: the whole history): a pod's cgroup outlives the restarts
   * of its containers, and only the samples since the killed container started tell how it grew.
   */
  public synchronized MemoryTrend trend(long killSec, long sinceSec) {
    return trend(killSec, sinceSec, false);
  }

  /**
   * The same; with {@code emptiedKillSecond}, the sample of the kill's own second was taken after
   * the kill (the emptied cgroup) and is left out, unless it is the only one since {@code
   * sinceSec}.
   */
  public synchronized MemoryTrend trend(long killSec, long sinceSec, boolean emptiedKillSecond) {
    return trend(killSec, sinceSec, emptiedKillSecond, false);
  }

  /**
   * @param strictSince no sample from {@code sinceSec} on gives no trend (rather than the whole
   *     history): a pod's cgroup holds the samples of the containers before the killed one
   */
  public synchronized MemoryTrend trend(
      long killSec, long sinceSec, boolean emptiedKillSecond, boolean strictSince) {
    List<long[]> points = merged(); // [sec, usageKb]
    // Samples after the kill show the emptied cgroup, not the container's behaviour.
    points.removeIf(p -> p[0] > killSec);
    if (emptiedKillSecond && points.stream().anyMatch(p -> p[0] < killSec && p[0] >= sinceSec)) {
      points.removeIf(p -> p[0] == killSec);
    }
    if (sinceSec > 0 && (strictSince || points.stream().anyMatch(p -> p[0] >= sinceSec))) {
      points.removeIf(p -> p[0] < sinceSec);
    }
    if (points.isEmpty()) {
      return null;
    }
    MemoryTrend t = new MemoryTrend();
    long peakKb = 0;
    long peakSec = points.get(0)[0];
    for (long[] p : points) {
      if (p[1] > peakKb) {
        peakKb = p[1];
        peakSec = p[0];
      }
    }
    long start = Math.max(startSec(), sinceSec);
    t.peakBytes = peakKb << 10;
    t.lastBytes = points.get(points.size() - 1)[1] << 10;
    t.samples = raw.total;
    t.containerAgeSeconds = Math.max(0, killSec - start);
    t.secondsToPeak = Math.max(0, peakSec - start);
    if (points.size() >= 3) {
      double[] fit = fit(points);
      t.growthBytesPerHour = Math.round(fit[0] * 1024 * 3600);
      t.fitR2 = Math.round(fit[1] * 1000) / 1000.0;
      t.fitWindowSeconds = points.get(points.size() - 1)[0] - points.get(0)[0];
    }
    t.series = downsample(points);
    return t;
  }

  /** Oldest first: ten-minute points before the minute tier's reach, then minutes, then raw. */
  private List<long[]> merged() {
    List<long[]> out = new ArrayList<>();
    long rawStart = raw.oldestSec();
    long minuteStart = minutes.oldestSec();
    tenMinutes.forEach(
        (sec, kb) -> {
          if (sec + 600 <= minuteStart) {
            out.add(new long[] {sec, kb});
          }
        });
    minutes.forEach(
        (sec, kb) -> {
          if (sec + 60 <= rawStart) {
            out.add(new long[] {sec, kb});
          }
        });
    raw.forEach((sec, kb) -> out.add(new long[] {sec, kb}));
    return out;
  }

  /** Returns {slope in KiB per second, R²}. */
  static double[] fit(List<long[]> points) {
    return io.oomdoctor.diagnosis.LineFit.of(points);
  }

  private static List<List<Long>> downsample(List<long[]> points) {
    List<List<Long>> out = new ArrayList<>(SERIES_POINTS);
    int n = points.size();
    int per = Math.max(1, (n + SERIES_POINTS - 1) / SERIES_POINTS);
    for (int i = 0; i < n; i += per) {
      long maxKb = 0;
      long sec = points.get(i)[0];
      for (int j = i; j < Math.min(n, i + per); j++) {
        if (points.get(j)[1] >= maxKb) {
          maxKb = points.get(j)[1];
          sec = points.get(j)[0];
        }
      }
      out.add(List.of(sec, maxKb << 10));
    }
    return out;
  }

  /**
   * A ring of the last {@code slots} buckets of time (the bucket's maximum usage and working set),
   * addressed by the bucket's number: a bucket without a sample holds {@link #EMPTY}, so no slot
   * spends memory on its time (two int arrays, 8 bytes a slot). The newest sample is always the
   * head: when the clock steps back, the buckets stamped after the new sample are dropped.
   */
  static final class Tier {
    interface PointConsumer {
      void accept(long sec, long kb);
    }

    static final int EMPTY = -1;

    private final int bucketSec;
    private final int[] usageKb;
    private final int[] wsKb;
    private long headBucket = -1;
    private int size; // buckets from the oldest kept to the head, with or without a sample
    private int total;

    Tier(int bucketSec, int slots) {
      this.bucketSec = bucketSec;
      this.usageKb = new int[slots];
      this.wsKb = new int[slots];
    }

    private int slot(long bucket) {
      return (int) Math.floorMod(bucket, (long) usageKb.length);
    }

    void add(long epochSec, int usage, int ws) {
      long bucket = epochSec / bucketSec;
      int slots = usageKb.length;
      if (headBucket >= 0 && bucket < headBucket) {
        // The clock stepped back: what was stamped after this sample was stamped by a clock
        // ahead of time; the newest sample is the head.
        long drop = headBucket - bucket;
        if (drop >= size) {
          headBucket = -1;
          size = 0;
        } else {
          clear(bucket + 1, headBucket);
          headBucket = bucket;
          size -= (int) drop;
        }
      }
      if (headBucket >= 0 && bucket == headBucket) {
        int i = slot(bucket);
        if (usageKb[i] == EMPTY) {
          usageKb[i] = usage;
          wsKb[i] = ws;
          total++;
        } else {
          usageKb[i] = Math.max(usageKb[i], usage);
          wsKb[i] = Math.max(wsKb[i], ws);
        }
        return;
      }
      long gap = headBucket < 0 ? 1 : bucket - headBucket;
      clear(bucket - Math.min(gap, slots) + 1, bucket - 1);
      int i = slot(bucket);
      usageKb[i] = usage;
      wsKb[i] = ws;
      headBucket = bucket;
      size = (int) Math.min((long) size + gap, slots);
      total++;
    }

    /** Marks the buckets from {@code from} to {@code to} (both included) as without a sample. */
    private void clear(long from, long to) {
      for (long b = from; b <= to; b++) {
        usageKb[slot(b)] = EMPTY;
        wsKb[slot(b)] = EMPTY;
      }
    }

    long oldestSec() {
      for (long b = headBucket - size + 1; headBucket >= 0 && b <= headBucket; b++) {
        if (usageKb[slot(b)] != EMPTY) {
          return b * bucketSec;
        }
      }
      return Long.MAX_VALUE;
    }

    long lastUsageKb() {
      return headBucket < 0 ? 0 : usageKb[slot(headBucket)];
    }

    void forEachWorkingSet(PointConsumer c) {
      forEach(c, wsKb);
    }

    void forEach(PointConsumer c) {
      forEach(c, usageKb);
    }

    private void forEach(PointConsumer c, int[] kb) {
      for (long b = headBucket - size + 1; headBucket >= 0 && b <= headBucket; b++) {
        int i = slot(b);
        if (usageKb[i] != EMPTY) {
          c.accept(b * bucketSec, kb[i]);
        }
      }
    }
  }
}
