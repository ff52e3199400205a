package io.oomdoctor.operator;

import static io.oomdoctor.operator.Cluster.WAIT;
import static io.oomdoctor.operator.OomKillReconcilerTest.diagnosed;
import static io.oomdoctor.operator.OomPolicyReconcilerTest.limit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomKillStatus;
import io.oomdoctor.model.OomPolicy;
import io.oomdoctor.model.OomPolicySpec;
import io.oomdoctor.model.Recommendation;
import io.oomdoctor.model.WorkloadReference;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Attacks on the operator by whoever can create an OomKill or write its status (a compromised
 * node's agent token, a tenant with rights in a namespace): each one tries to steer an Event or a
 * limit change, and each must leave the cluster as it was. "Nothing happened" is shown with a
 * positive marker: a legitimate kill of another workload under the same Apply policy, applied after
 * the attack, proves the policy was reconciled with the attack in place.
 */
class TrustAttackTest {
  /** An Apply policy over every pod of the namespace, with room to raise limits a lot. */
  static OomPolicy applyAll(Cluster c, String ns) {
    OomPolicySpec s = Cluster.spec(OomPolicySpec.Mode.Apply, null);
    s.minLimit = "32Mi";
    s.maxLimit = "16Gi";
    s.maxStepPercent = 1000;
    return c.policy(ns, "all", s);
  }

  /** A real kill of another workload, applied: the policy has run since the attack. */
  static void marker(Cluster c, String ns) {
    Pod pod = c.deployment(ns, "marker", "app", "64Mi", null);
    diagnosed(c, c.kill(pod, "app", Cluster.evidence("too-low")));
    await()
        .atMost(WAIT)
        .until(
            () -> recommendationFor(c.getPolicy(ns, "all"), "marker"),
            r -> r != null && Boolean.TRUE.equals(r.applied));
  }

  static Recommendation recommendationFor(OomPolicy p, String workload) {
    if (p == null || p.getStatus() == null || p.getStatus().recommendations == null) {
      return null;
    }
    return p.getStatus().recommendations.stream()
        .filter(r -> r.workload != null && workload.equals(r.workload.name))
        .findFirst()
        .orElse(null);
  }

  static List<String> conditions(OomKill k) {
    return k.getStatus().conditions.stream()
        .map(cd -> cd.getType() + "=" + cd.getStatus() + "/" + cd.getReason())
        .toList();
  }

  @Test
  void aKillNamingAPodByNameWithAnotherUidIsNotTrustedNorApplied() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      applyAll(c, "shop");
      OomKill k =
          c.kill(
              pod,
              "app",
              Cluster.evidence("too-low"),
              kill -> {
                String other = UUID.randomUUID().toString();
                kill.getSpec().pod.uid = other;
                kill.getSpec().attribution.podUid = other;
              });
      k = diagnosed(c, k);
      assertThat(conditions(k)).contains("Verified=False/PodUidMismatch");
      assertThat(k.getStatus().workload).isNull();
      marker(c, "shop");
      assertThat(c.events("shop", "Pod", pod.getMetadata().getName())).isEmpty();
      assertThat(limit(c.getDeployment("shop", "web"))).isEqualTo("64Mi");
      assertThat(recommendationFor(c.getPolicy("shop", "all"), "web")).isNull();
    }
  }

  @Test
  void aKillInOneNamespaceCannotReachAPodInAnother() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod victim = c.deployment("shop", "web", "app", "64Mi", null);
      applyAll(c, "shop");
      applyAll(c, "evil");
      OomKill k =
          c.kill(
              victim,
              "app",
              Cluster.evidence("too-low"),
              kill -> {
                kill.getMetadata().setNamespace("evil");
                kill.getSpec().report.process = "x\u001b[2J\r\nforged";
              });
      k = diagnosed(c, k);
      assertThat(conditions(k)).contains("Verified=False/NamespaceMismatch");
      assertThat(k.getStatus().workload).as("nothing of the victim's workload is exposed").isNull();
      assertThat(k.getStatus().policy).isNull();
      assertThat(k.getStatus().summary).doesNotContain("Deployment").doesNotContain("5d9c7");
      marker(c, "shop");
      marker(c, "evil");
      assertThat(c.events("shop", "Pod", victim.getMetadata().getName())).isEmpty();
      assertThat(c.client.v1().events().inNamespace("shop").list().getItems())
          .allMatch(e -> !e.getMessage().contains("forged"));
      assertThat(limit(c.getDeployment("shop", "web"))).isEqualTo("64Mi");
    }
  }

  @Test
  void aStatusWrittenByAnotherWriterIsRestoredAndNeverActedOn() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "1Gi", null);
      applyAll(c, "shop");
      OomKill k =
          c.kill(
              pod,
              "app",
              Cluster.evidence("too-low"),
              kill -> kill.getSpec().pod.uid = UUID.randomUUID().toString());
      k = diagnosed(c, k);
      String name = k.getMetadata().getName();
      assertThat(k.getStatus().cause).isEqualTo("Unknown");

      OomKillStatus forged = new OomKillStatus();
      forged.cause = "LimitTooLow";
      forged.workload = new WorkloadReference("apps/v1", "Deployment", "web");
      forged.policy = "all";
      forged.recommendedLimitBytes = 11L << 30;
      forged.recommendedLimit = "11Gi";
      forged.summary = "forged";
      forged.conditions =
          Conditions.set(null, "Diagnosed", true, "LimitTooLow", "forged", 1L, c.clock.instant());
      k.setStatus(forged);
      c.client.resource(k).updateStatus();

      OomKill restored =
          await()
              .atMost(WAIT)
              .until(
                  () -> c.getKill("shop", name),
                  x -> x.getStatus() != null && "Unknown".equals(x.getStatus().cause));
      assertThat(restored.getStatus().workload).isNull();
      assertThat(restored.getStatus().recommendedLimitBytes).isNull();
      marker(c, "shop");
      assertThat(limit(c.getDeployment("shop", "web"))).isEqualTo("1Gi");
      assertThat(recommendationFor(c.getPolicy("shop", "all"), "web")).isNull();
    }
  }

  @Test
  void aBarePodThatNamesAWorkloadAsItsOwnerDoesNotResizeIt() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod real = c.deployment("shop", "web", "app", "64Mi", null);
      applyAll(c, "shop");
      String rs = real.getMetadata().getOwnerReferences().get(0).getName();
      String rsUid = real.getMetadata().getOwnerReferences().get(0).getUid();
      String deployUid = c.getDeployment("shop", "web").getMetadata().getUid();
      // Each forged chain: (owner kind, name, UID, pod labels) and the reason it is refused for.
      record Forgery(String kind, String name, String uid, String app, String reason) {}
      List<Forgery> forgeries =
          List.of(
              new Forgery("Deployment", "web", deployUid, "web", "UnexpectedOwner"),
              new Forgery(
                  "ReplicaSet", rs, UUID.randomUUID().toString(), "web", "OwnerUidMismatch"),
              new Forgery("ReplicaSet", rs, rsUid, "other", "SelectorMismatch"));
      int i = 0;
      for (Forgery f : forgeries) {
        Pod evil =
            c.pod("shop", "evil-" + i++, f.app(), "app", "64Mi", null, f.kind(), f.name(), f.uid());
        OomKill k = diagnosed(c, c.kill(evil, "app", Cluster.evidence("too-low")));
        assertThat(conditions(k)).as(f.reason()).contains("Verified=True/Verified");
        assertThat(k.getStatus().workload).as(f.reason()).isNull();
      }
      marker(c, "shop");
      assertThat(limit(c.getDeployment("shop", "web"))).isEqualTo("64Mi");
      assertThat(recommendationFor(c.getPolicy("shop", "all"), "web")).isNull();
    }
  }

  @Test
  void aReplicaSetThatNamesAStatefulSetAsItsControllerDoesNotResizeIt() {
    try (Cluster c = new Cluster().startOperator()) {
      applyAll(c, "shop");
      var db =
          c.client
              .apps()
              .statefulSets()
              .inNamespace("shop")
              .resource(
                  new io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder()
                      .withNewMetadata()
                      .withName("db")
                      .endMetadata()
                      .withNewSpec()
                      .withNewSelector()
                      .addToMatchLabels("app", "db")
                      .endSelector()
                      .withTemplate(Cluster.template("db", "app", "64Mi", null))
                      .endSpec()
                      .build())
              .create();
      // The tenant's own ReplicaSet, claiming the real StatefulSet (by its real UID) as controller.
      var rs =
          c.client
              .apps()
              .replicaSets()
              .inNamespace("shop")
              .resource(
                  new io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder()
                      .withNewMetadata()
                      .withName("fake")
                      .addNewOwnerReference()
                      .withApiVersion("apps/v1")
                      .withKind("StatefulSet")
                      .withName("db")
                      .withUid(db.getMetadata().getUid())
                      .withController(true)
                      .endOwnerReference()
                      .endMetadata()
                      .withNewSpec()
                      .withNewSelector()
                      .addToMatchLabels("app", "fake")
                      .endSelector()
                      .withTemplate(Cluster.template("fake", "app", "64Mi", null))
                      .endSpec()
                      .build())
              .create();
      Pod evil =
          c.pod(
              "shop",
              "fake-1",
              "fake",
              "app",
              "64Mi",
              null,
              "ReplicaSet",
              "fake",
              rs.getMetadata().getUid());
      OomKill k = diagnosed(c, c.kill(evil, "app", Cluster.evidence("too-low")));
      assertThat(k.getStatus().workload).isNull();
      marker(c, "shop");
      assertThat(
              c.client
                  .apps()
                  .statefulSets()
                  .inNamespace("shop")
                  .withName("db")
                  .get()
                  .getSpec()
                  .getTemplate()
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
  void aContainerThatIsNotInTheTemplateNeitherResizesNorStallsThePolicy() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod real = c.deployment("shop", "web", "app", "64Mi", null);
      applyAll(c, "shop");
      // A pod of the Deployment whose container is not in its template (an ephemeral container,
      // or one renamed since): its kill is real, but there is nothing to change.
      String rs = real.getMetadata().getOwnerReferences().get(0).getName();
      String rsUid = real.getMetadata().getOwnerReferences().get(0).getUid();
      Pod odd = c.pod("shop", "web-odd", "web", "debugger", "64Mi", null, "ReplicaSet", rs, rsUid);
      diagnosed(c, c.kill(odd, "debugger", Cluster.evidence("too-low")));
      marker(c, "shop");
      Recommendation r = recommendationFor(c.getPolicy("shop", "all"), "web");
      assertThat(r).isNotNull();
      assertThat(r.reason).isEqualTo("NotPatchable");
      assertThat(limit(c.getDeployment("shop", "web"))).isEqualTo("64Mi");
    }
  }

  @Test
  void aContainerIdThatIsNotThePodsIsNotTrusted() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      OomKill k =
          c.kill(
              pod,
              "app",
              Cluster.evidence("leak"),
              kill -> kill.getSpec().attribution.containerId = "f".repeat(64));
      k = diagnosed(c, k);
      assertThat(conditions(k)).contains("Verified=False/ContainerNotInPod");
      assertThat(c.events("shop", "Pod", pod.getMetadata().getName())).isEmpty();
    }
  }

  @Test
  void controlCharactersOfAProcessNameNeverReachAnEvent() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      diagnosed(
          c,
          c.kill(
              pod,
              "app",
              Cluster.evidence("leak"),
              kill -> kill.getSpec().report.process = "a\u001b[31m\r\nb\u202e"));
      List<Event> events = c.events("shop", "Pod", pod.getMetadata().getName());
      assertThat(events).singleElement();
      String m = events.get(0).getMessage();
      assertThat(m).contains("a\\x1b[31m\\x0d\\x0ab\\u{202e}");
      assertThat(m.chars().noneMatch(ch -> ch < 0x20 || (ch >= 0x7f && ch <= 0x9f) || ch == 0x202e))
          .isTrue();
    }
  }
}
