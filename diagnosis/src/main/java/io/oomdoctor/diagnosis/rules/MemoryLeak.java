package io.oomdoctor.diagnosis.rules;

import io.oomdoctor.diagnosis.Bytes;
import io.oomdoctor.diagnosis.Cause;
import io.oomdoctor.diagnosis.DiagnosisSettings;
import io.oomdoctor.diagnosis.Facts;
import io.oomdoctor.diagnosis.Finding;
import io.oomdoctor.diagnosis.Rule;
import io.oomdoctor.model.evidence.MemoryTrend;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Steady, linear growth up to the limit over a long window: a leak. Raising the limit only delays
 * the next kill, so the recommendation is one bounded raise, and the fix is elsewhere.
 */
public final class MemoryLeak implements Rule {
  static final double MIN_R2 = 0.8;

  @Override
  public Optional<Finding> evaluate(Facts f, DiagnosisSettings s) {
    MemoryTrend t = f.trend();
    Long limit = f.limitBytes();
    if (t == null
        || limit == null
        || f.hostOom()
        || t.growthBytesPerHour == null
        || t.fitR2 == null) {
      return Optional.empty();
    }
    if (t.growthBytesPerHour <= 0
        || f.saturation() != null // slowed on its own: a cache filling up, not a leak
        || t.fitR2 < MIN_R2
        || t.fitWindowSeconds == null
        || t.fitWindowSeconds < s.leakMinWindowSeconds()) {
      return Optional.empty();
    }
    long bump = s.clamp(Bytes.roundUpMi(limit * (1 + s.leakBumpPercent() / 100.0)));
    Duration buys = Duration.ofSeconds(Math.round((bump - limit) * 3600.0 / t.growthBytesPerHour));
    return Optional.of(
        new Finding(
            Cause.MemoryLeak,
            0.85,
            "Memory grew steadily by "
                + Bytes.human(t.growthBytesPerHour)
                + " an hour for "
                + human(Duration.ofSeconds(t.fitWindowSeconds))
                + " (R² "
                + t.fitR2
                + ") until it reached the "
                + Bytes.human(limit)
                + " limit: a leak.",
            (bump > limit
                    ? "Raising the limit only delays the next kill: "
                        + Bytes.human(bump)
                        + " buys about "
                        + human(buys)
                        + " at this rate."
                    : "The limit is already at the policy's maximum; raising it would only delay"
                        + " the next kill.")
                + " Find the leak (a heap dump or allocation profile of a pod near"
                + " its limit); meanwhile recycle workers or restart on a schedule shorter than"
                + " that.",
            bump > limit ? bump : null,
            Map.of()));
  }

  public static String human(Duration d) {
    if (d.toDays() >= 2) {
      return d.toDays() + " days";
    }
    if (d.toHours() >= 2) {
      return d.toHours() + " hours";
    }
    if (d.toMinutes() >= 2) {
      return d.toMinutes() + " minutes";
    }
    long sec = Math.max(1, d.toSeconds());
    return sec == 1 ? "1 second" : sec + " seconds";
  }
}
