package io.oomdoctor.diagnosis.rules;

import io.oomdoctor.diagnosis.Bytes;
import io.oomdoctor.diagnosis.Cause;
import io.oomdoctor.diagnosis.DiagnosisSettings;
import io.oomdoctor.diagnosis.Facts;
import io.oomdoctor.diagnosis.Finding;
import io.oomdoctor.diagnosis.Rule;
import io.oomdoctor.diagnosis.Saturation;
import io.oomdoctor.model.evidence.MemoryTrend;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Grew to the limit, then stayed there long before the kill: a cache or a runtime that takes what
 * it is allowed, without a bound of its own.
 */
public final class UnboundedCache implements Rule {
  @Override
  public Optional<Finding> evaluate(Facts f, DiagnosisSettings s) {
    MemoryTrend t = f.trend();
    Long limit = f.limitBytes();
    if (t == null || limit == null || f.hostOom()) {
      return Optional.empty();
    }
    Saturation sat = f.saturation();
    if (sat != null) {
      return Optional.of(
          new Finding(
              Cause.UnboundedCache,
              0.75,
              "Memory grew ever more slowly — "
                  + Bytes.human((long) (sat.startBytesPerSecond() * 60))
                  + " a minute at first, "
                  + Bytes.human((long) (sat.endBytesPerSecond() * 60))
                  + " a minute "
                  + MemoryLeak.human(Duration.ofSeconds(sat.seconds()))
                  + " later — as a cache does that fills toward the size of what it is asked for;"
                  + " it met the "
                  + Bytes.human(limit)
                  + " limit before levelling off, at about "
                  + Bytes.human(sat.plateauBytes())
                  + ". Not a leak: a leak's rate does not fall.",
              "Give the cache a bound of its own below the limit (entries, bytes, or a time to"
                  + " live), or raise the limit to hold it where it levels off.",
              s.withHeadroom(Math.max(f.peakBytes(), sat.plateauBytes())),
              Map.of()));
    }
    if (t.secondsToPeak == null || t.containerAgeSeconds == null || t.lastBytes == null) {
      return Optional.empty();
    }
    long atLimitFor = t.containerAgeSeconds - t.secondsToPeak;
    if (t.containerAgeSeconds < s.cacheMinAgeSeconds()
        || atLimitFor < t.containerAgeSeconds / 2
        || t.lastBytes < limit * 0.9) {
      return Optional.empty();
    }
    return Optional.of(
        new Finding(
            Cause.UnboundedCache,
            0.6,
            "Memory rose to the "
                + Bytes.human(limit)
                + " limit within "
                + Math.max(1, t.secondsToPeak / 60)
                + " minutes and stayed there for "
                + atLimitFor / 60
                + " minutes before the kill: something fills whatever room it has.",
            "Give the cache or the runtime a bound of its own below the limit (a cache size, JVM"
                + " MaxRAMPercentage, GOMEMLIMIT) instead of relying on the container limit.",
            null,
            Map.of()));
  }
}
