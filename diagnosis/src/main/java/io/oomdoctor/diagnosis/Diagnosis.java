package io.oomdoctor.diagnosis;

import java.util.List;

/**
 * The diagnosis of one OOM kill: the primary finding and the others that also hold, strongest
 * first.
 */
public record Diagnosis(Finding primary, List<Finding> others) {
  public Cause cause() {
    return primary.cause();
  }

  /** A flag as it is written: -Xmx112m, -XX:MaxRAMPercentage=70.0, GOMEMLIMIT=460MiB. */
  public static String flag(String name, String value) {
    if (value == null || value.isEmpty()) {
      return name;
    }
    if (name.equals("-Xmx") || name.equals("-Xms") || name.equals("-Xss")) {
      return name + value;
    }
    return name + "=" + value;
  }

  /** Below this, the text says plainly that the diagnosis is not certain. */
  public static final double LOW_CONFIDENCE = 0.6;

  /** The text a person reads (in an event, or from {@code oomdoctor-agent explain}). */
  public String explain() {
    StringBuilder sb = new StringBuilder();
    sb.append(primary.summary()).append(' ').append(primary.fix());
    if (primary.recommendedLimitBytes() != null) {
      sb.append(" Recommended limit: ")
          .append(Bytes.human(primary.recommendedLimitBytes()))
          .append('.');
    }
    if (!primary.runtimeFlags().isEmpty()) {
      sb.append(" Set: ");
      primary.runtimeFlags().forEach((k, v) -> sb.append(flag(k, v)).append(' '));
      sb.setLength(sb.length() - 1);
      sb.append('.');
    }
    if (primary.confidence() < LOW_CONFIDENCE && primary.cause() != Cause.Unknown) {
      sb.append(" Not certain (").append(Math.round(primary.confidence() * 100)).append(" % sure)");
      if (!others.isEmpty()) {
        Finding next = others.get(0);
        sb.append("; it may also be that ")
            .append(next.cause().meaning())
            .append(" (")
            .append(Math.round(next.confidence() * 100))
            .append(" %)");
      }
      sb.append('.');
    }
    return sb.toString();
  }
}
