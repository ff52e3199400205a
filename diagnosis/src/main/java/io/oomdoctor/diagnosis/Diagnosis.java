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
    return sb.toString();
  }
}
