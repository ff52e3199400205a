package io.oomdoctor.diagnosis;

/**
 * How recommendations are sized, and the time windows the rules judge a trend by.
 *
 * @param headroomPercent a new limit is the evidence-based peak times (1 + headroom)
 * @param leakBumpPercent the one bounded raise offered for a leak (raising it again only delays)
 * @param minLimitBytes no recommendation goes below this (an OomPolicy's minLimit; 0 for none)
 * @param maxLimitBytes no recommendation goes above this (an OomPolicy's maxLimit)
 * @param leakMinWindowSeconds steady growth must be seen this long to be called a leak
 * @param startupSeconds a kill this soon after the container started is a startup spike
 * @param cacheMinAgeSeconds a container must be this old to be said to plateau at its limit
 */
public record DiagnosisSettings(
    int headroomPercent,
    int leakBumpPercent,
    long minLimitBytes,
    long maxLimitBytes,
    long leakMinWindowSeconds,
    long startupSeconds,
    long cacheMinAgeSeconds) {
  public static final DiagnosisSettings DEFAULT =
      new DiagnosisSettings(25, 25, 0, Long.MAX_VALUE, 30 * 60, 120, 600);

  public DiagnosisSettings(int headroomPercent, int leakBumpPercent) {
    this(
        headroomPercent,
        leakBumpPercent,
        DEFAULT.minLimitBytes,
        DEFAULT.maxLimitBytes,
        DEFAULT.leakMinWindowSeconds,
        DEFAULT.startupSeconds,
        DEFAULT.cacheMinAgeSeconds);
  }

  /** The same with an OomPolicy's headroom and bounds. */
  public DiagnosisSettings forPolicy(int headroom, long minLimit, long maxLimit) {
    return new DiagnosisSettings(
        headroom,
        leakBumpPercent,
        minLimit,
        maxLimit,
        leakMinWindowSeconds,
        startupSeconds,
        cacheMinAgeSeconds);
  }

  /**
   * The same with other time windows: for a demo or test that lives through in seconds what a real
   * workload does in hours.
   */
  public DiagnosisSettings withWindows(long leakMinWindow, long startup, long cacheMinAge) {
    return new DiagnosisSettings(
        headroomPercent,
        leakBumpPercent,
        minLimitBytes,
        maxLimitBytes,
        leakMinWindow,
        startup,
        cacheMinAge);
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
