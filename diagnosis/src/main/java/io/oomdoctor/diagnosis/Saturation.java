package io.oomdoctor.diagnosis;

import io.oomdoctor.model.evidence.MemoryTrend;
import java.util.ArrayList;
import java.util.List;

/**
 * Growth that slowed down on its own, well below the limit: a cache filling toward the size of what
 * it is asked for (ever more requests hit it), not a leak, whose rate does not fall. Told apart by
 * the curve's bend: a parabola through the samples must explain most of what a straight line leaves
 * unexplained, bending down, and its rate at the end must be well below its rate at the start.
 * Samples at 95 % of the limit and above are left out — there the kernel's reclaim pins any
 * program's usage, a leak's too — and so is the first tenth of the container's life (its start-up).
 *
 * @param startBytesPerSecond the bend's rate at its first sample
 * @param endBytesPerSecond its rate at its last
 * @param plateauBytes where the growth levels off: the level of an exponential approach fitted to
 *     the samples
 * @param seconds how long the samples weighed cover
 */
public record Saturation(
    double startBytesPerSecond, double endBytesPerSecond, long plateauBytes, long seconds) {

  /** Samples the bend is weighed on, at least: on fewer, a bump in a leak's rate passes for one. */
  static final int MIN_POINTS = 10;

  /**
   * No step between two samples may make more than this share of the rise: a rise in a few steps
   * and flat between (an allocator keeping the largest request's memory) is no cache filling up.
   */
  static final double MAX_STEP_SHARE = 0.4;

  /** The parabola's residue at most this share of the line's: a clear bend, not noise. */
  static final double MAX_RESIDUE = 0.65;

  /** The rate at the end at most this share of the rate at the start. */
  static final double MAX_RATE_RATIO = 0.6;

  /** How the trend bent before the kill, or null when it grew straight (or too little is known). */
  public static Saturation of(MemoryTrend t, Long limit) {
    if (t == null || t.series == null || limit == null || t.series.size() < MIN_POINTS + 1) {
      return null;
    }
    long t0 = t.series.get(0).get(0);
    long end = t.series.get(t.series.size() - 1).get(0);
    double skip = t0 + (end - t0) / 10.0;
    List<long[]> pts = new ArrayList<>();
    for (long[] p : points(t.series.subList(1, t.series.size()))) {
      if (p[0] >= skip && p[1] < limit * 0.95) {
        pts.add(p);
      }
    }
    if (pts.size() < MIN_POINTS) {
      return null;
    }
    long rise = pts.get(pts.size() - 1)[1] - pts.get(0)[1];
    long largestStep = 0;
    for (int i = 1; i < pts.size(); i++) {
      largestStep = Math.max(largestStep, pts.get(i)[1] - pts.get(i - 1)[1]);
    }
    if (rise <= 0 || largestStep > rise * MAX_STEP_SHARE) {
      return null;
    }
    long x0 = pts.get(0)[0];
    long span = pts.get(pts.size() - 1)[0] - x0;
    if (span <= 0) {
      return null;
    }
    double[] quad = parabola(pts, x0);
    if (quad == null) {
      return null;
    }
    double b = quad[1];
    double c = quad[2];
    double lineResidue = lineResidue(pts, x0);
    double quadResidue = residue(pts, x0, quad);
    double startRate = b;
    double endRate = b + 2 * c * span;
    if (c >= 0
        || startRate <= 0
        || lineResidue <= 0
        || quadResidue > lineResidue * MAX_RESIDUE
        || endRate > startRate * MAX_RATE_RATIO) {
      return null;
    }
    long last = pts.get(pts.size() - 1)[1];
    long plateau = Math.max(last, levelOff(pts, x0, span));
    long peak = t.peakBytes == null ? last : t.peakBytes;
    plateau = Math.max(plateau, Math.max(peak, limit));
    return new Saturation(startRate, Math.max(0, endRate), Math.min(plateau, 4 * limit), span);
  }

  /**
   * Where a curve y = P − A·e^(−x/τ) through the points levels off (P), τ chosen among 64 values
   * from a twentieth of the span to twenty spans, P and A by least squares for each; the last point
   * when no such curve rises.
   */
  static long levelOff(List<long[]> pts, long x0, long span) {
    double best = Double.MAX_VALUE;
    double level = pts.get(pts.size() - 1)[1];
    for (int i = 0; i < 64; i++) {
      double tau = span / 20.0 * Math.pow(400, i / 63.0);
      double n = pts.size(), se = 0, sy = 0, see = 0, sey = 0;
      for (long[] p : pts) {
        double e = Math.exp(-(p[0] - x0) / tau);
        se += e;
        sy += p[1];
        see += e * e;
        sey += e * p[1];
      }
      double v = n * see - se * se;
      if (v <= 0) {
        continue;
      }
      double slope = (n * sey - se * sy) / v; // −A
      double icpt = (sy - slope * se) / n; // P
      if (slope >= 0) {
        continue; // not rising toward a level
      }
      double sse = 0;
      for (long[] p : pts) {
        double d = p[1] - (icpt + slope * Math.exp(-(p[0] - x0) / tau));
        sse += d * d;
      }
      if (sse < best) {
        best = sse;
        level = icpt;
      }
    }
    return (long) level;
  }

  /** {a, b, c} of y = a + b·x + c·x² by least squares (x from x0), or null when degenerate. */
  static double[] parabola(List<long[]> pts, long x0) {
    double s0 = pts.size(), s1 = 0, s2 = 0, s3 = 0, s4 = 0, y0 = 0, y1 = 0, y2 = 0;
    for (long[] p : pts) {
      double x = p[0] - x0;
      double y = p[1];
      s1 += x;
      s2 += x * x;
      s3 += x * x * x;
      s4 += x * x * x * x;
      y0 += y;
      y1 += x * y;
      y2 += x * x * y;
    }
    double[][] m = {{s0, s1, s2, y0}, {s1, s2, s3, y1}, {s2, s3, s4, y2}};
    for (int col = 0; col < 3; col++) {
      int pivot = col;
      for (int r = col + 1; r < 3; r++) {
        if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) {
          pivot = r;
        }
      }
      double[] tmp = m[col];
      m[col] = m[pivot];
      m[pivot] = tmp;
      if (Math.abs(m[col][col]) < 1e-12) {
        return null;
      }
      for (int r = 0; r < 3; r++) {
        if (r != col) {
          double f = m[r][col] / m[col][col];
          for (int k = col; k < 4; k++) {
            m[r][k] -= f * m[col][k];
          }
        }
      }
    }
    return new double[] {m[0][3] / m[0][0], m[1][3] / m[1][1], m[2][3] / m[2][2]};
  }

  private static double residue(List<long[]> pts, long x0, double[] q) {
    double sum = 0;
    for (long[] p : pts) {
      double x = p[0] - x0;
      double d = p[1] - (q[0] + q[1] * x + q[2] * x * x);
      sum += d * d;
    }
    return sum;
  }

  private static double lineResidue(List<long[]> pts, long x0) {
    double n = pts.size(), sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (long[] p : pts) {
      double x = p[0] - x0;
      sx += x;
      sy += p[1];
      sxx += x * x;
      sxy += x * p[1];
    }
    double v = n * sxx - sx * sx;
    if (v <= 0) {
      return 0;
    }
    double slope = (n * sxy - sx * sy) / v;
    double icpt = (sy - slope * sx) / n;
    return residue(pts, x0, new double[] {icpt, slope, 0});
  }

  /** The well-formed {sec, bytes} samples of a trend's series, in order. */
  static List<long[]> points(List<List<Long>> series) {
    List<long[]> out = new ArrayList<>(series.size());
    for (List<Long> p : series) {
      if (p != null && p.size() >= 2 && p.get(0) != null && p.get(1) != null) {
        out.add(new long[] {p.get(0), p.get(1)});
      }
    }
    return out;
  }
}
