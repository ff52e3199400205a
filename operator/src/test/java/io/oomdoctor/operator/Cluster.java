package io.oomdoctor.operator;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.oomdoctor.diagnosis.DiagnoserTest;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomKillSpec;
import io.oomdoctor.model.OomPolicy;
import io.oomdoctor.model.OomPolicySpec;
import io.oomdoctor.model.evidence.MemoryTrend;
import io.oomdoctor.model.evidence.PodReference;
import io.oomdoctor.testkit.MockApiServer;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The fabric8 CRUD mock server as the API server, with the generated CRDs registered (so that
 * status is written only through /status, as on a real server), the operator running against it,
 * and builders for the objects a cluster would hold: Deployments with their ReplicaSet and Pods,
 * and OomKills as the node agent writes them from the evidence of real kills.
 */
final class Cluster implements AutoCloseable {
  static final long MI = 1L << 20;
  static final String NODE = "node-a";

  /** The container ID of the kernel report the evidence comes from (its cgroup path's). */
  static final String CONTAINER_ID =
      "3aa524735953bba4ebc64dfd3f0080cb4ac9790f83675e0b77ff9414c0165df0";

  private final MockApiServer api;
  final KubernetesMockServer server;
  final KubernetesClient client;
  final MutableClock clock = new MutableClock(Instant.now());
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  OperatorSettings settings = OperatorSettings.defaults().withApplyEnabled(true);
  private OomDoctorOperator operator;
  private final AtomicInteger seq = new AtomicInteger(1000);

  Cluster() {
    // The test kit's API server: CRUD with the project's CRDs, plus one-off expectations
    // (server.expect()) that take precedence: API errors.
    api = MockApiServer.start();
    server = api.server();
    client = api.client();
  }

  Cluster startOperator() {
    return startOperator(null);
  }

  Cluster startOperator(LeaderElectionConfiguration le) {
    operator =
        new OomDoctorOperator(client, settings, new OperatorMetrics(registry), clock, le, false)
            .start();
    return this;
  }

  /** Another replica against the same server, with its own metrics (leader election tests). */
  OomDoctorOperator replica(
      LeaderElectionConfiguration le, io.micrometer.core.instrument.MeterRegistry metrics) {
    return new OomDoctorOperator(client, settings, new OperatorMetrics(metrics), clock, le, false);
  }

  /**
   * Lets JOSDK's start-up permission check pass: the mock does not implement
   * selfsubjectrulesreviews, so it answers with every verb on leases allowed.
   */
  void allowLeases() {
    var review =
        new io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder()
            .withNewStatus()
            .addNewResourceRule()
            .withApiGroups("coordination.k8s.io")
            .withResources("leases")
            .withVerbs("*")
            .endResourceRule()
            .withIncomplete(false)
            .endStatus()
            .build();
    server
        .expect()
        .post()
        .withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
        .andReturn(201, review)
        .always();
  }

  void stopOperator() {
    if (operator != null) {
      operator.close();
      operator = null;
    }
  }

  OomDoctorOperator operator() {
    return operator;
  }

  // --- workloads -----------------------------------------------------------------------------

  static PodTemplateSpec template(String app, String container, String limit, String request) {
    var b =
        new PodTemplateSpecBuilder()
            .withNewMetadata()
            .addToLabels("app", app)
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName(container)
            .withImage("example/" + app + ":1")
            .withNewResources();
    if (limit != null) {
      b = b.addToLimits("memory", new Quantity(limit));
    }
    if (request != null) {
      b = b.addToRequests("memory", new Quantity(request));
    }
    return b.endResources().endContainer().endSpec().build();
  }

  /** A Deployment, its ReplicaSet and one running Pod, linked by owner references. */
  Pod deployment(String ns, String name, String container, String limit, String request) {
    return deployment(ns, name, container, limit, request, Map.of(), Map.of());
  }

  Pod deployment(
      String ns,
      String name,
      String container,
      String limit,
      String request,
      Map<String, String> labels,
      Map<String, String> annotations) {
    Deployment d =
        client
            .apps()
            .deployments()
            .inNamespace(ns)
            .resource(
                new DeploymentBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .withNamespace(ns)
                    .withLabels(labels)
                    .withAnnotations(annotations)
                    .endMetadata()
                    .withNewSpec()
                    .withReplicas(1)
                    .withNewSelector()
                    .addToMatchLabels("app", name)
                    .endSelector()
                    .withTemplate(template(name, container, limit, request))
                    .endSpec()
                    .build())
            .create();
    ReplicaSet rs =
        client
            .apps()
            .replicaSets()
            .inNamespace(ns)
            .resource(
                new ReplicaSetBuilder()
                    .withNewMetadata()
                    .withName(name + "-5d9c7")
                    .withNamespace(ns)
                    .withOwnerReferences(
                        new OwnerReferenceBuilder()
                            .withApiVersion("apps/v1")
                            .withKind("Deployment")
                            .withName(name)
                            .withUid(d.getMetadata().getUid())
                            .withController(true)
                            .build())
                    .endMetadata()
                    .withNewSpec()
                    .withReplicas(1)
                    .withNewSelector()
                    .addToMatchLabels("app", name)
                    .endSelector()
                    .withTemplate(template(name, container, limit, request))
                    .endSpec()
                    .build())
            .create();
    return pod(
        ns,
        name + "-5d9c7-" + Integer.toHexString(seq.incrementAndGet()),
        name,
        container,
        limit,
        request,
        "ReplicaSet",
        rs.getMetadata().getName(),
        rs.getMetadata().getUid());
  }

