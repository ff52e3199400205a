package io.oomdoctor.diagnosis.risk;

import io.oomdoctor.diagnosis.Bytes;
import io.oomdoctor.diagnosis.Finding;
import io.oomdoctor.model.OomRisk;
import io.oomdoctor.model.OomRiskSpec;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The sentences of the {@code OOMRisk} and {@code MemoryMisconfigured} Events, made from an
 * OomRisk's figures alone (never from text the agent wrote): "working set 94 % of 512Mi for 20 min;
 * at +40Mi/h the limit is reached in about 45 min".
 */
public final class RiskText {
  private RiskText() {}

  /** The sentence for these figures, or empty when they do not support the named risk. */
  public static Optional<String> message(OomRiskSpec s) {
    if (s == null || s.risk == null || s.limitBytes == null || s.limitBytes <= 0) {
      return Optional.empty();
    }
    long limit = s.limitBytes;
    String ws =
        s.workingSetBytes == null
            ? null
            : "working set "
                + Bytes.percent(s.workingSetBytes, limit)
                + " % of "
                + Bytes.human(limit);
    return switch (s.risk) {
      case OomRisk.NEAR_LIMIT -> {
        if (ws == null || s.sustainedSeconds == null) {
          yield Optional.empty();
        }
        yield Optional.of(
            ws
                + " for "
                + duration(s.sustainedSeconds)
                + growthClause(s)
                + ". Raise the limit above the working set, or find what holds the memory.");
      }
      case OomRisk.LIMIT_IN_SIGHT -> {
        if (ws == null || s.etaSeconds == null || s.growthBytesPerHour == null) {
          yield Optional.empty();
        }
        yield Optional.of(
            ws
                + growthClause(s)
                + " (a steady rise over "
                + duration(s.fitWindowSeconds == null ? 0 : s.fitWindowSeconds)
                + ", R² "
                + String.format(Locale.ROOT, "%.2f", s.fitR2 == null ? 0 : s.fitR2)
                + "). If it keeps rising the container is OOM-killed; a leak is fixed in the code,"
                + " a workload that grows needs a higher limit.");
      }
      case OomRisk.PRESSURE -> {
        if (ws == null) {
          yield Optional.empty();
        }
        String what =
            s.pressureSomeAvg60 != null
                ? String.format(
                    Locale.ROOT,
                    "tasks waited for memory %.0f %% of the last minute (memory.pressure)",
                    s.pressureSomeAvg60)
                : s.failcntRise != null
                    ? "the usage hit the limit " + s.failcntRise + " times (memory.failcnt)"
                    : null;
        if (what == null) {
          yield Optional.empty();
        }
        yield Optional.of(
            "memory pressure: "
                + what
                + "; "
                + ws
                + ". The kernel is reclaiming hard to stay under the limit; the next spike is"
                + " killed.");
      }
      case OomRisk.TMPFS -> {
        if (s.tmpfsBytes == null || s.etaSeconds == null || s.growthBytesPerHour == null) {
          yield Optional.empty();
        }
        yield Optional.of(
            "tmpfs (shared memory, emptyDir medium Memory) holds "
                + Bytes.human(s.tmpfsBytes)
                + " and grows "
                + rate(s.growthBytesPerHour)
                + "; at that rate the "
                + Bytes.human(limit)
                + " limit is reached in about "
                + duration(s.etaSeconds)
                + ". Files there count against the limit: delete them, or give the volume a"
                + " sizeLimit.");
      }
      case OomRisk.MISCONFIGURED -> {
        Optional<Finding> f =
            RiskRules.misconfigured(
                s.caps,
                limit,
                s.workersSeen == null ? 0 : s.workersSeen,
                s.workerRssBytes == null ? 0 : s.workerRssBytes);
        yield f.map(RiskText::misconfiguration);
      }
      default -> Optional.empty();
    };
  }

  /** A misconfiguration's sentence: what, then the exact flag to set. */
  public static String misconfiguration(Finding f) {
    StringBuilder b = new StringBuilder(f.summary()).append(' ').append(f.fix());
    if (!f.runtimeFlags().isEmpty()) {
      b.append(" Set: ");
      boolean first = true;
      for (Map.Entry<String, String> e : f.runtimeFlags().entrySet()) {
        if (!first) {
          b.append(' ');
        }
        first = false;
        b.append(flag(e.getKey(), e.getValue()));
      }
      b.append('.');
    }
    return b.toString();
  }

  static String flag(String name, String value) {
    if (value == null || value.isEmpty()) {
      return name;
    }
    if (name.equals("-Xmx")) {
      return name + value;
    }
    if (name.startsWith("-XX:")) {
      return name + "=" + value;
    }
    if (name.startsWith("--")) {
      return name + "=" + value;
    }
    return name + "=" + value; // an environment variable
  }

  private static String growthClause(OomRiskSpec s) {
    if (s.growthBytesPerHour == null || s.growthBytesPerHour <= 0) {
      return "";
    }
    String c = "; at " + rate(s.growthBytesPerHour);
    return s.etaSeconds == null
        ? c + " it keeps rising"
        : c + " the limit is reached in about " + duration(s.etaSeconds);
  }

  static String rate(long bytesPerHour) {
    if (bytesPerHour >= Bytes.GI) {
      return "+" + Math.round(bytesPerHour / 60.0 / Bytes.MI) + "Mi/min";
    }
    return bytesPerHour >= 10L * Bytes.MI
        ? "+" + Math.round(bytesPerHour / (double) Bytes.MI) + "Mi/h"
        : "+" + Math.round(bytesPerHour / 1024.0) + "Ki/h";
  }

  /** "45 s", "20 min", "3 h 10 min". */
  public static String duration(long seconds) {
    if (seconds < 120) {
      return seconds + " s";
    }
    long min = Math.round(seconds / 60.0);
    if (min < 120) {
      return min + " min";
    }
    return min / 60 + " h" + (min % 60 == 0 ? "" : " " + min % 60 + " min");
  }
}
