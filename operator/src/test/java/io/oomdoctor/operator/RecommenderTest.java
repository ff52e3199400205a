package io.oomdoctor.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.model.OomPolicy;
import io.oomdoctor.model.OomPolicySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each rule of the recommendation, without a server. */
class RecommenderTest {
  static final long MI = 1L << 20;
  static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");

  static Policies policy(
      OomPolicySpec.Mode mode,
      String min,
      String max,
      int step,
      String cooldown,
      OomPolicySpec.ControlledValues cv) {
    OomPolicy p = new OomPolicy();
    p.setSpec(new OomPolicySpec());
    p.getSpec().mode = mode;
    p.getSpec().minLimit = min;
    p.getSpec().maxLimit = max;
    p.getSpec().maxStepPercent = step;
    p.getSpec().cooldown = cooldown;
    p.getSpec().controlledValues = cv;
    return Policies.of(p);
  }

  static Policies apply() {
    return policy(
        OomPolicySpec.Mode.Apply,
        "32Mi",
        "1Gi",
        100,
        "30m",
        OomPolicySpec.ControlledValues.LimitsOnly);
  }

  static Recommender.Kill kill(String cause, long recMi, Duration ago) {
    return new Recommender.Kill("k-" + ago.toSeconds(), NOW.minus(ago), cause, recMi * MI, "fix");
  }

  static Recommender.Target deployment(long limitMi, Long requestMi) {
    return new Recommender.Target(
        "Deployment",
        true,
        null,
        limitMi * MI,
        requestMi == null ? null : requestMi * MI,
        null,
        null);
  }

  @Test
  void appliesTheEvidenceBasedLimit() {
    var d =
        Recommender.decide(
            apply(),
            List.of(kill("LimitTooLow", 80, Duration.ofMinutes(1))),
            deployment(64, null),
            NOW);
    assertThat(d.apply()).isTrue();
    assertThat(d.recommendedLimit()).isEqualTo(80 * MI);
    assertThat(d.reason()).isNull();
    assertThat(d.newRequest()).as("LimitsOnly").isNull();
  }

  @Test
  void theLargestEvidenceSinceTheLastChangeCounts() {
    var d =
        Recommender.decide(
            apply(),
            List.of(
                kill("LimitTooLow", 90, Duration.ofMinutes(5)),
                kill("LimitTooLow", 80, Duration.ofMinutes(1))),
            deployment(64, null),
            NOW);
    assertThat(d.recommendedLimit()).isEqualTo(90 * MI);
  }

  @Test
  void boundsAndStepLimitTheRaise() {
    Policies small =
        policy(
            OomPolicySpec.Mode.Apply,
            "32Mi",
            "72Mi",
            100,
            "30m",
            OomPolicySpec.ControlledValues.LimitsOnly);
    assertThat(
            Recommender.decide(
                    small,
                    List.of(kill("LimitTooLow", 80, Duration.ofMinutes(1))),
                    deployment(64, null),
                    NOW)
                .recommendedLimit())
        .isEqualTo(72 * MI);
    var atMax =
        Recommender.decide(
            small,
            List.of(kill("LimitTooLow", 80, Duration.ofMinutes(1))),
            deployment(72, null),
            NOW);
    assertThat(atMax.apply()).isFalse();
    assertThat(atMax.reason()).isEqualTo("AtMaxLimit");

    Policies tenPercent =
        policy(
            OomPolicySpec.Mode.Apply,
            "32Mi",
            "1Gi",
            10,
            "30m",
            OomPolicySpec.ControlledValues.LimitsOnly);
    assertThat(
            Recommender.decide(
                    tenPercent,
                    List.of(kill("LimitTooLow", 200, Duration.ofMinutes(1))),
                    deployment(64, null),
                    NOW)
                .recommendedLimit())
        .as("64Mi + 10 % = 70.4Mi, rounded down")
        .isEqualTo(70 * MI);

    Policies highMin =
        policy(
            OomPolicySpec.Mode.Apply,
            "256Mi",
            "1Gi",
            100,
            "30m",
            OomPolicySpec.ControlledValues.LimitsOnly);
    assertThat(
            Recommender.decide(
                    highMin,
                    List.of(kill("LimitTooLow", 80, Duration.ofMinutes(1))),
                    deployment(64, null),
                    NOW)
                .recommendedLimit())
        .as("the minimum, but never more than one step")
        .isEqualTo(128 * MI);
  }

