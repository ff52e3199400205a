package io.oomdoctor.operator;

import io.oomdoctor.diagnosis.Bytes;
import io.oomdoctor.diagnosis.Cause;
import io.oomdoctor.model.OomPolicySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Decides, for one workload container, the limit to recommend and whether to apply it now. Pure:
 * everything it needs is passed in, so every rule (bounds, step, cooldown, leaks, GitOps, bare
 * pods) is tested without a server.
 */
public final class Recommender {
  /** A diagnosed kill, as far as the recommendation needs it. */
  public record Kill(String name, Instant time, String cause, Long recommendedBytes, String fix) {}

  /** What the workload looks like now. */
  public record Target(
      String kind,
      boolean patchable,
      String managedBy,
      Long currentLimit,
      Long currentRequest,
      AppliedChanges.Change lastChangeOfContainer,
      Instant lastChangeOfWorkload) {}

  /**
   * The outcome.
   *
   * @param recommendedLimit bytes, or null in Observe mode
   * @param apply true when the operator should patch now
   * @param newRequest the request to set with the limit (RequestsAndLimits), or null to leave it
   * @param reason why it is not applied (null when applied)
   * @param retryAfter when a cooldown ends, for a later look
   * @param considered kills that count for this decision (those since the last change)
   */
  public record Decision(
      Long recommendedLimit,
      boolean apply,
      Long newRequest,
      String reason,
      Duration retryAfter,
      List<Kill> considered) {}

  /**
   * The cause of a raise before any kill: a working set that holds still near the limit (a verified
   * OomRisk of a policy's pod). After a leak's one raise, never another for a risk.
   */
  public static final String RISK_CAUSE = "WorkingSetNearLimit";

  private Recommender() {}

  /**
   * The kills a change has not answered yet: those after the kill that triggered it, or (when that
   * kill is gone) those after its time.
   */
  static List<Kill> since(List<Kill> kills, AppliedChanges.Change last) {
    if (last == null) {
      return kills;
    }
    for (int i = 0; i < kills.size(); i++) {
      if (kills.get(i).name().equals(last.kill())) {
        return kills.subList(i + 1, kills.size());
      }
    }
    return kills.stream().filter(k -> k.time().isAfter(last.time())).toList();
  }

  public static Decision decide(Policies policy, List<Kill> kills, Target target, Instant now) {
    AppliedChanges.Change last = target.lastChangeOfContainer();
    List<Kill> considered = since(kills, last);
    Long current = target.currentLimit();
    if (policy.mode() == OomPolicySpec.Mode.Observe) {
      return new Decision(
          null, false, null, RecommendationReason.ModeObserve.name(), null, considered);
    }
    if (considered.isEmpty()) {
      // Every kill is older than the last change: the change already answered them.
      return new Decision(
          current,
          false,
          null,
          last == null ? RecommendationReason.NoLimitChange.name() : null,
          null,
          considered);
    }
    Kill latest = considered.get(considered.size() - 1);
    Long evidence =
        considered.stream()
            .map(Kill::recommendedBytes)
            .filter(b -> b != null)
            .max(Long::compare)
            .orElse(null);
    if (evidence == null) {
      return new Decision(
          current, false, null, RecommendationReason.NoLimitChange.name(), null, considered);
    }
    if ((Cause.MemoryLeak.name().equals(latest.cause()) || RISK_CAUSE.equals(latest.cause()))
        && last != null
        && Cause.MemoryLeak.name().equals(last.cause())) {
      return new Decision(
          current, false, null, RecommendationReason.LeakAlreadyRaised.name(), null, considered);
    }
    long rec = Math.max(policy.minLimitBytes(), Math.min(policy.maxLimitBytes(), evidence));
    if (current != null) {
      long cap = Quantities.floorMi(current * (1 + policy.maxStepPercent() / 100.0));
      rec = Math.min(rec, Math.max(cap, current));
    }
    rec = Math.max(Bytes.MI, rec);
    if (current != null && rec <= current) {
      String why =
          current >= policy.maxLimitBytes()
              ? RecommendationReason.AtMaxLimit.name()
              : RecommendationReason.NoLimitChange.name();
      return new Decision(current, false, null, why, null, considered);
    }
    Long newRequest = null;
    if (policy.controlledValues() == OomPolicySpec.ControlledValues.RequestsAndLimits
        && target.currentRequest() != null
        && current != null
        && current > 0) {
      double ratio = target.currentRequest() / (double) current;
      newRequest = Math.max(Bytes.MI, Quantities.floorMi(rec * ratio));
    }
    if (policy.mode() == OomPolicySpec.Mode.Recommend) {
      return new Decision(
          rec, false, newRequest, RecommendationReason.ModeRecommend.name(), null, considered);
    }
    if ("Pod".equals(target.kind())) {
      return new Decision(
          rec, false, newRequest, RecommendationReason.BarePod.name(), null, considered);
    }
    if (!target.patchable()) {
      return new Decision(
          rec, false, newRequest, RecommendationReason.NotPatchable.name(), null, considered);
    }
    if (target.managedBy() != null) {
      return new Decision(
          rec, false, newRequest, RecommendationReason.GitOpsManaged.name(), null, considered);
    }
    if (target.lastChangeOfWorkload() != null) {
      Instant free = target.lastChangeOfWorkload().plus(policy.cooldown());
      if (now.isBefore(free)) {
        return new Decision(
            rec,
            false,
            newRequest,
            RecommendationReason.Cooldown.name(),
            Duration.between(now, free),
            considered);
      }
    }
    return new Decision(rec, true, newRequest, null, null, considered);
  }
}
