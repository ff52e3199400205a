package io.oomdoctor.agent.pod;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.oomdoctor.model.evidence.PodReference;
import io.oomdoctor.testkit.MockApiServer;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The node's pods by list and watch, matched by UID and container ID (current or last state). */
public class PodWatcherTest {
  private static final String CURRENT =
      "c0ffee0000000000000000000000000000000000000000000000000000000001";
  private static final String PREVIOUS =
      "dead000000000000000000000000000000000000000000000000000000000002";
  private static final Duration WAIT = Duration.ofSeconds(15);

  public static Pod pod(String name, String node, String containerId) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("shop")
        .addToLabels("app", "web")
        .addNewOwnerReference()
        .withApiVersion("apps/v1")
        .withKind("ReplicaSet")
        .withName("web-5d9c7")
        .withUid("rs-uid")
        .withController(true)
        .endOwnerReference()
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
                .withContainerID("cri-o://" + containerId)
                .withRestartCount(3)
                .withNewLastState()
                .withNewTerminated()
                .withContainerID("cri-o://" + PREVIOUS)
                .withReason("OOMKilled")
                .withExitCode(137)
                .endTerminated()
                .endLastState()
                .build())
        .addToContainerStatuses(
            new ContainerStatusBuilder()
                .withName("sidecar")
                .withContainerID("cri-o://ffff")
                .build())
        .endStatus()
        .build();
  }

  // The mock server answers a spec.nodeName field selector with nothing, so the watcher filters on
  // the client side here; the other node's pod proves that filter.
  @Test
  void listsThenFollowsItsOwnNodesPods() {
    try (MockApiServer api = MockApiServer.start()) {
      Pod listed = api.client().resource(pod("web-1", "node-a", CURRENT)).create();
      Pod other = api.client().resource(pod("web-2", "node-b", CURRENT)).create();
      try (PodWatcher watcher =
          new PodWatcher(
              io.oomdoctor.agent.kube.KubeConnection.forUrl(api.url()), "node-a", false)) {
        Awaitility.await().atMost(WAIT).until(watcher::synced);
        String uid = listed.getMetadata().getUid();
        PodReference ref = watcher.resolve(uid, CURRENT);
        assertThat(ref).as("found by the list").isNotNull();
        assertThat(ref.namespace).isEqualTo("shop");
        assertThat(ref.name).isEqualTo("web-1");
        assertThat(ref.uid).isEqualTo(uid);
        assertThat(ref.container).isEqualTo("web");
        assertThat(ref.restartCount).isEqualTo(3);
        assertThat(ref.containerLimitBytes).isEqualTo(256L << 20);
        assertThat(ref.containerRequestBytes).isEqualTo(128L << 20);
        assertThat(ref.qosClass).isEqualTo("Burstable");
        assertThat(ref.labels).containsEntry("app", "web");
        assertThat(ref.ownerKind).isEqualTo("ReplicaSet");
        assertThat(ref.ownerName).isEqualTo("web-5d9c7");
        assertThat(watcher.runtimeOf(uid, CURRENT)).isEqualTo("cri-o");
        assertThat(watcher.resolve(uid, PREVIOUS).container)
            .as("the killed, restarted container")
            .isEqualTo("web");
        assertThat(watcher.resolve(uid, null).container).as("a pod-level cgroup").isNull();
        assertThat(watcher.resolve(uid, "0123456789ab").container).isNull();
        assertThat(watcher.resolve(other.getMetadata().getUid(), CURRENT))
            .as("another node's pod")
            .isNull();
        assertThat(watcher.resolve("no-such-uid", CURRENT)).isNull();
        assertThat(watcher.size()).isEqualTo(1);

        String later = "beef000000000000000000000000000000000000000000000000000000000003";
        Pod added = api.client().resource(pod("web-3", "node-a", later)).create();
        Awaitility.await()
            .atMost(WAIT)
            .untilAsserted(
                () ->
                    assertThat(watcher.resolve(added.getMetadata().getUid(), later))
                        .as("found by the watch")
                        .isNotNull());

        api.client().resource(listed).delete();
        Awaitility.await().atMost(WAIT).until(() -> watcher.size() == 1);
        assertThat(watcher.resolve(uid, CURRENT))
            .as("remembered a while after deletion")
            .isNotNull();
      }
    }
  }

  @Test
  void anUnreachableApiServerIsRetriedNotFatal() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    try (PodWatcher watcher =
        new PodWatcher(
            io.oomdoctor.agent.kube.KubeConnection.forUrl("http://127.0.0.1:" + port),
            "node-a",
            true)) {
      Thread.sleep(300);
      assertThat(watcher.synced()).isFalse();
      assertThat(watcher.resolve("x", CURRENT)).isNull();
      try (MockApiServer api = MockApiServer.startOn(port)) {
        Awaitility.await().atMost(WAIT).until(watcher::synced);
      }
    }
  }
}
