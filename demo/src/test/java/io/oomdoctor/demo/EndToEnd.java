package io.oomdoctor.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomPolicy;
import io.oomdoctor.model.OomPolicySpec;
import io.oomdoctor.model.PodSelector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;

/**
 * One end-to-end scenario's world: the embedded API server, operator, agent on the real /dev/kmsg
 * and the fake kubelet (a {@link LocalCluster}), plus helpers to make workloads and wait for what
 * OOM Doctor writes. Needs root and cgroup v1: skips on a laptop, fails with CI=true.
 */
final class EndToEnd implements AutoCloseable {
  static final String NS = "shop";
  static final Duration WAIT = Duration.ofSeconds(60);
  final LocalCluster cluster;
  final KubernetesClient k;

  EndToEnd(Path state, FakeKubelet.Driver driver) throws Exception {
    String why = Host.cannotKill();
    if (why != null) {
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail("End-to-end tests must run in CI, but: " + why);
      }
      Assumptions.abort("End-to-end test skipped: " + why);
    }
    cluster = new LocalCluster(state, null, driver);
    k = cluster.api().client();
    k.namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
        .create();
    cluster.startAgent();
    Awaitility.await().atMost(WAIT).until(cluster::podsSynced);
  }

  static Container container(String name, String limit, String... command) {
    ContainerBuilder b =
        new ContainerBuilder()
            .withName(name)
            .withImage("example.com/" + name + ":1")
            .withCommand(command);
    if (limit != null) {
      b.withNewResources().addToLimits("memory", new Quantity(limit)).endResources();
    }
    return b.build();
  }

  Deployment deployment(String name, int replicas, Container... containers) {
    return deployment(name, replicas, null, containers);
  }

  /** A Deployment whose pods have a pod-level memory limit (over all their containers). */
  Deployment deploymentWithPodLimit(String name, String podLimit, Container... containers) {
    return deployment(name, 1, podLimit, containers);
  }

  private Deployment deployment(
      String name, int replicas, String podLimit, Container... containers) {
    io.fabric8.kubernetes.api.model.PodSpecBuilder pod =
        new io.fabric8.kubernetes.api.model.PodSpecBuilder().withContainers(containers);
    if (podLimit != null) {
      pod.withNewResources().addToLimits("memory", new Quantity(podLimit)).endResources();
    }
    return k.resource(
            new DeploymentBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NS)
                .endMetadata()
                .withNewSpec()
                .withReplicas(replicas)
                .withNewSelector()
                .addToMatchLabels("app", name)
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .addToLabels("app", name)
                .endMetadata()
                .withSpec(pod.build())
                .endTemplate()
                .endSpec()
                .build())
        .create();
  }

  OomPolicy policy(String app, OomPolicySpec.Mode mode, String min, String max) {
    OomPolicy p = new OomPolicy();
    p.getMetadata().setName(app);
    p.getMetadata().setNamespace(NS);
    p.setSpec(new OomPolicySpec());
    p.getSpec().mode = mode;
    p.getSpec().selector = new PodSelector();
    p.getSpec().selector.matchLabels = Map.of("app", app);
    p.getSpec().minLimit = min;
    p.getSpec().maxLimit = max;
    return k.resource(p).create();
  }

  /** The first diagnosed OomKill in the namespace that matches. */
  OomKill diagnosedKill(String ns, java.util.function.Predicate<OomKill> which) {
    return Awaitility.await()
        .atMost(WAIT)
        .until(() -> kills(ns).filter(which).findFirst().orElse(null), x -> x != null);
  }

  Stream<OomKill> kills(String ns) {
    return k.resources(OomKill.class).inNamespace(ns).list().getItems().stream()
        .filter(o -> o.getStatus() != null && o.getStatus().cause != null);
  }

  static java.util.function.Predicate<OomKill> ofPod(String podPrefix) {
    return o ->
        o.getSpec().pod != null
            && o.getSpec().pod.name != null
            && o.getSpec().pod.name.startsWith(podPrefix);
  }

  /** The Warning Events about a pod, as kubectl describe would list them. */
  List<Event> podEvents(String pod) {
    return k.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(
            e ->
                "Pod".equals(e.getInvolvedObject().getKind())
                    && pod.equals(e.getInvolvedObject().getName()))
        .toList();
  }

  /** The kill's Warning on a pod (a risk's Warning may have come before it). */
  Event podEvent(String pod) {
    return Awaitility.await()
        .atMost(WAIT)
        .until(
            () ->
                podEvents(pod).stream()
                    .filter(e -> "OOMKilled".equals(e.getReason()))
                    .findFirst()
                    .orElse(null),
            x -> x != null);
  }

  OomPolicy policyStatus(String name, java.util.function.Predicate<OomPolicy> until) {
    return Awaitility.await()
        .atMost(WAIT)
        .until(
            () -> k.resources(OomPolicy.class).inNamespace(NS).withName(name).get(),
            p -> p != null && p.getStatus() != null && until.test(p));
  }

  /** Kill-to-event latency of a diagnosed kill: the kernel's time to the operator's write. */
  static Duration latency(OomKill kill) {
    return Duration.between(
        Instant.parse(kill.getSpec().report.timestamp),
        Instant.parse(kill.getStatus().diagnosedAt));
  }

  /** Appends latencies (ms) to target/e2e-latency.txt, the source of docs/benchmarks.md. */
  static void record(String scenario, List<Duration> latencies) {
    try {
      List<String> lines = new ArrayList<>();
      for (Duration d : latencies) {
        lines.add(scenario + " " + d.toMillis());
      }
      Path f = Path.of("target/e2e-latency.txt");
      Files.write(
          f,
          lines,
          java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The agent's counters, for a message when a scenario goes wrong. */
  String agentCounters() {
    return cluster.agentMetrics().snapshot().toString();
  }

  private long lastCount = -1;
  private long lastChange = System.nanoTime();

  /** False once nothing has changed for 15 s (kills stopped coming). */
  boolean kubeletAndAgentBusy() {
    long n =
        k.resources(OomKill.class).inAnyNamespace().list().getItems().size()
            + cluster.kubelet().oomKilled();
    if (n != lastCount) {
      lastCount = n;
      lastChange = System.nanoTime();
    }
    return System.nanoTime() - lastChange < 15_000_000_000L;
  }

  @Override
  public void close() {
    Path root = cluster.cgroupRoot();
    cluster.close();
    assertThat(root).as("every cgroup the test made is gone").doesNotExist();
  }
}
