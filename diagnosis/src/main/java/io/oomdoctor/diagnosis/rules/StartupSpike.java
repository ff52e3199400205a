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

/** Killed within the first two minutes of the container's life: a startup (or batch) spike. */
public final class StartupSpike implements Rule {

  @Override
  public Optional<Finding> evaluate(Facts f, DiagnosisSettings s) {
    MemoryTrend t = f.trend();
    Long limit = f.limitBytes();
    if (t == null || t.containerAgeSeconds == null || limit == null || f.hostOom()) {
      return Optional.empty();
    }
    if (t.containerAgeSeconds > s.startupSeconds()) {
      return Optional.empty();
    }
    return Optional.of(
        new Finding(
            Cause.StartupSpike,
            0.7,
            f.processName()
                + " was killed "
                + t.containerAgeSeconds
                + " s after the container started, at "
                + Bytes.human(f.peakBytes())
                + " of the "
                + Bytes.human(limit)
                + " limit: the startup needs more than the limit allows.",
            "Raise the limit to cover the startup peak (the request can stay at the steady need),"
                + " or make the startup lighter (fewer parallel warm-up tasks, lazy caches).",
            s.withHeadroom(Math.max(f.demandEstimate(), limit)),
            Map.of()));
  }
}
