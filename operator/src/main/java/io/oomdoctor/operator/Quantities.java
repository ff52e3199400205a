package io.oomdoctor.operator;

import io.fabric8.kubernetes.api.model.Quantity;
import io.oomdoctor.diagnosis.Bytes;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Kubernetes quantities and Go durations as the operator reads and writes them. */
public final class Quantities {
  private static final Pattern DURATION_PART = Pattern.compile("([0-9]+)(h|m|s)");

  private Quantities() {}

  /** Bytes of a memory quantity; null for null or unparseable input. */
  public static Long bytes(String quantity) {
    if (quantity == null || quantity.isBlank()) {
      return null;
    }
    try {
      return Quantity.getAmountInBytes(new Quantity(quantity)).longValueExact();
    } catch (RuntimeException e) {
      return null;
    }
  }

  public static Long bytes(Quantity q) {
    return q == null ? null : bytes(q.toString());
  }

  /** A limit as it is written into a pod template: whole Mi (or Gi). */
  public static String format(long bytes) {
    return Bytes.human(bytes);
  }

  /** Rounds down to a whole MiB. */
  public static long floorMi(double bytes) {
    return (long) Math.floor(bytes / Bytes.MI) * Bytes.MI;
  }

  /** A Go-style duration of whole hours, minutes and seconds (30m, 1h30m); null if malformed. */
  public static Duration duration(String text) {
    if (text == null || text.isBlank()) {
      return null;
    }
    Matcher m = DURATION_PART.matcher(text);
    Duration d = Duration.ZERO;
    int end = 0;
    while (m.find()) {
      if (m.start() != end) {
        return null;
      }
      long n = Long.parseLong(m.group(1));
      d =
          switch (m.group(2)) {
            case "h" -> d.plusHours(n);
            case "m" -> d.plusMinutes(n);
            default -> d.plusSeconds(n);
          };
      end = m.end();
    }
    return end == text.length() && end > 0 ? d : null;
  }
}
