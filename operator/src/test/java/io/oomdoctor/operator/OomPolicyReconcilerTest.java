package io.oomdoctor.operator;

import static io.oomdoctor.operator.Cluster.WAIT;
import static io.oomdoctor.operator.OomKillReconcilerTest.diagnosed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomKillSpec;
import io.oomdoctor.model.OomPolicy;
import io.oomdoctor.model.OomPolicySpec;
import io.oomdoctor.model.OomPolicyStatus;
import io.oomdoctor.model.Recommendation;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The OomPolicy reconciler on the CRUD mock server, over several cycles. */
class OomPolicyReconcilerTest {
  static final long MI = Cluster.MI;

  static OomPolicySpec spec(OomPolicySpec.Mode mode) {
    OomPolicySpec s = Cluster.spec(mode, "web");
    s.minLimit = "32Mi";
    return s;
  }

  static Recommendation recommendation(
      Cluster c, String policy, java.util.function.Predicate<Recommendation> until) {
    return await()
        .atMost(WAIT)
        .until(
            () -> {
              OomPolicy p = c.getPolicy("shop", policy);
              if (p == null
                  || p.getStatus() == null
                  || p.getStatus().recommendations == null
                  || p.getStatus().recommendations.isEmpty()) {
                return null;
              }
              return p.getStatus().recommendations.get(0);
            },
            r -> r != null && until.test(r));
  }

  static String limit(Deployment d) {
    return d.getSpec()
        .getTemplate()
        .getSpec()
        .getContainers()
        .get(0)
        .getResources()
        .getLimits()
        .get("memory")
        .toString();
  }

  static String request(Deployment d) {
    return d.getSpec()
        .getTemplate()
        .getSpec()
        .getContainers()
        .get(0)
        .getResources()
        .getRequests()
        .get("memory")
        .toString();
  }

  /** Evidence of a kill whose peak was {@code peakMi} (the recommendation is 125 % of it). */
  static OomKillSpec tooLow(long peakMi) {
    OomKillSpec e = Cluster.evidence("too-low");
    e.trend.peakBytes = peakMi * MI;
    return e;
  }