  @Test
  void requestsFollowTheLimitAtTheSameRatio() {
    Policies p =
        policy(
            OomPolicySpec.Mode.Apply,
            "32Mi",
            "1Gi",
            100,
            "30m",
            OomPolicySpec.ControlledValues.RequestsAndLimits);
    var d =
        Recommender.decide(
            p, List.of(kill("LimitTooLow", 100, Duration.ofMinutes(1))), deployment(64, 48L), NOW);
    assertThat(d.recommendedLimit()).isEqualTo(100 * MI);
    assertThat(d.newRequest()).isEqualTo(75 * MI);
    assertThat(
            Recommender.decide(
                    p,
                    List.of(kill("LimitTooLow", 100, Duration.ofMinutes(1))),
                    deployment(64, null),
                    NOW)
                .newRequest())
        .as("no request: none is invented")
        .isNull();
  }

  @Test
  void cooldownHoldsAChangeAndSaysWhenItEnds() {
    var t =
        new Recommender.Target(
            "Deployment",
            true,
            null,
            80 * MI,
            null,
            new AppliedChanges.Change(
                "64Mi",
                "80Mi",
                "LimitTooLow",
                "k-old",
                NOW.minus(Duration.ofMinutes(10)).toString()),
            NOW.minus(Duration.ofMinutes(10)));
    var d =
        Recommender.decide(
            apply(), List.of(kill("LimitTooLow", 100, Duration.ofMinutes(1))), t, NOW);
    assertThat(d.apply()).isFalse();
    assertThat(d.reason()).isEqualTo("Cooldown");
    assertThat(d.retryAfter()).isEqualTo(Duration.ofMinutes(20));
    var later =
        Recommender.decide(
            apply(),
            List.of(kill("LimitTooLow", 100, Duration.ofMinutes(1))),
            t,
            NOW.plus(Duration.ofMinutes(21)));
    assertThat(later.apply()).isTrue();
  }

  @Test
  void killsBeforeTheLastChangeAreAnsweredAlready() {
    var t =
        new Recommender.Target(
            "Deployment",
            true,
            null,
            80 * MI,
            null,
            new AppliedChanges.Change(
                "64Mi",
                "80Mi",
                "LimitTooLow",
                "k-60",
                NOW.minus(Duration.ofSeconds(30)).toString()),
            NOW.minus(Duration.ofSeconds(30)));
    var d =
        Recommender.decide(
            apply(), List.of(kill("LimitTooLow", 80, Duration.ofMinutes(1))), t, NOW);
    assertThat(d.apply()).isFalse();
    assertThat(d.considered()).isEmpty();
    assertThat(d.recommendedLimit()).isEqualTo(80 * MI);
  }

  @Test
  void aLeakIsRaisedOnceOnly() {
    var t =
        new Recommender.Target(
            "Deployment",
            true,
            null,
            80 * MI,
            null,
            new AppliedChanges.Change(
                "64Mi", "80Mi", "MemoryLeak", "k-old", NOW.minus(Duration.ofHours(2)).toString()),
            NOW.minus(Duration.ofHours(2)));
    var d =
        Recommender.decide(
            apply(), List.of(kill("MemoryLeak", 100, Duration.ofMinutes(1))), t, NOW);
    assertThat(d.apply()).isFalse();
    assertThat(d.reason()).isEqualTo("LeakAlreadyRaised");
    assertThat(d.recommendedLimit()).isEqualTo(80 * MI);
  }

