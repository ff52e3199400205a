package io.oomdoctor.diagnosis;

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
 */
public record Finding(
    Cause cause,
    double confidence,
    String summary,
    String fix,
    Long recommendedLimitBytes,
    Map<String, String> runtimeFlags) {

  public Finding {
    runtimeFlags =
        runtimeFlags == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(runtimeFlags));
  }
}
