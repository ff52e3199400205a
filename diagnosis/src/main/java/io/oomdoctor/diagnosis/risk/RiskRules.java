package io.oomdoctor.diagnosis.risk;

import io.oomdoctor.diagnosis.Finding;
import io.oomdoctor.diagnosis.rules.RuntimeCap;
import io.oomdoctor.model.OomRisk;
import io.oomdoctor.model.OomRiskSpec;
import io.oomdoctor.model.evidence.RuntimeCaps;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Which risks one container's samples show, with their figures. The working set (usage less the
 * inactive file cache) is what is weighed, never the usage: page cache near the limit is reclaimed,
 * not killed for.
 */
public final class RiskRules {
  private RiskRules() {}

  /** Risk name → its figures (spec fields only), for the risks the samples show now. */
  public static Map<String, OomRiskSpec> evaluate(RiskInput in, RiskSettings s) {
    Map<String, OomRiskSpec> out = new LinkedHashMap<>();
    if (in.limitBytes() <= 0 || in.workingSet().isEmpty()) {
      return out;
    }
    long limit = in.limitBytes();
    long ws = in.workingSetNow();
    double[] fit = fit(in.workingSet(), in.nowSec(), s);
    long sustained = sustainedSeconds(in, s);
    if (sustained >= s.sustain().toSeconds()) {
      OomRiskSpec f = figures(in, sustained, fit);
      out.put(OomRisk.NEAR_LIMIT, f);
    }
    if (fit != null && fit[0] > 0 && fit[1] >= s.minR2() && ws < limit) {
      long eta = Math.round((limit - ws) / fit[0]);
      if (eta <= s.horizon().toSeconds()) {
        OomRiskSpec f = figures(in, sustained, fit);
        f.etaSeconds = eta;
        out.put(OomRisk.LIMIT_IN_SIGHT, f);
      }
    }
    if (in.pressureSomeAvg60() != null && in.pressureSomeAvg60() >= s.pressureAvg60()) {
      OomRiskSpec f = figures(in, sustained, fit);
      f.pressureSomeAvg60 = Math.min(100.0, in.pressureSomeAvg60());
      out.put(OomRisk.PRESSURE, f);
    } else if (in.failcntRise() != null
        && in.failcntRise() > 0
        && ws >= limit * (s.nearRatio() - 0.1)) {
      // cgroup v1 has no stall figure: the usage hit the limit again and again while the working
      // set (not the cache) filled most of it, so reclaim freed little.
      OomRiskSpec f = figures(in, sustained, fit);
      f.failcntRise = in.failcntRise();
      out.put(OomRisk.PRESSURE, f);
    }
    double[] tfit = fit(in.tmpfs(), in.nowSec(), s);
    long tmpfs = in.tmpfsNow();
    if (tfit != null && tfit[0] > 0 && tfit[1] >= s.minR2() && tmpfs >= limit / 10 && ws < limit) {
      long eta = Math.round((limit - ws) / tfit[0]);
      if (eta <= s.horizon().toSeconds()) {
        OomRiskSpec f = figures(in, sustained, tfit);
        f.etaSeconds = eta;
        out.put(OomRisk.TMPFS, f);
      }
    }
    return out;
  }

  private static OomRiskSpec figures(RiskInput in, long sustained, double[] fit) {
    OomRiskSpec f = new OomRiskSpec();
    f.limitBytes = in.limitBytes();
    f.workingSetBytes = in.workingSetNow();
    f.sustainedSeconds = sustained;
    f.tmpfsBytes = in.tmpfs().isEmpty() ? null : in.tmpfsNow();
    if (fit != null) {
      f.growthBytesPerHour = Math.round(fit[0] * 3600);
      f.fitR2 = Math.round(fit[1] * 1000) / 1000.0;
      f.fitWindowSeconds = (long) fit[2];
    }
    return f;
  }

  /** How long the working set has stayed at or above the near share, up to the latest sample. */
  static long sustainedSeconds(RiskInput in, RiskSettings s) {
    List<long[]> pts = in.workingSet();
    double near = in.limitBytes() * s.nearRatio();
    long from = -1;
    for (int i = pts.size() - 1; i >= 0; i--) {
      if (pts.get(i)[1] < near) {
        break;
      }
      from = pts.get(i)[0];
    }
    return from < 0 ? 0 : in.nowSec() - from;
  }

  /**
   * Least-squares growth over the samples of the last {@code maxFitWindow}: {bytes per second, R²,
   * seconds covered}; null when they cover less than {@code minFitWindow} or are fewer than 5.
   */
  static double[] fit(List<long[]> all, long nowSec, RiskSettings s) {
    List<long[]> pts = new ArrayList<>();
    for (long[] p : all) {
      if (p[0] >= nowSec - s.maxFitWindow().toSeconds()) {
        pts.add(p);
      }
    }
    if (pts.size() < 5) {
      return null;
    }
    long span = pts.get(pts.size() - 1)[0] - pts.get(0)[0];
    if (span < s.minFitWindow().toSeconds()) {
      return null;
    }
    double[] fit = io.oomdoctor.diagnosis.LineFit.of(pts);
    return new double[] {fit[0], fit[1], span};
  }

