package io.oomdoctor.operator;

import static io.oomdoctor.operator.Cluster.MI;
import static io.oomdoctor.operator.Cluster.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomPolicy;
import io.oomdoctor.model.OomPolicySpec;
import io.oomdoctor.model.OomRisk;
import io.oomdoctor.model.OomRiskSpec;
import io.oomdoctor.model.evidence.PodReference;
import io.oomdoctor.model.evidence.RuntimeCaps;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Risks before the kill, as the agent writes them: the Warning Event on the Pod (one per pod,
 * container and risk, its count rising with each report), the clear, the policy status; and the
 * same checks as for kills against forged ones — each attack is shown to have done nothing by a
 * legitimate risk of the same namespace, looked at after it.
 */
class OomRiskReconcilerTest {
  static OomRisk risk(Cluster c, Pod pod, String risk, Consumer<OomRisk> change) {
    OomRisk r = new OomRisk();
    r.getMetadata().setName(pod.getMetadata().getName() + "-" + risk.toLowerCase());
    r.getMetadata().setNamespace(pod.getMetadata().getNamespace());
    r.getMetadata()
        .setLabels(
            new HashMap<>(
                Map.of(
                    OomKill.LABEL_NODE,
                    Cluster.NODE,
                    OomKill.LABEL_POD_UID,
                    pod.getMetadata().getUid())));
    OomRiskSpec s = new OomRiskSpec();
    s.nodeName = Cluster.NODE;
    PodReference ref = new PodReference();
    ref.namespace = pod.getMetadata().getNamespace();
    ref.name = pod.getMetadata().getName();
    ref.uid = pod.getMetadata().getUid();
    ref.container = "app";
    s.pod = ref;
    s.containerId = Cluster.CONTAINER_ID;
    s.risk = risk;
    s.state = OomRisk.ACTIVE;
    s.occurrence = 1L;
    s.since = Instant.now().toString();
    s.observedAt = Instant.now().toString();
    s.limitBytes = 512 * MI;
    s.workingSetBytes = 481 * MI;
    s.sustainedSeconds = 1200L;
    s.growthBytesPerHour = 40 * MI;
    s.fitR2 = 0.93;
    s.fitWindowSeconds = 1800L;
    s.etaSeconds = 2700L;
    r.setSpec(s);
    change.accept(r);
    return c.client.resources(OomRisk.class).inNamespace(ref.namespace).resource(r).create();
  }

  static OomRisk looked(Cluster c, OomRisk r, long occurrence) {
    return await()
        .atMost(WAIT)
        .until(
            () ->
                c.client
                    .resources(OomRisk.class)
                    .inNamespace(r.getMetadata().getNamespace())
                    .withName(r.getMetadata().getName())
                    .get(),
            x ->
                x != null
                    && x.getStatus() != null
                    && x.getStatus().observedOccurrence != null
                    && x.getStatus().observedOccurrence == occurrence);
  }

  static List<Event> riskEvents(Cluster c, Pod pod) {
    return c.events(pod.getMetadata().getNamespace(), "Pod", pod.getMetadata().getName()).stream()
        .filter(
            e -> e.getReason().startsWith("OOMRisk") || e.getReason().equals("MemoryMisconfigured"))
        .toList();
  }

