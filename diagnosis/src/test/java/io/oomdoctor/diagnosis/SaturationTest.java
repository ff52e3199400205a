package io.oomdoctor.diagnosis;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.model.OomKillSpec;
import io.oomdoctor.model.evidence.MemoryTrend;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.LongUnaryOperator;
import org.junit.jupiter.api.Test;

/** A cache filling up bends; a leak does not, whatever its noise. */
class SaturationTest {
  static final long MI = Bytes.MI;
  static final long LIMIT = 96 * MI;

  /** Samples every {@code step} s from 0 up to the first at or above the limit. */
  static MemoryTrend series(long step, LongUnaryOperator bytesAt) {
    MemoryTrend t = new MemoryTrend();
    t.series = new ArrayList<>();
    long peak = 0;
    for (long s = 0; s < 3600; s += step) {
      long y = Math.min(LIMIT, bytesAt.applyAsLong(s));
      t.series.add(List.of(1_000_000 + s, y));
      peak = Math.max(peak, y);
      if (y >= LIMIT) {
        break;
      }
    }
    t.peakBytes = peak;
    t.lastBytes = peak;
    t.samples = t.series.size();
    t.containerAgeSeconds = (long) t.series.size() * step;
    return t;
  }

  @Test
  void aCacheFillingTowardItsSizeBendsAndItsPlateauIsEstimated() {
    // 120 MiB of distinct answers, asked for at random: it fills as 120·(1 − e^(−t/20 s))
    MemoryTrend t = series(1, s -> (long) (5 * MI + 115 * MI * (1 - Math.exp(-s / 20.0))));
    Saturation sat = Saturation.of(t, LIMIT);
    assertThat(sat).isNotNull();
    assertThat(sat.endBytesPerSecond()).isLessThan(sat.startBytesPerSecond() * 0.65);
    assertThat(sat.plateauBytes()).isBetween(100 * MI, 150 * MI);
  }

  @Test
  void aStraightLeakDoesNotBendWithWhateverNoiseOrStart() {
    Random r = new Random(7);
    int bent = 0;
    List<String> which = new ArrayList<>();
    for (int seed = 0; seed < 300; seed++) {
      double rate = (0.5 + r.nextDouble() * 8) * MI; // bytes a second
      long start = (long) (r.nextDouble() * 40 * MI); // an interpreter's or a JVM's start-up
      double noise = r.nextDouble() * 0.15; // sawtooth of a collector, as a share of the limit
      double period = 1 + r.nextDouble() * 9;
      long step = 1 + r.nextInt(3);
      MemoryTrend t =
          series(
              step,
              s ->
                  (long)
                      (start
                          + rate * s
                          - noise * LIMIT * ((s % period) / period)
                          + r.nextGaussian() * MI));
      if (Saturation.of(t, LIMIT) != null) {
        bent++;
        which.add("rate " + rate / MI + " start " + start / MI + " noise " + noise);
      }
    }
    // at most 1 % (0.35 % of 2,000 such leaks when the thresholds were chosen)
    assertThat(which).as("leaks taken for a bend").hasSizeLessThanOrEqualTo(3);
    assertThat(bent).isLessThanOrEqualTo(3);
  }

  /** The recorded trends of real kills: every cache bends, no leak (nor steady load) does. */
  @Test
  void onTheTrendsOfRealKillsCachesBendAndLeaksDoNot() throws IOException {
    List<String> caches = new ArrayList<>();
    List<String> leaks = new ArrayList<>();
    int cacheTraces = 0;
    int leakTraces = 0;
    try (var in = getClass().getResourceAsStream("/traces/catalog.txt")) {
      for (String line : new String(in.readAllBytes()).split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] f = line.split(" ");
        long limit = Long.parseLong(f[1]) * MI;
        MemoryTrend t = new MemoryTrend();
        t.series = new ArrayList<>();
        long peak = 0;
        for (int i = 2; i < f.length; i++) {
          String[] p = f[i].split(":");
          long y = Long.parseLong(p[1]);
          t.series.add(List.of(Long.parseLong(p[0]), y));
          peak = Math.max(peak, y);
        }
        t.peakBytes = peak;
        Saturation sat = Saturation.of(t, limit);
        if (f[0].contains("cache")) {
          cacheTraces++;
          if (sat == null) {
            caches.add(line);
          }
        } else if (f[0].contains("leak") || f[0].contains("sawtooth") || f[0].contains("steady")) {
          leakTraces++;
          if (sat != null) {
            leaks.add(line + " -> " + sat);
          }
        }
      }
    }
    assertThat(cacheTraces).isGreaterThanOrEqualTo(5);
    assertThat(leakTraces).isGreaterThanOrEqualTo(40);
    assertThat(leaks).as("leaks taken for a cache").isEmpty();
    assertThat(caches).as("caches not seen to bend").isEmpty();
  }

  @Test
  void aLeakPinnedAtTheLimitWhileTheKernelReclaimsIsStillALeak() {
    // straight up to 95 % of the limit, then crawling while the kernel reclaims its file pages
    MemoryTrend t =
        series(
            1,
            s -> {
              long y = 10 * MI + s * 3 * MI;
              return y < 0.95 * LIMIT ? y : (long) (0.95 * LIMIT + (y - 0.95 * LIMIT) / 8);
            });
    assertThat(Saturation.of(t, LIMIT)).isNull();
  }

  @Test
  void aCacheFillingUpIsDiagnosedSoAndSizedAtItsPlateau() throws IOException {
    OomKillSpec e = DiagnoserTest.evidence("6.18-v1-cgroupfs-container-limit"); // 64Mi limit
    long limit = 64 * MI;
    MemoryTrend t = new MemoryTrend();
    t.series = new ArrayList<>();
    long peak = 0;
    for (long s = 0; s <= 60; s += 2) {
      long y = Math.min(limit, (long) (2 * MI + 78 * MI * (1 - Math.exp(-s / 30.0))));
      t.series.add(List.of(5_000 + s, y));
      peak = Math.max(peak, y);
    }
    t.peakBytes = peak;
    t.lastBytes = peak;
    t.samples = t.series.size();
    t.containerAgeSeconds = 60L;
    t.growthBytesPerHour = 40 * MI * 60;
    t.fitR2 = 0.93; // a straight line fits it well enough to have been called a leak
    t.fitWindowSeconds = 60L;
    t.secondsToPeak = 60L;
    e.trend = t;
    Diagnosis d = new Diagnoser(DiagnosisSettings.DEFAULT.withWindows(4, 3, 600)).diagnose(e);
    assertThat(d.cause()).isEqualTo(Cause.UnboundedCache);
    assertThat(d.primary().summary()).contains("ever more slowly").contains("Not a leak");
    // sized where it levels off (about 80Mi) plus headroom, not at the limit plus headroom
    assertThat(d.primary().recommendedLimitBytes()).isBetween(90 * MI, 125 * MI);
  }
}
