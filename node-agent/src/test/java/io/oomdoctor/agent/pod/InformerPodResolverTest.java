package io.oomdoctor.agent.pod;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.oomdoctor.agent.testing.MockApiServer;
import io.oomdoctor.model.evidence.PodReference;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Pods of this node, matched by UID and container ID (current or last state). */
class InformerPodResolverTest {
  private static final String CURRENT =
      "c0ffee0000000000000000000000000000000000000000000000000000000001";
  private static final String PREVIOUS =
      "dead000000000000000000000000000000000000000000000000000000000002";

  static Pod pod(String name, String node) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("shop")
        .endMetadata()
        .withNewSpec()
        .withNodeName(node)
        .addNewContainer()
        .withName("web")
        .withNewResources()
        .addToLimits("memory", new Quantity("256Mi"))
        .addToRequests("memory", new Quantity("128Mi"))
        .endResources()
        .endContainer()
        .addNewContainer()
        .withName("sidecar")
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withQosClass("Burstable")
        .addToContainerStatuses(
            new ContainerStatusBuilder()
                .withName("web")
                .withContainerID("containerd://" + CURRENT)
                .withRestartCount(3)
                .withNewLastState()
                .withNewTerminated()
                .withContainerID("containerd://" + PREVIOUS)
                .withReason("OOMKilled")
                .withExitCode(137)
                .endTerminated()
                .endLastState()
                .build())
        .addToContainerStatuses(
            new ContainerStatusBuilder()
                .withName("sidecar")
                .withContainerID("containerd://ffff")
                .build())
        .endStatus()
        .build();
  }

  // The mock server answers a spec.nodeName field selector with nothing, so the resolver filters
  // on the client side here; the other node's pod proves that filter.
  @Test
  void resolvesPodAndContainerByCurrentAndPreviousIdsOfItsOwnNodeOnly() {
    try (MockApiServer api = MockApiServer.start()) {
      Pod mine = api.client().resource(pod("web-1", "node-a")).create();
      Pod other = api.client().resource(pod("web-2", "node-b")).create();
      try (InformerPodResolver resolver = new InformerPodResolver(api.client(), "node-a", false)) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(resolver::synced);
        String uid = mine.getMetadata().getUid();
        Awaitility.await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> resolver.resolve(uid, CURRENT) != null);

        PodReference ref = resolver.resolve(uid, CURRENT);
        assertThat(ref.namespace).isEqualTo("shop");
        assertThat(ref.name).isEqualTo("web-1");
        assertThat(ref.container).isEqualTo("web");
        assertThat(ref.restartCount).isEqualTo(3);
        assertThat(ref.containerLimitBytes).isEqualTo(256L << 20);
        assertThat(ref.containerRequestBytes).isEqualTo(128L << 20);
        assertThat(ref.qosClass).isEqualTo("Burstable");
        assertThat(resolver.runtimeOf(uid, CURRENT)).isEqualTo("containerd");

        assertThat(resolver.resolve(uid, PREVIOUS).container)
            .as("the killed, restarted container")
            .isEqualTo("web");
        assertThat(resolver.resolve(uid, null).container).as("a pod-level cgroup").isNull();
        assertThat(resolver.resolve(uid, "0123456789ab").container).isNull();
        assertThat(resolver.resolve(other.getMetadata().getUid(), CURRENT))
            .as("another node's pod")
            .isNull();
        assertThat(resolver.resolve("no-such-uid", CURRENT)).isNull();

        api.client().resource(mine).delete();
        Awaitility.await()
            .atMost(Duration.ofSeconds(10))
            .untilAsserted(
                () ->
                    assertThat(resolver.resolve(uid, CURRENT))
                        .as("remembered a while after deletion")
                        .isNotNull());
      }
    }
  }
}
