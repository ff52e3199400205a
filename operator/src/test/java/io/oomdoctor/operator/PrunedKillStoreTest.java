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
 * The operator's caches keep OomKills without the bulk of their evidence; a diagnosis still reads
 * all of it, from the API server.
 */
class PrunedKillStoreTest {
  @Test
  void theCacheDropsTheBulkyEvidence() throws Exception {
    OomKill k = new OomKill();
    k.getMetadata().setName("k");
    k.getMetadata().setNamespace("shop");
    k.setSpec(DiagnoserTest.evidence("5.15-aks-v2-systemd-pod-limit"));
    assertThat(k.getSpec().report.tasks).hasSizeGreaterThan(5);
    PrunedKillStore store = new PrunedKillStore();
    store.put(store.getKey(k), k);
    OomKill cached = store.get("shop/k");
    assertThat(cached.getSpec().report.tasks).isNull();
    assertThat(cached.getSpec().report.memcgStats).isNull();
    assertThat(cached.getSpec().report.pid).isEqualTo(183960);
    assertThat(cached.getSpec().attribution.podUid).isNotNull();
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
      OomKill pruned = PrunedKillStore.prune(c.getKill("shop", k.getMetadata().getName()));
      assertThat(new Diagnoser(c.settings.diagnosis()).diagnose(pruned.getSpec()).explain())
          .as("what the cached copy alone would have said")
          .isNotEqualTo(expected);
    }
  }
}
