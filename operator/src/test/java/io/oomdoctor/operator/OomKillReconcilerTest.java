package io.oomdoctor.operator;

import static io.oomdoctor.operator.Cluster.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.oomdoctor.diagnosis.DiagnoserTest;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomKillSpec;
import io.oomdoctor.model.OomPolicySpec;
import io.oomdoctor.model.WorkloadReference;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The OomKill reconciler on the CRUD mock server: status, Pod and Node Events, retention. */
class OomKillReconcilerTest {

  static OomKill diagnosed(Cluster c, OomKill k) {
    return await()
        .atMost(WAIT)
        .until(
            () -> c.getKill(k.getMetadata().getNamespace(), k.getMetadata().getName()),
            x -> x != null && x.getStatus() != null && x.getStatus().cause != null);
  }

  @Test
  void diagnosesAKillIntoStatusAndAWarningEventOnThePod() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", "32Mi");
      c.policy("shop", "web", Cluster.spec(OomPolicySpec.Mode.Recommend, "web"));
      OomKill k = diagnosed(c, c.kill(pod, "app", Cluster.evidence("leak")));

      assertThat(k.getStatus().cause).isEqualTo("MemoryLeak");
      assertThat(k.getStatus().confidence).isBetween(0.5, 1.0);
      assertThat(k.getStatus().summary).contains("20Mi an hour");
      assertThat(k.getStatus().fix).contains("only delays");
      assertThat(k.getStatus().recommendedLimit)
          .as("80Mi from the evidence, raised to the policy's default minLimit")
          .isEqualTo("128Mi");
      assertThat(k.getStatus().workload)
          .isEqualTo(new WorkloadReference("apps/v1", "Deployment", "web"));
      assertThat(k.getStatus().policy).isEqualTo("web");
      assertThat(k.getStatus().observedGeneration).isEqualTo(k.getMetadata().getGeneration());
      assertThat(k.getStatus().conditions)
          .extracting(cd -> cd.getType() + "=" + cd.getStatus() + "/" + cd.getReason())
          .containsExactly("Diagnosed=True/MemoryLeak", "Verified=True/Verified");
      // Every cause weighed, the primary first, with its evidence.
      assertThat(k.getStatus().candidates).isNotEmpty();
      assertThat(k.getStatus().candidates.get(0).cause).isEqualTo("MemoryLeak");
      assertThat(k.getStatus().candidates.get(0).confidence).isEqualTo(k.getStatus().confidence);
      assertThat(k.getStatus().candidates.get(0).evidenceFor)
          .anyMatch(x -> x.contains("20Mi an hour"));

