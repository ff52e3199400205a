package io.oomdoctor.diagnosis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One rule's conclusion.
 *
 * @param cause the cause this rule stands for
 * @param confidence 0..1
 * @param summary one plain sentence with the numbers
 * @param fix what to do, one or two sentences
 * @param recommendedLimitBytes the limit to set, or null when changing the limit is not the fix
 * @param runtimeFlags flags or variables to set (name to value, in the order to show), empty when
 *     none; a flag with an empty value stands alone
 * @param evidenceFor what in the evidence speaks for this cause, one plain sentence each
 * @param evidenceAgainst what speaks against it
 */
public record Finding(
    Cause cause,
    double confidence,
    String summary,
    String fix,
    Long recommendedLimitBytes,
    Map<String, String> runtimeFlags,
    List<String> evidenceFor,
    List<String> evidenceAgainst) {

  public Finding {
    runtimeFlags =
        runtimeFlags == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(runtimeFlags));
    evidenceFor = evidenceFor == null ? List.of() : List.copyOf(evidenceFor);
    evidenceAgainst = evidenceAgainst == null ? List.of() : List.copyOf(evidenceAgainst);
    confidence = Math.max(0, Math.min(1, confidence));
  }

  /** A rule's finding: its summary is the evidence for it. */
  public Finding(
      Cause cause,
      double confidence,
      String summary,
      String fix,
      Long recommendedLimitBytes,
      Map<String, String> runtimeFlags) {
    this(
        cause,
        confidence,
        summary,
        fix,
        recommendedLimitBytes,
        runtimeFlags,
        List.of(summary),
        List.of());
  }

  /** The same finding, less certain for the reason given. */
  public Finding weakened(double factor, String against) {
    List<String> a = new ArrayList<>(evidenceAgainst);
    a.add(against);
    return new Finding(
        cause,
        confidence * factor,
        summary,
        fix,
        recommendedLimitBytes,
        runtimeFlags,
        evidenceFor,
        a);
  }

  /** The same finding, at least {@code floor} sure, for the reason given. */
  public Finding strengthened(double floor, String forIt) {
    List<String> f = new ArrayList<>(evidenceFor);
    f.add(forIt);
    return new Finding(
        cause,
        Math.max(confidence, floor),
        summary,
        fix,
        recommendedLimitBytes,
        runtimeFlags,
        f,
        evidenceAgainst);
  }

  /** The same finding with another summary (the numbers a later look added). */
  public Finding withSummary(String newSummary) {
    return new Finding(
        cause,
        confidence,
        newSummary,
        fix,
        recommendedLimitBytes,
        runtimeFlags,
        evidenceFor,
        evidenceAgainst);
  }
}
