package io.oomdoctor.diagnosis.rules;

import io.oomdoctor.diagnosis.Bytes;
import io.oomdoctor.diagnosis.Cause;
import io.oomdoctor.diagnosis.DiagnosisSettings;
import io.oomdoctor.diagnosis.Facts;
import io.oomdoctor.diagnosis.Finding;
import io.oomdoctor.diagnosis.Rule;
import io.oomdoctor.model.evidence.MemoryTrend;
import java.util.Map;
import java.util.Optional;

/** No growth, no spike, no cap at fault: the normal load simply needs more than the limit. */
public final class LimitTooLow implements Rule {
  @Override
  public Optional<Finding> evaluate(Facts f, DiagnosisSettings s) {
    Long limit = f.limitBytes();
    if (limit == null || f.hostOom()) {
      return Optional.empty();
    }
    MemoryTrend t = f.trend();
    boolean flat =
        t != null
            && t.growthBytesPerHour != null
            && (Math.abs(t.growthBytesPerHour) < limit * 0.05 || t.fitR2 == null || t.fitR2 < 0.5);
    String shape =
        t == null
            ? "with no earlier samples to show a trend"
            : flat ? "with no growth trend before the kill" : "while still growing";
    return Optional.of(
        new Finding(
            Cause.LimitTooLow,
            flat ? 0.55 : 0.4,
            f.processName()
                + " used "
                + Bytes.human(f.peakBytes())
                + " of the "
                + Bytes.human(limit)
                + " limit "
                + shape
                + ": the normal load needs more than the limit.",
            "Raise the limit (and the request, so that the scheduler reserves it) to what it would"
                + " have used — the peak, or where its growth was heading — plus headroom.",
            s.withHeadroom(Math.max(f.demandEstimate(), limit)),
            Map.of()));
  }
}
