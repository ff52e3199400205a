package io.oomdoctor.agent.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.model.evidence.MemoryTrend;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryHistoryTest {
  private static final long T0 = 1_700_000_000L;
  private static final long MIB = 1 << 20;

  @Test
  void aTierHoldsTheLastBucketsOfTimeAndNothingForTheirGaps() {
    MemoryHistory.Tier t = new MemoryHistory.Tier(10, 4);
    List<long[]> points = new ArrayList<>();
    t.add(T0, 100, 90);
    t.add(T0 + 5, 120, 80); // the same bucket: its maximum
    t.add(T0 + 30, 130, 100); // two buckets without a sample between
    points(t, points);
    assertThat(points).containsExactly(new long[] {T0, 120}, new long[] {T0 + 30, 130});
    assertThat(t.oldestSec()).isEqualTo(T0);
    t.add(T0 + 10, 110, 100); // the clock stepped back 20 s: the newest sample is the head
    points(t, points);
    assertThat(points).containsExactly(new long[] {T0, 120}, new long[] {T0 + 10, 110});
    assertThat(t.lastUsageKb()).isEqualTo(110);
    t.add(T0 + 40, 140, 100); // the ring's four buckets are now T0+10 .. T0+40
    points(t, points);
    assertThat(points).containsExactly(new long[] {T0 + 10, 110}, new long[] {T0 + 40, 140});
    assertThat(t.oldestSec()).isEqualTo(T0 + 10);
    t.add(T0 - 10, 90, 80); // back further than the ring reaches: it starts again
    points(t, points);
    assertThat(points).containsExactly(new long[] {T0 - 10, 90});
    assertThat(t.lastUsageKb()).isEqualTo(90);
    t.add(T0 + 1000, 150, 100); // an hour later: only the new sample
    points(t, points);
    assertThat(points).containsExactly(new long[] {T0 + 1000, 150});
    assertThat(t.oldestSec()).isEqualTo(T0 + 1000);
  }

  private static void points(MemoryHistory.Tier t, List<long[]> out) {
    out.clear();
    t.forEach((sec, kb) -> out.add(new long[] {sec, kb}));
  }

  @Test
  void aHistoryHoldsItsFixedRingsWhateverItsAge() {
    // 78 hours of samples every 10 s: the rings hold what they were made with, nothing more.
    MemoryHistory h = new MemoryHistory(10, T0, T0);
    for (long s = 0; s < 78 * 3600; s += 10) {
      h.add(T0 + s, 100 * MIB + (s % 600) * MIB, 90 * MIB);
    }
    long bytes =
        8L * (MemoryHistory.RAW_SLOTS + MemoryHistory.MINUTE_SLOTS + MemoryHistory.TEN_MINUTE_SLOTS)
            + 20L * MemoryHistory.FIGURE_SLOTS;
    assertThat(bytes).isLessThan(11 * 1024);
    MemoryTrend t = h.trend(T0 + 78 * 3600);
    assertThat(t.samples).isEqualTo(78 * 360);
    assertThat(t.series).isNotEmpty().hasSizeLessThanOrEqualTo(MemoryHistory.SERIES_POINTS);
  }

  @Test
  void steadyLeakHasPositiveGrowthAndAGoodFit() {
    MemoryHistory h = new MemoryHistory(10, T0, T0 - 30);
    for (int i = 0; i <= 360; i++) { // one hour, +1 MiB per minute
      h.add(T0 + i * 10L, 100 * MIB + i * 10L * MIB / 60, 90 * MIB);
    }
    MemoryTrend t = h.trend(T0 + 3600);
    assertThat(t.growthBytesPerHour).isBetween(58 * MIB, 62 * MIB);
    assertThat(t.fitR2).isGreaterThan(0.99);
    assertThat(t.peakBytes).isBetween(159 * MIB, 161 * MIB);
    assertThat(t.containerAgeSeconds).isEqualTo(3630);
    assertThat(t.series).hasSizeLessThanOrEqualTo(MemoryHistory.SERIES_POINTS).isNotEmpty();
    assertThat(t.series.get(t.series.size() - 1).get(1)).isEqualTo(t.peakBytes);
  }

  @Test
  void aPodCgroupAcrossContainerRestartsIsJudgedFromTheLastStart() {
    // A pod-level history: the container grows to 64 MiB in 50 s, is killed, restarts, grows again.
    MemoryHistory h = new MemoryHistory(1, T0, 0);
    for (int round = 0; round < 3; round++) {
      for (int s = 0; s <= 50; s++) {
        h.add(T0 + round * 60L + s, 4 * MIB + s * 60L * MIB / 50, 0);
      }
    }
    long lastStart = T0 + 120;
    long kill = T0 + 170;
    MemoryTrend whole = h.trend(kill);
    assertThat(whole.fitR2).as("a sawtooth fits badly").isLessThan(0.5);
    MemoryTrend sinceStart = h.trend(kill, lastStart);
    assertThat(sinceStart.fitR2).isGreaterThan(0.99);
    assertThat(sinceStart.growthBytesPerHour).isGreaterThan(60L * MIB * 3600 / 50 - MIB * 3600);
    assertThat(sinceStart.containerAgeSeconds).isEqualTo(50);
    assertThat(h.trend(kill, T0 + 10_000)).as("no sample since: the whole history").isNotNull();
    assertThat(h.trend(kill, T0 + 10_000, false, true))
        .as("a pod's trend since its container started: none, not its predecessors'")
        .isNull();
    assertThat(h.trend(kill, lastStart + 1, false, true).fitR2).isGreaterThan(0.99);
  }

  @Test
  void flatUsageHasNoGrowthAndSamplesAfterTheKillAreIgnored() {
    MemoryHistory h = new MemoryHistory(10, T0, 0);
    for (int i = 0; i < 100; i++) {
      h.add(T0 + i * 10L, 200 * MIB + (i % 2) * MIB, 150 * MIB);
    }
    h.add(T0 + 1000, 1 * MIB, MIB); // after the kill: the emptied cgroup
    MemoryTrend t = h.trend(T0 + 995);
    assertThat(Math.abs(t.growthBytesPerHour)).isLessThan(MIB);
    assertThat(t.lastBytes).isGreaterThanOrEqualTo(200 * MIB);
    assertThat(t.peakBytes).isEqualTo(201 * MIB);
  }

  @Test
  void threeDaysFitInBoundedMemoryAndTheOldestPartIsStillThere() {
    MemoryHistory h = new MemoryHistory(10, T0, T0);
    long seconds = 3 * 24 * 3600;
    for (long s = 0; s <= seconds; s += 10) {
      h.add(T0 + s, 100 * MIB + s * MIB / 3600, 0); // +1 MiB per hour for three days
    }
    MemoryTrend t = h.trend(T0 + seconds);
    assertThat(t.fitWindowSeconds)
        .as("coarse tiers reach back three days")
        .isGreaterThan(seconds - 3600);
    assertThat(t.growthBytesPerHour).isBetween(MIB * 95 / 100, MIB * 105 / 100);
    // Each series point is the maximum of its chunk (1/30 of the window): the first is early.
    assertThat(t.series.get(0).get(0)).isLessThan(T0 + seconds / 10);
  }

  @Test
  void emptyHistoryHasNoTrend() {
    assertThat(new MemoryHistory(10, T0, 0).trend(T0)).isNull();
  }

  @Test
  void aSecondsFirstReadIsKeptWithItsSample() {
    MemoryHistory h = new MemoryHistory(1, 100, 0);
    h.add(100, 100_950, MIB, MIB);
    h.add(100, 100_400, 2 * MIB, MIB); // an earlier read of the same second (another pass)
    assertThat(h.firstReadMillis(100)).isEqualTo(100_400);
    h.add(101, 101_700, MIB, MIB);
    assertThat(h.firstReadMillis(101)).isEqualTo(101_700);
    assertThat(h.firstReadMillis(100)).as("no longer the newest second").isZero();
  }
}
