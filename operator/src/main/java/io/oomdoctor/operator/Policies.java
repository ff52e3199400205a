package io.oomdoctor.operator;

import io.oomdoctor.model.OomPolicy;
import io.oomdoctor.model.OomPolicySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;

/**
 * An OomPolicy's spec read once, with its defaults and its problems. A policy with a problem
 * governs nothing until it is fixed.
 */
public record Policies(
    OomPolicySpec.Mode mode,
    int headroomPercent,
    long minLimitBytes,
    long maxLimitBytes,
    int maxStepPercent,
    Duration cooldown,
    OomPolicySpec.ControlledValues controlledValues,
    String problem) {

  /** Reads a policy, applying defaults for absent fields; {@code problem} says what is wrong. */
  public static Policies of(OomPolicy policy) {
    OomPolicySpec s = policy.getSpec() == null ? new OomPolicySpec() : policy.getSpec();
    OomPolicySpec d = new OomPolicySpec();
    String problem = null;
    int headroom = s.headroomPercent == null ? d.headroomPercent : s.headroomPercent;
    int step = s.maxStepPercent == null ? d.maxStepPercent : s.maxStepPercent;
    String minText = s.minLimit == null ? d.minLimit : s.minLimit;
    String maxText = s.maxLimit == null ? d.maxLimit : s.maxLimit;
    String cooldownText = s.cooldown == null ? d.cooldown : s.cooldown;
    Long min = Quantities.bytes(minText);
    Long max = Quantities.bytes(maxText);
    Duration cooldown = Quantities.duration(cooldownText);
    if (headroom < 0) {
      problem = "headroomPercent is negative (" + headroom + ")";
    } else if (step < 1) {
      problem = "maxStepPercent must be at least 1 (is " + step + ")";
    } else if (min == null || min < 0) {
      problem = "minLimit is not a memory quantity: " + minText;
    } else if (max == null || max <= 0) {
      problem = "maxLimit is not a positive memory quantity: " + maxText;
    } else if (min > max) {
      problem = "minLimit " + minText + " is greater than maxLimit " + maxText;
    } else if (cooldown == null) {
      problem = "cooldown is not a duration like 30m or 1h: " + cooldownText;
    } else {
      problem = Selectors.problem(s.selector);
    }
    return new Policies(
        s.mode == null ? d.mode : s.mode,
        headroom,
        min == null ? 0 : min,
        max == null ? Long.MAX_VALUE : max,
        step,
        cooldown == null ? Duration.ZERO : cooldown,
        s.controlledValues == null ? d.controlledValues : s.controlledValues,
        problem);
  }

  public boolean valid() {
    return problem == null;
  }

  /** Older policies take precedence; ties by name. */
  public static final Comparator<OomPolicy> PRECEDENCE =
      Comparator.comparing((OomPolicy p) -> created(p))
          .thenComparing(p -> p.getMetadata().getName());

  static Instant created(OomPolicy p) {
    String ts = p.getMetadata().getCreationTimestamp();
    try {
      return ts == null ? Instant.MAX : Instant.parse(ts);
    } catch (RuntimeException e) {
      return Instant.MAX;
    }
  }

  /**
   * The policy that governs a pod with these labels: the oldest valid policy of its namespace that
   * selects it. Newer policies that select the same pod are in conflict and govern nothing.
   */
  public static Optional<OomPolicy> governing(
      Collection<OomPolicy> policiesOfNamespace, Map<String, String> podLabels) {
    return policiesOfNamespace.stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .filter(p -> of(p).valid())
        .filter(
            p -> Selectors.matches(p.getSpec() == null ? null : p.getSpec().selector, podLabels))
        .min(PRECEDENCE);
  }
}
