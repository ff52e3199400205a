package io.oomdoctor.diagnosis.risk;

import java.time.Duration;

/**
 * When a container counts as at risk before any kill.
 *
 * @param nearRatio working set at or above this share of the limit is near it
 * @param sustain … for at least this long (a spike is not a risk)
 * @param horizon a growth that meets the limit within this long is a risk
 * @param minFitWindow a growth is believed only when its fit covers at least this long
 * @param maxFitWindow … and looks back at most this far (older growth says little of now)
 * @param minR2 … and is this straight (R²): GC sawtooth and noise do not extrapolate
 * @param pressureAvg60 cgroup v2: percent of the last minute some task waited for memory
 * @param clearAfter a risk whose condition has not held for this long is cleared
 * @param renewEvery while a risk lasts, its figures (and the Event's count) are renewed this often
 */
public record RiskSettings(
    double nearRatio,
    Duration sustain,
    Duration horizon,
    Duration minFitWindow,
    Duration maxFitWindow,
    double minR2,
    double pressureAvg60,
    Duration clearAfter,
    Duration renewEvery) {

  /** For production: sustained for 10 minutes, a horizon of one hour. */
  public static RiskSettings defaults() {
    return new RiskSettings(
        0.9,
        Duration.ofMinutes(10),
        Duration.ofHours(1),
        Duration.ofMinutes(5),
        Duration.ofMinutes(30),
        0.8,
        10.0,
        Duration.ofMinutes(5),
        Duration.ofMinutes(10));
  }

  /** The same with every duration divided by {@code factor} (a demo, a test). */
  public RiskSettings compressed(long factor) {
    return new RiskSettings(
        nearRatio,
        sustain.dividedBy(factor),
        horizon.dividedBy(factor),
        minFitWindow.dividedBy(factor),
        maxFitWindow.dividedBy(factor),
        minR2,
        pressureAvg60,
        clearAfter.dividedBy(factor),
        renewEvery.dividedBy(factor));
  }
}
