package io.oomdoctor.operator;

import static io.oomdoctor.operator.OomKillReconcilerTest.diagnosed;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.oomdoctor.diagnosis.Diagnoser;
import io.oomdoctor.diagnosis.DiagnoserTest;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomKillSpec;
import org.junit.jupiter.api.Test;

/**
 * The operator's one cache keeps of each OomKill only what reconciling and grouping need; a
 * diagnosis still reads all of the evidence, from the API server.
 */
class KillIndexTest {
  @Test
  void theCacheDropsTheBulkyEvidence() throws Exception {
    OomKill k = new OomKill();
    k.getMetadata().setName("k");
    k.getMetadata().setNamespace("shop");
    k.setSpec(DiagnoserTest.evidence("5.15-aks-v2-systemd-pod-limit"));
    assertThat(k.getSpec().report.tasks).hasSizeGreaterThan(5);
    k.getSpec().pod = new io.oomdoctor.model.evidence.PodReference();
    k.getSpec().pod.name = "web-1";
    k.getSpec().pod.container = "app";
    k.getSpec().pod.labels = java.util.Map.of("app", "web");
    k.getMetadata().setUid("u-1");
    k.getMetadata().setGeneration(1L);
    k.getMetadata().setCreationTimestamp("2026-12-02T08:00:00Z");
    KillIndex store = new KillIndex(new Interner(100));
    store.put(store.getKey(k), k);
    OomKill cached = store.get("shop/k");
    assertThat(cached.getSpec().report).isNull();
    assertThat(cached.getSpec().trend).isNull();
    assertThat(cached.getStatus()).isNull();
    assertThat(cached.getSpec().pod.name).isEqualTo(k.getSpec().pod.name);
    assertThat(cached.getSpec().pod.labels).isEqualTo(k.getSpec().pod.labels);
    assertThat(cached.getMetadata().getUid()).isEqualTo("u-1");
    assertThat(cached.getMetadata().getCreationTimestamp()).isEqualTo("2026-12-02T08:00:00Z");
    assertThat(store.statusPrint(cached)).as("no status yet").isZero();
  }

  @Test
  void theStatusIsKeptAsItsFingerprintAndARemovalIsTold() throws Exception {
    OomKill k = new OomKill();
    k.getMetadata().setName("k");
    k.getMetadata().setNamespace("shop");
    k.getMetadata().setUid("u-1");
    k.setSpec(DiagnoserTest.evidence("5.15-aks-v2-systemd-pod-limit"));
    k.setStatus(new io.oomdoctor.model.OomKillStatus());
    k.getStatus().cause = "MemoryLeak";
    KillIndex store = new KillIndex(new Interner(100));
    java.util.List<String> removed = new java.util.ArrayList<>();
    store.onRemove(l -> removed.add(l.uid()));
    store.put(store.getKey(k), k);
    assertThat(store.statusPrint(store.get("shop/k")))
        .isEqualTo(KillRecorder.fingerprint(k.getStatus()))
        .isNotZero();
    // Another kill of the same name replaces it: the first one is gone.
    OomKill other = new OomKill();
    other.getMetadata().setName("k");
    other.getMetadata().setNamespace("shop");
    other.getMetadata().setUid("u-2");
    store.put(store.getKey(other), other);
    assertThat(removed).containsExactly("u-1");
    assertThat(store.holds("shop", "k", "u-1")).isFalse();
    assertThat(store.statusPrint(k)).as("the status it carries").isNotZero();
    store.remove("shop/k");
    assertThat(removed).containsExactly("u-1", "u-2");
    assertThat(store.size()).isZero();
  }

  @Test
  void aDiagnosisReadsTheWholeEvidenceFromTheApiServer() throws Exception {
    try (Cluster c = new Cluster().startOperator()) {
      Pod pod = c.deployment("shop", "web", "app", "48Mi", null);
      // A tmpfs filled to the limit: only the report's memory.stat (shmem) says so.
      OomKillSpec evidence = DiagnoserTest.evidence("6.18-v1-tmpfs-shmem");
      OomKill k = diagnosed(c, c.kill(pod, "app", evidence));
      // What the diagnosis says of the whole evidence.
      String expected =
          new Diagnoser(c.settings.diagnosis())
              .diagnose(c.getKill("shop", k.getMetadata().getName()).getSpec())
              .explain();
      assertThat(c.events("shop", "Pod", pod.getMetadata().getName()).get(0).getMessage())
          .endsWith(expected);
      KillIndex store = new KillIndex(new Interner(100));
      OomKill pruned = store.lean(c.getKill("shop", k.getMetadata().getName())).toKill();
      assertThat(new Diagnoser(c.settings.diagnosis()).diagnose(pruned.getSpec()).explain())
          .as("what the cached copy alone would have said")
          .isNotEqualTo(expected);
    }
  }
}
