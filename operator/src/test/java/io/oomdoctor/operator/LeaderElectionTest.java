package io.oomdoctor.operator;

import static io.oomdoctor.operator.Cluster.WAIT;
import static io.oomdoctor.operator.OomKillReconcilerTest.diagnosed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Two replicas share one Lease: one acts, and the other takes over when it stops. */
class LeaderElectionTest {
  static LeaderElectionConfiguration lease(String identity) {
    return new LeaderElectionConfiguration(
        "oomdoctor-operator",
        "oomdoctor",
        Duration.ofSeconds(3),
        Duration.ofSeconds(2),
        Duration.ofMillis(250),
        identity,
        null,
        false);
  }

  static double kills(SimpleMeterRegistry r) {
    return r.find("oomdoctor_kills").counters().stream().mapToDouble(Counter::count).sum();
  }

  String holder(Cluster c) {
    Lease l = c.client.leases().inNamespace("oomdoctor").withName("oomdoctor-operator").get();
    return l == null || l.getSpec() == null ? null : l.getSpec().getHolderIdentity();
  }

  @Test
  void oneReplicaActsAndTheOtherTakesOver() {
    try (Cluster c = new Cluster()) {
      c.allowLeases();
      SimpleMeterRegistry ra = new SimpleMeterRegistry();
      SimpleMeterRegistry rb = new SimpleMeterRegistry();
      OomDoctorOperator a = c.replica(lease("replica-a"), ra).start();
      await().atMost(WAIT).until(() -> "replica-a".equals(holder(c)));
      OomDoctorOperator b = c.replica(lease("replica-b"), rb).start();
      try {
        Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
        diagnosed(c, c.kill(pod, "app", Cluster.evidence("leak")));
        await().atMost(WAIT).until(() -> kills(ra) == 1.0);
        OomKillReconcilerTest.sleep(1000);
        assertThat(kills(rb)).as("the standby replica does nothing").isZero();
        assertThat(c.events("shop", "Pod", pod.getMetadata().getName()))
            .singleElement()
            .satisfies(e -> assertThat(e.getCount()).isEqualTo(1));

        a.close();
        await().atMost(WAIT).until(() -> "replica-b".equals(holder(c)));
        diagnosed(c, c.kill(pod, "app", Cluster.evidence("spike")));
        assertThat(kills(rb)).isEqualTo(1.0);
        assertThat(kills(ra)).isEqualTo(1.0);
      } finally {
        b.close();
        a.close();
      }
    }
  }
}
