package io.oomdoctor.diagnosis;

/**
 * How recommendations are sized.
 *
 * @param headroomPercent a new limit is the evidence-based peak times (1 + headroom)
 * @param leakBumpPercent the one bounded raise offered for a leak (raising it again only delays)
 * @param minLimitBytes no recommendation goes below this (an OomPolicy's minLimit; 0 for none)
 * @param maxLimitBytes no recommendation goes above this (an OomPolicy's maxLimit)
 */
public record DiagnosisSettings(
    int headroomPercent, int leakBumpPercent, long minLimitBytes, long maxLimitBytes) {
  public static final DiagnosisSettings DEFAULT = new DiagnosisSettings(25, 25);

  public DiagnosisSettings(int headroomPercent, int leakBumpPercent) {
    this(headroomPercent, leakBumpPercent, 0, Long.MAX_VALUE);
  }

  /** The peak plus headroom, rounded up to a MiB, within the bounds. */
  public long withHeadroom(long peakBytes) {
    return clamp(Bytes.roundUpMi(peakBytes * (1 + headroomPercent / 100.0)));
  }

  /** Within the bounds. */
  public long clamp(long bytes) {
    return Math.max(minLimitBytes, Math.min(maxLimitBytes, bytes));
  }
}