  @Test
  void aRiskIsOneWarningOnThePodWhoseCountRisesAndIsShownInThePolicyUntilCleared() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "cart", "app", "512Mi", null);
      c.policy("shop", "all", Cluster.spec(OomPolicySpec.Mode.Recommend, null));
      OomRisk r = looked(c, risk(c, pod, OomRisk.NEAR_LIMIT, x -> {}), 1);
      assertThat(r.getStatus().trust).isEqualTo("Verified");
      assertThat(r.getStatus().policy).isEqualTo("all");
      List<Event> ev = riskEvents(c, pod);
      assertThat(ev)
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.getType()).isEqualTo("Warning");
                assertThat(e.getReason()).isEqualTo("OOMRisk");
                assertThat(e.getMessage())
                    .isEqualTo(
                        "Container app: working set 94 % of 512Mi for 20 min; at +40Mi/h the limit is"
                            + " reached in about 45 min. Raise the limit above the working set, or find"
                            + " what holds the memory.");
                assertThat(e.getInvolvedObject().getUid()).isEqualTo(pod.getMetadata().getUid());
              });
      OomPolicy p =
          await()
              .atMost(WAIT)
              .until(
                  () -> c.getPolicy("shop", "all"),
                  x -> x.getStatus() != null && !x.getStatus().risks.isEmpty());
      assertThat(p.getStatus().risks.get(0).risk).isEqualTo(OomRisk.NEAR_LIMIT);
      assertThat(p.getStatus().risks.get(0).workload.name).isEqualTo("cart");
      assertThat(p.getStatus().risks.get(0).etaSeconds).isEqualTo(2700L);

      // Renewed twice: the same Event, count 3.
      for (long occ = 2; occ <= 3; occ++) {
        OomRisk now = r;
        now.getSpec().occurrence = occ;
        now.getSpec().workingSetBytes = 490 * MI;
        now.setStatus(null);
        r = looked(c, c.client.resources(OomRisk.class).resource(now).update(), occ);
      }
      assertThat(riskEvents(c, pod))
          .singleElement()
          .satisfies(e -> assertThat(e.getCount()).isEqualTo(3));

      // Cleared: a Normal Event, and gone from the policy's status.
      r.getSpec().occurrence = 3L;
      r.getSpec().state = OomRisk.CLEARED;
      r.getSpec().clearedBecause = "Subsided";
      r.getSpec().workingSetBytes = 150 * MI;
      r.setStatus(null);
      c.client.resources(OomRisk.class).resource(r).update();
      await().atMost(WAIT).until(() -> c.getPolicy("shop", "all").getStatus().risks, List::isEmpty);
      assertThat(riskEvents(c, pod))
          .anySatisfy(
              e -> {
                assertThat(e.getReason()).isEqualTo("OOMRiskCleared");
                assertThat(e.getType()).isEqualTo("Normal");
                assertThat(e.getMessage()).contains("has gone").contains("29 % of 512Mi");
              });
    }
  }

  @Test
  void aMisconfiguredRuntimeIsNamedWithTheFlagToSet() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "api", "app", "512Mi", null);
      RuntimeCaps caps = new RuntimeCaps();
      caps.runtime = "jvm";
      caps.jvmMaxHeapBytes = 1024 * MI;
      OomRisk r =
          looked(
              c,
              risk(
                  c,
                  pod,
                  OomRisk.MISCONFIGURED,
                  x -> {
                    OomRiskSpec s = new OomRiskSpec();
                    s.nodeName = x.getSpec().nodeName;
                    s.pod = x.getSpec().pod;
                    s.containerId = x.getSpec().containerId;
                    s.risk = OomRisk.MISCONFIGURED;
                    s.state = OomRisk.ACTIVE;
                    s.occurrence = 1L;
                    s.limitBytes = 512 * MI;
                    s.caps = caps;
                    x.setSpec(s);
                  }),
              1);
      assertThat(r.getStatus().trust).isEqualTo("Verified");
      assertThat(riskEvents(c, pod))
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.getReason()).isEqualTo("MemoryMisconfigured");
                assertThat(e.getMessage()).contains("1Gi").contains("Set: -Xmx359m.");
              });
    }
  }

  /** A legitimate risk of another pod, looked at after the attack: the attack was looked at. */
  static void marker(Cluster c, String ns) {
    Pod pod = c.deployment(ns, "marker", "app", "512Mi", null);
    looked(c, risk(c, pod, OomRisk.NEAR_LIMIT, x -> {}), 1);
    assertThat(riskEvents(c, pod)).hasSize(1);
  }

  @Test
  void forgedRisksNeverReachAPod() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod victim = c.deployment("shop", "web", "app", "512Mi", null);
      Pod other = c.deployment("bank", "ledger", "app", "512Mi", null);
      // Another UID for the pod's name.
      OomRisk uid =
          risk(
              c,
              victim,
              OomRisk.NEAR_LIMIT,
              x -> x.getSpec().pod.uid = UUID.randomUUID().toString());
      // Another node than the pod's.
      OomRisk node =
          risk(
              c,
              victim,
              OomRisk.LIMIT_IN_SIGHT,
              x -> {
                x.getSpec().nodeName = "node-b";
                x.getMetadata().getLabels().put(OomKill.LABEL_NODE, "node-b");
              });
      // A container ID the pod does not have.
      OomRisk cid =
          risk(c, victim, OomRisk.PRESSURE, x -> x.getSpec().containerId = "f".repeat(64));
      // An OomRisk in one namespace naming a pod of another.
      OomRisk cross =
          risk(
              c,
              victim,
              OomRisk.TMPFS,
              x -> {
                x.getMetadata().setNamespace("bank");
                x.getSpec().pod.namespace = "bank";
                x.getSpec().pod.name = other.getMetadata().getName();
              });
      // Figures that do not show the risk they name (an Event of text without numbers).
      OomRisk empty =
          risk(
              c,
              victim,
              OomRisk.LIMIT_IN_SIGHT,
              x -> {
                x.getMetadata().setName("empty-figures");
                x.getSpec().etaSeconds = null;
                x.getSpec().growthBytesPerHour = null;
              });
      // No container named, so that no container ID is checked.
      OomRisk nameless =
          risk(
              c,
              victim,
              OomRisk.NEAR_LIMIT,
              x -> {
                x.getMetadata().setName("no-container");
                x.getSpec().pod.container = null;
                x.getSpec().containerId = null;
              });
      assertThat(looked(c, nameless, 1).getStatus().trust).isEqualTo("ContainerNotInPod");
      assertThat(looked(c, uid, 1).getStatus().trust).isEqualTo("PodUidMismatch");
      assertThat(looked(c, node, 1).getStatus().trust).isEqualTo("NodeMismatch");
      assertThat(looked(c, cid, 1).getStatus().trust).isEqualTo("ContainerNotInPod");
      assertThat(looked(c, cross, 1).getStatus().trust).isIn("PodUidMismatch", "ContainerNotInPod");
      assertThat(looked(c, empty, 1).getStatus().trust).isEqualTo("NotSupported");
      marker(c, "shop");
      assertThat(riskEvents(c, victim)).isEmpty();
      assertThat(riskEvents(c, other)).isEmpty();
    }
  }

  @Test
  void inApplyModeASteadyWorkingSetNearTheLimitIsRaisedBeforeTheKillButAGrowthIsNot() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod growing = c.deployment("shop", "growing", "app", "512Mi", null);
      Pod steady = c.deployment("shop", "steady", "app", "512Mi", null);
      TrustAttackTest.applyAll(c, "shop");
      // A growth toward the limit (a leak, perhaps): more room only delays it.
      looked(c, risk(c, growing, OomRisk.LIMIT_IN_SIGHT, x -> {}), 1);
      // Near the limit and flat: 490 MiB of 512Mi, no growth.
      looked(
          c,
          risk(
              c,
              steady,
              OomRisk.NEAR_LIMIT,
              x -> {
                x.getSpec().workingSetBytes = 490 * MI;
                x.getSpec().growthBytesPerHour = 0L;
                x.getSpec().etaSeconds = null;
              }),
          1);
      var rec =
          await()
              .atMost(WAIT)
              .until(
                  () -> TrustAttackTest.recommendationFor(c.getPolicy("shop", "all"), "steady"),
                  r -> r != null && Boolean.TRUE.equals(r.applied));
      assertThat(rec.cause).isEqualTo(Recommender.RISK_CAUSE);
      assertThat(rec.kills).isZero();
      assertThat(
              io.oomdoctor.operator.Quantities.bytes(
                  OomPolicyReconcilerTest.limit(c.getDeployment("shop", "steady"))))
          .as("490Mi and the policy's headroom, before any kill")
          .isGreaterThan(512 * MI);
      assertThat(c.events("shop", "Deployment", "steady"))
          .anySatisfy(
              e -> {
                assertThat(e.getReason()).isEqualTo("MemoryLimitRaised");
                assertThat(e.getMessage()).contains("before any OOM kill");
              });
      assertThat(TrustAttackTest.recommendationFor(c.getPolicy("shop", "all"), "growing"))
          .as("a growth is shown as a risk, never raised")
          .isNull();
      assertThat(OomPolicyReconcilerTest.limit(c.getDeployment("shop", "growing")))
          .isEqualTo("512Mi");
      assertThat(c.getPolicy("shop", "all").getStatus().risks)
          .extracting(r -> r.risk)
          .contains(OomRisk.LIMIT_IN_SIGHT, OomRisk.NEAR_LIMIT);
    }
  }
}
