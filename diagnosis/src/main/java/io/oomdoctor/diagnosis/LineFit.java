package io.oomdoctor.diagnosis;

import java.util.List;

/** A least-squares line through samples: the growth of a memory trend and how straight it is. */
public final class LineFit {
  private LineFit() {}

  /**
   * The fit of {x, y} points (x in seconds, any unit of y): {slope in y per second, R²}; {0, 0}
   * when all points share one x.
   */
  public static double[] of(List<long[]> points) {
    int n = points.size();
    double t0 = points.get(0)[0];
    double sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
    for (long[] p : points) {
      double x = p[0] - t0;
      double y = p[1];
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
      syy += y * y;
    }
    double vx = n * sxx - sx * sx;
    double vy = n * syy - sy * sy;
    if (vx <= 0) {
      return new double[] {0, 0};
    }
    double slope = (n * sxy - sx * sy) / vx;
    double r2 = vy <= 0 ? 0 : Math.pow(n * sxy - sx * sy, 2) / (vx * vy);
    return new double[] {slope, Math.min(1, Math.max(0, r2))};
  }
}