  Pod pod(
      String ns,
      String name,
      String app,
      String container,
      String limit,
      String request,
      String ownerKind,
      String ownerName,
      String ownerUid) {
    PodBuilder b =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(ns)
            .addToLabels("app", app)
            .endMetadata()
            .withSpec(template(app, container, limit, request).getSpec());
    if (ownerKind != null) {
      b.editMetadata()
          .addToOwnerReferences(
              new OwnerReferenceBuilder()
                  .withApiVersion("apps/v1")
                  .withKind(ownerKind)
                  .withName(ownerName)
                  .withUid(ownerUid)
                  .withController(true)
                  .build())
          .endMetadata();
    }
    Pod p = b.build();
    p.getSpec().setNodeName(NODE);
    // As the kubelet reports it: the container's ID, which the agent reads from its cgroup path.
    p.setStatus(
        new io.fabric8.kubernetes.api.model.PodStatusBuilder()
            .withPhase("Running")
            .addNewContainerStatus()
            .withName(container)
            .withContainerID("containerd://" + CONTAINER_ID)
            .withRestartCount(0)
            .endContainerStatus()
            .build());
    return client.pods().inNamespace(ns).resource(p).create();
  }

  // --- kills -----------------------------------------------------------------------------------

  /**
   * The evidence of a real kill at a 64Mi container limit, with a trend that makes it {@code kind}.
   */
  static OomKillSpec evidence(String kind) {
    try {
      OomKillSpec e = DiagnoserTest.evidence("6.18-v1-cgroupfs-container-limit");
      e.trend =
          switch (kind) {
            case "leak" ->
                DiagnoserTest.trend(3 * 3600, 20 * MI, 0.97, 3 * 3600, 64 * MI, 3 * 3600);
            case "spike" -> DiagnoserTest.trend(20, 0, 0, 10, 64 * MI, 15);
            case "too-low" ->
                withLast(
                    DiagnoserTest.trend(2 * 3600, MI / 10, 0.1, 2 * 3600, 64 * MI, 300), 40 * MI);
            default -> null;
          };
      return e;
    } catch (java.io.IOException ex) {
      throw new IllegalStateException(ex);
    }
  }

  private static MemoryTrend withLast(MemoryTrend t, long last) {
    t.lastBytes = last;
    return t;
  }

  /** Writes an OomKill for the pod as the node agent does (spec only; status is the operator's). */
  OomKill kill(Pod pod, String container, OomKillSpec evidence) {
    return kill(pod, container, evidence, k -> {});
  }

  /** As {@link #kill(Pod, String, OomKillSpec)}, with the object changed before it is created. */
  OomKill kill(
      Pod pod, String container, OomKillSpec evidence, java.util.function.Consumer<OomKill> forge) {
    int n = seq.incrementAndGet();
    OomKill k = new OomKill();
    k.getMetadata().setName(NODE + "-boot-" + n);
    k.getMetadata().setNamespace(pod.getMetadata().getNamespace());
    k.getMetadata()
        .setLabels(
            new HashMap<>(
                Map.of(
                    OomKill.LABEL_NODE,
                    NODE,
                    OomKill.LABEL_POD_UID,
                    pod.getMetadata().getUid(),
                    OomKill.LABEL_CONTAINER,
                    container)));
    evidence.nodeName = NODE;
    evidence.limit = "64Mi";
    evidence.report.seq = (long) n;
    PodReference ref = new PodReference();
    ref.namespace = pod.getMetadata().getNamespace();
    ref.name = pod.getMetadata().getName();
    ref.uid = pod.getMetadata().getUid();
    ref.container = container;
    ref.labels = pod.getMetadata().getLabels();
    var owner =
        pod.getMetadata().getOwnerReferences().stream()
            .filter(o -> Boolean.TRUE.equals(o.getController()))
            .findFirst();
    ref.ownerKind = owner.map(o -> o.getKind()).orElse(null);
    ref.ownerName = owner.map(o -> o.getName()).orElse(null);
    ref.containerLimitBytes = 64 * MI;
    evidence.pod = ref;
    if (evidence.attribution == null) {
      evidence.attribution = new io.oomdoctor.model.evidence.Attribution();
    }
    evidence.attribution.podUid = ref.uid;
    evidence.attribution.containerId = CONTAINER_ID;
    k.setSpec(evidence);
    forge.accept(k);
    return client
        .resources(OomKill.class)
        .inNamespace(k.getMetadata().getNamespace())
        .resource(k)
        .create();
  }

  OomPolicy policy(String ns, String name, OomPolicySpec spec) {
    OomPolicy p = new OomPolicy();
    p.getMetadata().setName(name);
    p.getMetadata().setNamespace(ns);
    p.setSpec(spec);
    return client.resources(OomPolicy.class).inNamespace(ns).resource(p).create();
  }

  static OomPolicySpec spec(OomPolicySpec.Mode mode, String app) {
    OomPolicySpec s = new OomPolicySpec();
    s.mode = mode;
    if (app != null) {
      s.selector = new io.oomdoctor.model.PodSelector();
      s.selector.matchLabels = Map.of("app", app);
    }
    return s;
  }

  OomKill getKill(String ns, String name) {
    return client.resources(OomKill.class).inNamespace(ns).withName(name).get();
  }

  OomPolicy getPolicy(String ns, String name) {
    return client.resources(OomPolicy.class).inNamespace(ns).withName(name).get();
  }

  Deployment getDeployment(String ns, String name) {
    return client.apps().deployments().inNamespace(ns).withName(name).get();
  }

  /** Events about one object, newest last. */
  List<Event> events(String ns, String kind, String name) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(
            e ->
                kind.equals(e.getInvolvedObject().getKind())
                    && name.equals(e.getInvolvedObject().getName()))
        .sorted(Comparator.comparing(Event::getLastTimestamp))
        .toList();
  }

  static final Duration WAIT = Duration.ofSeconds(20);

  @Override
  public void close() {
    stopOperator();
    api.close();
  }
}
