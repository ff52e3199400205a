package io.oomdoctor.diagnosis;

/**
 * How recommendations are sized.
 *
 * @param headroomPercent a new limit is the evidence-based peak times (1 + headroom)
 * @param leakBumpPercent the one bounded raise offered for a leak (raising it again only delays)
 */
public record DiagnosisSettings(int headroomPercent, int leakBumpPercent) {
  public static final DiagnosisSettings DEFAULT = new DiagnosisSettings(25, 25);

  /** The peak plus headroom, rounded up to a MiB. */
  public long withHeadroom(long peakBytes) {
    return Bytes.roundUpMi(peakBytes * (1 + headroomPercent / 100.0));
  }
}