      List<Event> events = c.events("shop", "Pod", pod.getMetadata().getName());
      assertThat(events)
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.getType()).isEqualTo("Warning");
                assertThat(e.getReason()).isEqualTo("OOMKilled");
                assertThat(e.getCount()).isEqualTo(1);
                assertThat(e.getSource().getComponent()).isEqualTo("oomdoctor");
                assertThat(e.getInvolvedObject().getUid()).isEqualTo(pod.getMetadata().getUid());
                assertThat(e.getMessage())
                    .startsWith(
                        "Container app: process alloc (pid 15236) was OOM-killed at limit 64Mi. Cause: MemoryLeak.")
                    .contains("20Mi an hour")
                    .contains("Recommended limit: 128Mi.");
              });
      assertThat(
              c.registry
                  .find("oomdoctor_kills")
                  .tag("cause", "MemoryLeak")
                  .tag("workload", "Deployment/web")
                  .counter()
                  .count())
          .isEqualTo(1.0);
    }
  }

  @Test
  void repeatedKillsOfOnePodAndCauseCountOnOneEventForTenMinutes() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      diagnosed(c, c.kill(pod, "app", Cluster.evidence("leak")));
      diagnosed(c, c.kill(pod, "app", Cluster.evidence("leak")));
      OomKill third = diagnosed(c, c.kill(pod, "app", Cluster.evidence("leak")));
      List<Event> events = c.events("shop", "Pod", pod.getMetadata().getName());
      assertThat(events)
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.getCount()).isEqualTo(3);
                assertThat(e.getMessage()).contains("MemoryLeak");
                assertThat(e.getMetadata().getAnnotations().get(EventRecorder.COUNTED_ANNOTATION))
                    .contains(third.getMetadata().getName());
              });

      diagnosed(c, c.kill(pod, "app", Cluster.evidence("spike")));
      assertThat(c.events("shop", "Pod", pod.getMetadata().getName()))
          .as("another cause is another event")
          .hasSize(2);

      c.clock.advance(Duration.ofMinutes(11));
      diagnosed(c, c.kill(pod, "app", Cluster.evidence("leak")));
      assertThat(c.events("shop", "Pod", pod.getMetadata().getName()))
          .as("after ten quiet minutes a new event starts")
          .hasSize(3)
          .extracting(Event::getCount)
          .containsExactlyInAnyOrder(3, 1, 1);
    }
  }

  @Test
  void anOomKillThatStandsForSeveralKillsCountsThemAll() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      c.policy("shop", "web", Cluster.spec(OomPolicySpec.Mode.Recommend, "web"));
      OomKillSpec e = Cluster.evidence("leak");
      e.repeats = new io.oomdoctor.model.evidence.Repeats();
      e.repeats.count = 7;
      e.repeats.firstTimestamp = "2026-12-02T06:00:00Z";
      e.repeats.lastTimestamp = "2026-12-02T06:00:30Z";
      OomKill k = diagnosed(c, c.kill(pod, "app", e));
      assertThat(c.events("shop", "Pod", pod.getMetadata().getName()))
          .singleElement()
          .satisfies(
              ev -> {
                assertThat(ev.getCount()).isEqualTo(7);
                assertThat(ev.getMessage())
                    .contains("with 6 more kills of it up to 2026-12-02T06:00:30Z");
              });
      assertThat(c.registry.find("oomdoctor_kills").counter().count()).isEqualTo(7.0);
      await()
          .atMost(WAIT)
          .until(
              () -> c.getPolicy("shop", "web"),
              p -> p.getStatus() != null && Integer.valueOf(7).equals(p.getStatus().killsSeen));
      assertThat(k.getStatus().cause).isEqualTo("MemoryLeak");
    }
  }

  @Test
  void aKillWithoutAPolicyIsStillDiagnosed() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      OomKill k = diagnosed(c, c.kill(pod, "app", Cluster.evidence("spike")));
      assertThat(k.getStatus().cause).isEqualTo("StartupSpike");
      assertThat(k.getStatus().policy).isNull();
      assertThat(k.getStatus().recommendedLimit)
          .as("no policy: headroom 25 %, no bounds")
          .isEqualTo("80Mi");
      assertThat(c.events("shop", "Pod", pod.getMetadata().getName())).hasSize(1);
    }
  }

  @Test
  void aKillWhosePodIsGoneIsDiagnosedFromTheReport() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      c.policy("shop", "web", Cluster.spec(OomPolicySpec.Mode.Recommend, "web"));
      c.client.pods().inNamespace("shop").withName(pod.getMetadata().getName()).delete();
      await()
          .atMost(WAIT)
          .until(
              () ->
                  c.client.pods().inNamespace("shop").withName(pod.getMetadata().getName()).get()
                      == null);
      OomKill k = diagnosed(c, c.kill(pod, "app", Cluster.evidence("leak")));
      assertThat(k.getStatus().cause).isEqualTo("MemoryLeak");
      assertThat(k.getStatus().workload)
          .as("a workload is only resolved from a live pod's owners, never from the report")
          .isNull();
      assertThat(k.getStatus().policy).as("matched by the recorded labels").isEqualTo("web");
      assertThat(k.getStatus().conditions)
          .extracting(cd -> cd.getType() + "=" + cd.getStatus() + "/" + cd.getReason())
          .containsExactly("Diagnosed=True/MemoryLeak", "Verified=False/PodGone");
      assertThat(k.getStatus().conditions.get(0).getMessage()).contains("is gone");
      assertThat(c.events("shop", "Pod", pod.getMetadata().getName()))
          .as("no Event on a pod the operator cannot see")
          .isEmpty();
      assertThat(c.events("shop", "OomKill", k.getMetadata().getName()))
          .as("the Event stays with the evidence")
          .singleElement()
          .satisfies(e -> assertThat(e.getMessage()).contains("MemoryLeak"));
    }
  }

  @Test
  void aHostOomGetsAnEventOnTheNode() throws Exception {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      OomKillSpec e = DiagnoserTest.evidence("5.x-global-oom");
      OomKill k = c.kill(pod, "app", e);
      k = diagnosed(c, k);
      assertThat(k.getStatus().cause).isEqualTo("HostOom");
      List<Event> node = c.events("default", "Node", Cluster.NODE);
      assertThat(node)
          .singleElement()
          .satisfies(
              ev -> {
                assertThat(ev.getType()).isEqualTo("Warning");
                assertThat(ev.getReason()).isEqualTo("SystemOOM");
                assertThat(ev.getMessage()).contains("HostOom");
              });
      assertThat(c.events("shop", "Pod", pod.getMetadata().getName())).hasSize(1);
    }
  }

  @Test
  void aReportFromAnotherNodeIsNotTrusted() {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      pod.getSpec().setNodeName("node-b");
      c.client.pods().inNamespace("shop").resource(pod).update();
      OomKill k = diagnosed(c, c.kill(pod, "app", Cluster.evidence("leak")));
      assertThat(k.getStatus().conditions)
          .extracting(cd -> cd.getType() + "=" + cd.getStatus() + "/" + cd.getReason())
          .containsExactly("Diagnosed=False/NodeMismatch", "Verified=False/NodeMismatch");
      assertThat(k.getStatus().summary).contains("node-a").contains("node-b");
      assertThat(c.events("shop", "Pod", pod.getMetadata().getName())).isEmpty();
    }
  }

  @Test
  void onlyTheNewestKillsPerWorkloadContainerAreKept() {
    try (Cluster c = new Cluster()) {
      c.settings = c.settings.withRetention(Duration.ofDays(7), 3);
      c.startOperator();
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      List<String> names = new java.util.ArrayList<>();
      for (int i = 0; i < 5; i++) {
        names.add(
            diagnosed(c, c.kill(pod, "app", Cluster.evidence("leak"))).getMetadata().getName());
        sleep(1100); // creation timestamps have one-second resolution
      }
      await()
          .atMost(WAIT)
          .untilAsserted(
              () ->
                  assertThat(
                          c.client.resources(OomKill.class).inNamespace("shop").list().getItems())
                      .extracting(k -> k.getMetadata().getName())
                      .containsExactlyInAnyOrderElementsOf(names.subList(2, 5)));
    }
  }

  @Test
  void killsOlderThanTheRetentionAreRemoved() {
    try (Cluster c = new Cluster()) {
      c.settings = c.settings.withRetention(Duration.ofHours(1), 50);
      c.startOperator();
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      OomKill k = diagnosed(c, c.kill(pod, "app", Cluster.evidence("leak")));
      c.stopOperator();
      c.clock.advance(Duration.ofMinutes(61));
      c.startOperator();
      await().atMost(WAIT).until(() -> c.getKill("shop", k.getMetadata().getName()) == null);
    }
  }

  @Test
  void aKillThatOutlivesTheRetentionWhileTheOperatorRunsIsRemoved() {
    try (Cluster c = new Cluster()) {
      c.settings = c.settings.withRetention(Duration.ofSeconds(2), 50);
      c.startOperator();
      Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
      OomKill old = diagnosed(c, c.kill(pod, "app", Cluster.evidence("leak")));
      // No timer per kill: the periodic sweep finds it once the clock has passed its retention.
      // Nothing else touches the kill: only the sweep can hand it to the reconciler.
      c.clock.advance(Duration.ofMinutes(5));
      await().atMost(WAIT).until(() -> c.getKill("shop", old.getMetadata().getName()) == null);
    }
  }

  @Test
  void theSweepLooksAtTheCacheAtMostEveryMinuteAndAtLeastEverySecond() {
    assertThat(RetentionSweep.interval(Duration.ofDays(7))).isEqualTo(Duration.ofMinutes(1));
    assertThat(RetentionSweep.interval(Duration.ofSeconds(2))).isEqualTo(Duration.ofSeconds(1));
    assertThat(RetentionSweep.interval(Duration.ofSeconds(20))).isEqualTo(Duration.ofSeconds(5));
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