  @Test
  void gitOpsBarePodsAndModesOnlyPropose() {
    List<Recommender.Kill> k = List.of(kill("LimitTooLow", 80, Duration.ofMinutes(1)));
    var gitops = new Recommender.Target("Deployment", true, "Argo CD", 64 * MI, null, null, null);
    assertThat(Recommender.decide(apply(), k, gitops, NOW).reason()).isEqualTo("GitOpsManaged");
    var pod = new Recommender.Target("Pod", false, null, 64 * MI, null, null, null);
    assertThat(Recommender.decide(apply(), k, pod, NOW).reason()).isEqualTo("BarePod");
    var job = new Recommender.Target("Job", false, null, 64 * MI, null, null, null);
    assertThat(Recommender.decide(apply(), k, job, NOW).reason()).isEqualTo("NotPatchable");
    Policies rec =
        policy(
            OomPolicySpec.Mode.Recommend,
            "32Mi",
            "1Gi",
            100,
            "30m",
            OomPolicySpec.ControlledValues.LimitsOnly);
    var d = Recommender.decide(rec, k, deployment(64, null), NOW);
    assertThat(d.apply()).isFalse();
    assertThat(d.reason()).isEqualTo("ModeRecommend");
    assertThat(d.recommendedLimit()).isEqualTo(80 * MI);
    Policies observe =
        policy(
            OomPolicySpec.Mode.Observe,
            "32Mi",
            "1Gi",
            100,
            "30m",
            OomPolicySpec.ControlledValues.LimitsOnly);
    assertThat(Recommender.decide(observe, k, deployment(64, null), NOW).recommendedLimit())
        .isNull();
  }

  @Test
  void noLimitChangeWhenTheFixIsElsewhere() {
    var d =
        Recommender.decide(
            apply(),
            List.of(new Recommender.Kill("k", NOW, "RuntimeCapMisconfigured", null, "set -Xmx")),
            deployment(64, null),
            NOW);
    assertThat(d.apply()).isFalse();
    assertThat(d.reason()).isEqualTo("NoLimitChange");
  }

  @Test
  void invalidSpecsAreCaughtWithoutTheSchema() {
    assertThat(policy(OomPolicySpec.Mode.Apply, "2Gi", "1Gi", 100, "30m", null).problem())
        .contains("greater than maxLimit");
    assertThat(policy(OomPolicySpec.Mode.Apply, "lots", "1Gi", 100, "30m", null).problem())
        .contains("minLimit");
    assertThat(policy(OomPolicySpec.Mode.Apply, "1Mi", "1Gi", -5, "30m", null).problem())
        .contains("maxStepPercent");
    assertThat(policy(OomPolicySpec.Mode.Apply, "1Mi", "1Gi", 100, "soon", null).problem())
        .contains("cooldown");
    assertThat(policy(OomPolicySpec.Mode.Apply, "1Mi", "1Gi", 100, "1h30m", null).cooldown())
        .isEqualTo(Duration.ofMinutes(90));
    assertThat(policy(null, null, null, 100, null, null).valid())
        .as("absent fields take defaults")
        .isTrue();
  }

  @Test
  void aLeaksOneRaiseIsNeverFollowedByARaiseBeforeTheKill() {
    var t =
        new Recommender.Target(
            "Deployment",
            true,
            null,
            80 * MI,
            null,
            new AppliedChanges.Change(
                "64Mi", "80Mi", "MemoryLeak", "k-old", NOW.minus(Duration.ofHours(2)).toString()),
            NOW.minus(Duration.ofHours(2)));
    var d =
        Recommender.decide(
            apply(), List.of(kill(Recommender.RISK_CAUSE, 100, Duration.ofMinutes(1))), t, NOW);
    assertThat(d.apply()).isFalse();
    assertThat(d.reason()).isEqualTo("LeakAlreadyRaised");
  }
}