  @Test
  void observeDiagnosesOnly() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      c.policy("shop", "web", spec(OomPolicySpec.Mode.Observe));
      diagnosed(c, c.kill(pod, "app", Cluster.evidence("too-low")));
      Recommendation r = recommendation(c, "web", x -> "ModeObserve".equals(x.reason));
      assertThat(r.recommendedLimit).isNull();
      assertThat(r.currentLimit).isEqualTo("64Mi");
      assertThat(r.cause).isEqualTo("LimitTooLow");
      assertThat(r.kills).isEqualTo(1);
      OomPolicyStatus s = c.getPolicy("shop", "web").getStatus();
      assertThat(s.killsSeen).isEqualTo(1);
      assertThat(s.workloads).isEqualTo(1);
      assertThat(Conditions.isTrue(s.conditions, "Ready")).isTrue();
      assertThat(limit(c.getDeployment("shop", "web"))).isEqualTo("64Mi");
    }
  }

  @Test
  void recommendKeepsTheLimitAndThePatchInStatus() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      c.policy("shop", "web", spec(OomPolicySpec.Mode.Recommend));
      OomKill k = diagnosed(c, c.kill(pod, "app", Cluster.evidence("too-low")));
      Recommendation r = recommendation(c, "web", x -> "ModeRecommend".equals(x.reason));
      assertThat(r.workload.kind).isEqualTo("Deployment");
      assertThat(r.container).isEqualTo("app");
      assertThat(r.currentLimit).isEqualTo("64Mi");
      assertThat(r.recommendedLimit).isEqualTo("80Mi");
      assertThat(r.lastKill).isEqualTo(k.getMetadata().getName());
      assertThat(r.applied).isFalse();
      assertThat(r.patch)
          .isEqualTo(
              "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"app\",\"resources\":{\"limits\":{\"memory\":\"80Mi\"}}}]}}}}");
      assertThat(r.command)
          .startsWith("kubectl -n shop patch deployment web --type=strategic -p '{");
      assertThat(c.getPolicy("shop", "web").getStatus().recommendationCount).isEqualTo(1);
      assertThat(limit(c.getDeployment("shop", "web"))).isEqualTo("64Mi");
      assertThat(c.events("shop", "Deployment", "web"))
          .singleElement()
          .satisfies(e -> assertThat(e.getReason()).isEqualTo("MemoryLimitRecommended"));
    }
  }

  @Test
  void applyRaisesTheLimitOnceAndRecordsIt() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      c.policy("shop", "web", spec(OomPolicySpec.Mode.Apply));
      OomKill k = diagnosed(c, c.kill(pod, "app", Cluster.evidence("too-low")));
      Recommendation r = recommendation(c, "web", x -> Boolean.TRUE.equals(x.applied));
      assertThat(r.recommendedLimit).isEqualTo("80Mi");
      assertThat(r.appliedAt).isNotNull();
      Deployment d = c.getDeployment("shop", "web");
      assertThat(limit(d)).isEqualTo("80Mi");
      assertThat(AppliedChanges.read(d).get("app"))
          .satisfies(
              ch -> {
                assertThat(ch.from()).isEqualTo("64Mi");
                assertThat(ch.to()).isEqualTo("80Mi");
                assertThat(ch.kill()).isEqualTo(k.getMetadata().getName());
              });
      List<Event> events = c.events("shop", "Deployment", "web");
      assertThat(events)
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.getReason()).isEqualTo("MemoryLimitRaised");
                assertThat(e.getMessage()).contains("from 64Mi to 80Mi");
              });
      assertThat(c.registry.find("oomdoctor_applies").counter().count()).isEqualTo(1.0);

      // The same evidence again: the limit already answers it.
      diagnosed(c, c.kill(pod, "app", Cluster.evidence("too-low")));
      Recommendation again = recommendation(c, "web", x -> x.kills == 2);
      assertThat(again.reason).isEqualTo("NoLimitChange");
      assertThat(limit(c.getDeployment("shop", "web"))).isEqualTo("80Mi");
    }
  }

  @Test
  void withoutThePermissionToPatchApplyOnlyRecommends() {
    try (Cluster c = new Cluster()) {
      c.settings = c.settings.withApplyEnabled(false);
      c.startOperator();
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      c.policy("shop", "web", spec(OomPolicySpec.Mode.Apply));
      diagnosed(c, c.kill(pod, "app", Cluster.evidence("too-low")));
      Recommendation r = recommendation(c, "web", x -> "ApplyDisabled".equals(x.reason));
      assertThat(r.recommendedLimit).isEqualTo("80Mi");
      assertThat(r.patch).isNotNull();
      assertThat(limit(c.getDeployment("shop", "web"))).isEqualTo("64Mi");
    }
  }

  @Test
  void anExcludedNamespaceIsNeverPatchedWhateverItsPolicySays() {
    try (Cluster c = new Cluster()) {
      c.settings = c.settings.withApplyExcluded(java.util.Set.of("shop"));
      c.startOperator();
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      c.policy("shop", "web", spec(OomPolicySpec.Mode.Apply));
      diagnosed(c, c.kill(pod, "app", Cluster.evidence("too-low")));
      Recommendation r = recommendation(c, "web", x -> "NamespaceExcluded".equals(x.reason));
      assertThat(r.recommendedLimit).isEqualTo("80Mi");
      assertThat(r.applied).isFalse();
      assertThat(limit(c.getDeployment("shop", "web"))).isEqualTo("64Mi");
    }
  }

  @Test
  void theOperatorBinaryDoesNotApplyUnlessToldTo() {
    assertThat(OperatorSettings.defaults().applyEnabled()).isFalse();
    assertThat(OperatorSettings.defaults().applyExcludedNamespaces())
        .containsExactly("kube-system");
  }

  @Test
  void afterARestartAPolicyCountsAllItsKillsNotTheFirstOnesAssessed() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      c.policy("shop", "web", spec(OomPolicySpec.Mode.Recommend));
      for (int i = 0; i < 3; i++) {
        diagnosed(c, c.kill(pod, "app", Cluster.evidence("too-low")));
      }
      recommendation(c, "web", x -> x.kills != null && x.kills == 3);
      c.stopOperator();
      // A new process knows no verdicts: its policy waits until the kills are assessed again.
      OomPolicy p = c.getPolicy("shop", "web");
      p.getSpec().headroomPercent = 30;
      long generation = c.client.resource(p).update().getMetadata().getGeneration();
      c.startOperator();
      OomPolicy after =
          await()
              .atMost(WAIT)
              .until(
                  () -> c.getPolicy("shop", "web"),
                  x ->
                      x.getStatus() != null
                          && java.util.Objects.equals(
                              x.getStatus().observedGeneration, generation));
      assertThat(after.getStatus().killsSeen).isEqualTo(3);
      assertThat(after.getStatus().recommendations)
          .singleElement()
          .satisfies(r -> assertThat(r.kills).isEqualTo(3));
    }
  }

  @Test
  void aDeletedPolicyLeavesTheRecommendationsGauge() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      c.policy("shop", "web", spec(OomPolicySpec.Mode.Recommend));
      c.policy("shop", "other", Cluster.spec(OomPolicySpec.Mode.Recommend, "other"));
      diagnosed(c, c.kill(pod, "app", Cluster.evidence("too-low")));
      recommendation(c, "web", x -> "ModeRecommend".equals(x.reason));
      await()
          .atMost(WAIT)
          .until(() -> c.registry.find("oomdoctor_recommendations").gauges().size() == 2);
      assertThat(c.registry.find("oomdoctor_recommendations").tag("policy", "web").gauge().value())
          .isEqualTo(1.0);

      c.client.resource(c.getPolicy("shop", "web")).delete();
      // Gauges of deleted policies are dropped at most every 30 s.
      c.clock.advance(java.time.Duration.ofSeconds(31));
      OomPolicy other = c.getPolicy("shop", "other");
      other.getSpec().headroomPercent = 30; // a change, so that it is reconciled again
      c.client.resource(other).update();
      await()
          .atMost(WAIT)
          .untilAsserted(
              () ->
                  assertThat(c.registry.find("oomdoctor_recommendations").gauges())
                      .singleElement()
                      .satisfies(g -> assertThat(g.getId().getTag("policy")).isEqualTo("other")));
    }
  }

  @Test
  void requestsAndLimitsKeepTheirRatio() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", "32Mi");
      OomPolicySpec s = spec(OomPolicySpec.Mode.Apply);
      s.controlledValues = OomPolicySpec.ControlledValues.RequestsAndLimits;
      c.policy("shop", "web", s);
      diagnosed(c, c.kill(pod, "app", Cluster.evidence("too-low")));
      recommendation(c, "web", x -> Boolean.TRUE.equals(x.applied));
      Deployment d = c.getDeployment("shop", "web");
      assertThat(limit(d)).isEqualTo("80Mi");
      assertThat(request(d)).isEqualTo("40Mi");
    }
  }

  @Test
  void boundsAndStepAreKept() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      OomPolicySpec s = spec(OomPolicySpec.Mode.Apply);
      s.maxStepPercent = 10;
      s.maxLimit = "100Mi";
      c.policy("shop", "web", s);
      diagnosed(c, c.kill(pod, "app", tooLow(200)));
      recommendation(c, "web", x -> Boolean.TRUE.equals(x.applied));
      assertThat(limit(c.getDeployment("shop", "web"))).as("one step of 10 %").isEqualTo("70Mi");
    }
  }

  @Test
  void cooldownHoldsTheNextChangeUntilItEnds() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      c.policy("shop", "web", spec(OomPolicySpec.Mode.Apply));
      diagnosed(c, c.kill(pod, "app", Cluster.evidence("too-low")));
      recommendation(c, "web", x -> Boolean.TRUE.equals(x.applied));
      KillsAfterASecond.pause();
      diagnosed(c, c.kill(pod, "app", tooLow(80)));
      Recommendation held = recommendation(c, "web", x -> "Cooldown".equals(x.reason));
      assertThat(held.recommendedLimit).isEqualTo("100Mi");
      assertThat(limit(c.getDeployment("shop", "web"))).isEqualTo("80Mi");

      // After the cooldown (the operator restarts and looks again): applied.
      c.stopOperator();
      c.clock.advance(Duration.ofMinutes(31));
      c.startOperator();
      recommendation(
          c, "web", x -> Boolean.TRUE.equals(x.applied) && "100Mi".equals(x.recommendedLimit));
      assertThat(limit(c.getDeployment("shop", "web"))).isEqualTo("100Mi");
    }
  }

  @Test
  void aLeakGetsOneRaiseOnly() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      c.policy("shop", "web", spec(OomPolicySpec.Mode.Apply));
      diagnosed(c, c.kill(pod, "app", Cluster.evidence("leak")));
      recommendation(c, "web", x -> Boolean.TRUE.equals(x.applied));
      assertThat(limit(c.getDeployment("shop", "web"))).isEqualTo("80Mi");
      c.stopOperator();
      c.clock.advance(Duration.ofHours(1));
      c.startOperator();
      OomKillSpec leak = Cluster.evidence("leak");
      leak.report.limitKb = 80L * 1024;
      leak.report.usageKb = 80L * 1024;
      leak.trend.peakBytes = 80 * MI;
      leak.trend.lastBytes = 80 * MI;
      diagnosed(c, c.kill(pod, "app", leak));
      Recommendation r = recommendation(c, "web", x -> "LeakAlreadyRaised".equals(x.reason));
      assertThat(r.recommendedLimit).isEqualTo("80Mi");
      assertThat(r.fix).contains("only delays");
      assertThat(limit(c.getDeployment("shop", "web"))).isEqualTo("80Mi");
    }
  }

  @Test
  void gitOpsManagedWorkloadsGetAProposalNotAPatch() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod argo =
          c.deployment(
              "shop",
              "web",
              "app",
              "64Mi",
              null,
              Map.of(),
              Map.of("argocd.argoproj.io/tracking-id", "shop:apps/Deployment:shop/web"));
      c.policy("shop", "web", spec(OomPolicySpec.Mode.Apply));
      diagnosed(c, c.kill(argo, "app", Cluster.evidence("too-low")));
      Recommendation r = recommendation(c, "web", x -> "GitOpsManaged".equals(x.reason));
      assertThat(r.managedBy).isEqualTo("Argo CD");
      assertThat(r.recommendedLimit).isEqualTo("80Mi");
      assertThat(r.patch).contains("\"memory\":\"80Mi\"");
      assertThat(limit(c.getDeployment("shop", "web"))).isEqualTo("64Mi");

      Pod flux =
          c.deployment(
              "shop",
              "api",
              "app",
              "64Mi",
              null,
              Map.of("kustomize.toolkit.fluxcd.io/name", "apps"),
              Map.of());
      c.policy("shop", "api", Cluster.spec(OomPolicySpec.Mode.Apply, "api"));
      diagnosed(c, c.kill(flux, "app", Cluster.evidence("too-low")));
      Recommendation f = recommendation(c, "api", x -> "GitOpsManaged".equals(x.reason));
      assertThat(f.managedBy).isEqualTo("Flux");
      assertThat(limit(c.getDeployment("shop", "api"))).isEqualTo("64Mi");
    }
  }

  @Test
  void barePodsAreNeverPatched() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.pod("shop", "web-once", "web", "app", "64Mi", null, null, null, null);
      c.policy("shop", "web", spec(OomPolicySpec.Mode.Apply));
      diagnosed(c, c.kill(pod, "app", Cluster.evidence("too-low")));
      Recommendation r = recommendation(c, "web", x -> "BarePod".equals(x.reason));
      assertThat(r.workload.kind).isEqualTo("Pod");
      assertThat(r.patch).startsWith("{\"spec\":{\"containers\":");
      assertThat(
              c.client
                  .pods()
                  .inNamespace("shop")
                  .withName("web-once")
                  .get()
                  .getSpec()
                  .getContainers()
                  .get(0)
                  .getResources()
                  .getLimits()
                  .get("memory")
                  .toString())
          .isEqualTo("64Mi");
    }
  }

  @Test
  void theNewerOfTwoPoliciesSelectingOnePodIsInvalid() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      c.policy("shop", "all", spec(OomPolicySpec.Mode.Recommend));
      KillsAfterASecond.pause();
      OomPolicySpec everything = spec(OomPolicySpec.Mode.Apply);
      everything.selector = null;
      c.policy("shop", "web", everything);
      OomPolicy loser =
          await()
              .atMost(WAIT)
              .until(
                  () -> c.getPolicy("shop", "web"),
                  p ->
                      p.getStatus() != null
                          && Conditions.isTrue(p.getStatus().conditions, "Invalid"));
      var invalid =
          loser.getStatus().conditions.stream()
              .filter(cd -> "Invalid".equals(cd.getType()))
              .findFirst()
              .orElseThrow();
      assertThat(invalid.getReason()).isEqualTo("Conflict");
      assertThat(invalid.getMessage())
          .contains(pod.getMetadata().getName())
          .contains("OomPolicy all");
      assertThat(Conditions.isTrue(loser.getStatus().conditions, "Ready")).isFalse();

      OomKill k = diagnosed(c, c.kill(pod, "app", Cluster.evidence("too-low")));
      assertThat(k.getStatus().policy).as("the older policy governs").isEqualTo("all");
      recommendation(c, "all", x -> "ModeRecommend".equals(x.reason));
      assertThat(limit(c.getDeployment("shop", "web"))).isEqualTo("64Mi");
    }
  }

  @Test
  void anInvalidPolicyGovernsNothingAndSaysWhy() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      OomPolicySpec bad = spec(OomPolicySpec.Mode.Apply);
      bad.minLimit = "2Gi";
      bad.maxLimit = "1Gi";
      c.policy("shop", "web", bad);
      OomPolicy p =
          await()
              .atMost(WAIT)
              .until(
                  () -> c.getPolicy("shop", "web"),
                  x ->
                      x.getStatus() != null
                          && Conditions.isTrue(x.getStatus().conditions, "Invalid"));
      var invalid =
          p.getStatus().conditions.stream()
              .filter(cd -> "Invalid".equals(cd.getType()))
              .findFirst()
              .orElseThrow();
      assertThat(invalid.getReason()).isEqualTo("InvalidSpec");
      assertThat(invalid.getMessage()).isEqualTo("minLimit 2Gi is greater than maxLimit 1Gi");
      assertThat(p.getSpec().minLimit).as("the operator never writes the spec").isEqualTo("2Gi");
      OomKill k = diagnosed(c, c.kill(pod, "app", Cluster.evidence("too-low")));
      assertThat(k.getStatus().policy).isNull();
      assertThat(limit(c.getDeployment("shop", "web"))).isEqualTo("64Mi");

      // Fixed by its owner: it becomes Ready.
      p.getSpec().minLimit = "32Mi";
      c.client.resource(p).update();
      await()
          .atMost(WAIT)
          .until(
              () -> c.getPolicy("shop", "web"),
              x -> Conditions.isTrue(x.getStatus().conditions, "Ready"));
    }
  }

  @Test
  void aKillWhosePodIsGoneIsCountedButNeverApplied() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      c.policy("shop", "web", spec(OomPolicySpec.Mode.Apply));
      c.client.pods().inNamespace("shop").withName(pod.getMetadata().getName()).delete();
      await()
          .atMost(WAIT)
          .until(
              () ->
                  c.client.pods().inNamespace("shop").withName(pod.getMetadata().getName()).get()
                      == null);
      diagnosed(c, c.kill(pod, "app", Cluster.evidence("too-low")));
      OomPolicy p =
          await()
              .atMost(WAIT)
              .until(
                  () -> c.getPolicy("shop", "web"),
                  x -> x.getStatus() != null && Integer.valueOf(1).equals(x.getStatus().killsSeen));
      assertThat(p.getStatus().recommendations)
          .as("only a kill of a live, verified pod recommends or applies")
          .isNullOrEmpty();
      assertThat(limit(c.getDeployment("shop", "web"))).isEqualTo("64Mi");
    }
  }

  @Test
  void aConflictOnTheWorkloadIsRetriedAndAppliedOnce() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      Status conflict =
          new StatusBuilder()
              .withCode(409)
              .withReason("Conflict")
              .withMessage("the object has been modified")
              .build();
      c.server
          .expect()
          .put()
          .withPath("/apis/apps/v1/namespaces/shop/deployments/web")
          .andReturn(409, conflict)
          .once();
      c.policy("shop", "web", spec(OomPolicySpec.Mode.Apply));
      diagnosed(c, c.kill(pod, "app", Cluster.evidence("too-low")));
      recommendation(c, "web", x -> Boolean.TRUE.equals(x.applied));
      assertThat(limit(c.getDeployment("shop", "web"))).isEqualTo("80Mi");
      assertThat(c.events("shop", "Deployment", "web"))
          .singleElement()
          .satisfies(e -> assertThat(e.getCount()).isEqualTo(1));
      assertThat(
              c.registry
                  .find("oomdoctor_reconcile_errors")
                  .tag("controller", "oompolicy")
                  .counter()
                  .count())
          .isEqualTo(1.0);
    }
  }

  @Test
  void aStatusWriteLostAfterTheApplyDoesNotApplyTwice() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      c.server
          .expect()
          .patch()
          .withPath("/apis/oomdoctor.io/v1alpha1/namespaces/shop/oompolicies/web/status")
          .andReturn(
              500,
              new StatusBuilder()
                  .withCode(500)
                  .withMessage("etcdserver: request timed out")
                  .build())
          .once();
      c.policy("shop", "web", spec(OomPolicySpec.Mode.Apply));
      OomKill k = diagnosed(c, c.kill(pod, "app", Cluster.evidence("too-low")));
      Recommendation r = recommendation(c, "web", x -> Boolean.TRUE.equals(x.applied));
      assertThat(r.recommendedLimit).isEqualTo("80Mi");
      Deployment d = c.getDeployment("shop", "web");
      assertThat(limit(d)).isEqualTo("80Mi");
      assertThat(AppliedChanges.read(d).get("app").kill()).isEqualTo(k.getMetadata().getName());
      assertThat(c.registry.find("oomdoctor_applies").counter().count()).isEqualTo(1.0);
    }
  }

  @Test
  void anOperatorRestartBetweenApplyAndStatusIsIdempotent() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      c.policy("shop", "web", spec(OomPolicySpec.Mode.Apply));
      diagnosed(c, c.kill(pod, "app", Cluster.evidence("too-low")));
      recommendation(c, "web", x -> Boolean.TRUE.equals(x.applied));
      String version = c.getDeployment("shop", "web").getMetadata().getResourceVersion();
      c.stopOperator();
      // The operator died after patching the workload and before writing status: status is empty.
      OomPolicy p = c.getPolicy("shop", "web");
      p.setStatus(new OomPolicyStatus());
      c.client.resource(p).updateStatus();
      c.startOperator();
      Recommendation r = recommendation(c, "web", x -> Boolean.TRUE.equals(x.applied));
      assertThat(r.currentLimit).isEqualTo("80Mi");
      assertThat(c.getDeployment("shop", "web").getMetadata().getResourceVersion())
          .as("not patched again")
          .isEqualTo(version);
      assertThat(c.events("shop", "Deployment", "web"))
          .singleElement()
          .satisfies(e -> assertThat(e.getCount()).isEqualTo(1));
    }
  }

  /** Creation timestamps have one-second resolution; ordering tests wait that long. */
  static final class KillsAfterASecond {
    static void pause() {
      OomKillReconcilerTest.sleep(1100);
    }
  }
}
