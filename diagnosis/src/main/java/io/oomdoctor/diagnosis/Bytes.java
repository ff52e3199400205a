package io.oomdoctor.diagnosis;

/** Byte counts as Kubernetes quantities and the way people read them. */
public final class Bytes {
  public static final long MI = 1L << 20;
  public static final long GI = 1L << 30;

  private Bytes() {}

  /** Binary units as kubectl prints them: 1536Mi is kept, 2048Mi becomes 2Gi. */
  public static String human(long bytes) {
    if (bytes >= GI && bytes % GI == 0) {
      return bytes / GI + "Gi";
    }
    if (bytes >= 10 * GI) {
      return String.format(java.util.Locale.ROOT, "%.1fGi", bytes / (double) GI);
    }
    if (bytes >= MI) {
      return Math.round(bytes / (double) MI) + "Mi";
    }
    return Math.round(bytes / 1024.0) + "Ki";
  }

  /** Rounds up to a whole MiB (limits are set in Mi). */
  public static long roundUpMi(double bytes) {
    return (long) Math.ceil(bytes / MI) * MI;
  }

  /** Percentage of a in b, rounded. */
  public static long percent(long a, long b) {
    return b <= 0 ? 0 : Math.round(a * 100.0 / b);
  }
}