  /**
   * A runtime cap that does not fit the limit, checked when a container starts: a JVM heap that
   * fills the limit or a JVM blind to it, Node's old space at the limit, GOMEMLIMIT above the limit
   * (or none with GOGC=off), prefork workers that together outgrow it.
   *
   * @param workersSeen worker processes seen under a prefork master (0 when none)
   * @param workerRssBytes the largest worker's resident size
   */
  public static Optional<Finding> misconfigured(
      RuntimeCaps c, long limit, int workersSeen, long workerRssBytes) {
    if (c == null || c.runtime == null || limit <= 0) {
      return Optional.empty();
    }
    return switch (c.runtime) {
      case "jvm" -> RuntimeCap.jvm(c, limit);
      case "node" -> RuntimeCap.node(c, limit);
      case "go" -> go(c, limit);
      case "gunicorn" -> gunicorn(c, limit, workersSeen, workerRssBytes);
      default -> Optional.empty();
    };
  }

  private static Optional<Finding> go(RuntimeCaps c, long limit) {
    long suggested = Math.round(limit * 0.90 / io.oomdoctor.diagnosis.Bytes.MI);
    Long set = goBytes(c.goMemLimit);
    if (set != null && set > limit) {
      return Optional.of(
          new Finding(
              io.oomdoctor.diagnosis.Cause.RuntimeCapMisconfigured,
              0.85,
              "GOMEMLIMIT is "
                  + io.oomdoctor.model.Text.printable(
                      io.oomdoctor.model.Text.clip(c.goMemLimit, 32))
                  + ", above the "
                  + io.oomdoctor.diagnosis.Bytes.human(limit)
                  + " limit: the Go collector lets the heap grow past the point where the kernel"
                  + " kills.",
              "Set GOMEMLIMIT to about 90 % of the limit.",
              null,
              Map.of("GOMEMLIMIT", suggested + "MiB")));
    }
    if ((c.goMemLimit == null || c.goMemLimit.isBlank())
        && c.goGc != null
        && "off".equals(c.goGc.trim().toLowerCase(Locale.ROOT))) {
      return Optional.of(
          new Finding(
              io.oomdoctor.diagnosis.Cause.RuntimeCapMisconfigured,
              0.85,
              "GOGC=off without GOMEMLIMIT: the Go runtime never collects garbage, so its heap"
                  + " grows until the "
                  + io.oomdoctor.diagnosis.Bytes.human(limit)
                  + " limit kills it.",
              "Set GOMEMLIMIT to about 90 % of the limit (GOGC=off then collects only near it).",
              null,
              Map.of("GOMEMLIMIT", suggested + "MiB")));
    }
    return Optional.empty();
  }

  private static Optional<Finding> gunicorn(
      RuntimeCaps c, long limit, int workersSeen, long workerRssBytes) {
    int workers = c.gunicornWorkers == null ? Math.max(1, workersSeen) : c.gunicornWorkers;
    if (workersSeen <= 0 || workerRssBytes <= 0 || (long) workers * workerRssBytes <= limit) {
      return Optional.empty();
    }
    long fit = Math.max(1, (long) (limit * 0.85 / workerRssBytes));
    return Optional.of(
        new Finding(
            io.oomdoctor.diagnosis.Cause.RuntimeCapMisconfigured,
            0.7,
            "gunicorn is set to "
                + workers
                + " workers of about "
                + io.oomdoctor.diagnosis.Bytes.human(workerRssBytes)
                + " each (the largest of "
                + workersSeen
                + " seen): "
                + io.oomdoctor.diagnosis.Bytes.human((long) workers * workerRssBytes)
                + ", more than the "
                + io.oomdoctor.diagnosis.Bytes.human(limit)
                + " limit.",
            "Run at most "
                + fit
                + " workers in this limit (--workers "
                + fit
                + "), or raise the limit to fit all of them.",
            null,
            Map.of("--workers", Long.toString(fit))));
  }

  /** GOMEMLIMIT's syntax: a number with an optional B, KiB, MiB, GiB or TiB suffix. */
  static Long goBytes(String v) {
    if (v == null) {
      return null;
    }
    String t = v.trim();
    long mult = 1;
    String[][] units = {
      {"TiB", "1099511627776"},
      {"GiB", "1073741824"},
      {"MiB", "1048576"},
      {"KiB", "1024"},
      {"B", "1"}
    };
    for (String[] u : units) {
      if (t.endsWith(u[0])) {
        mult = Long.parseLong(u[1]);
        t = t.substring(0, t.length() - u[0].length());
        break;
      }
    }
    try {
      double n = Double.parseDouble(t);
      return n < 0 || Double.isNaN(n) ? null : (long) Math.min(Long.MAX_VALUE, n * mult);
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
