package io.oomdoctor.operator;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomPolicy;
import io.oomdoctor.model.evidence.PodReference;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Observe: gathers the live objects an OomKill's claims are checked against — the pod of that name
 * in the OomKill's own namespace (never another), the workload behind it, and the policies of the
 * namespace. Reads only; decides nothing.
 */
final class KillObserver {
  /**
   * What the cluster holds for one OomKill.
   *
   * @param pod the live pod of the reported name in the OomKill's namespace (whatever its UID), or
   *     null
   * @param owner the workload behind that pod, resolved from live objects; null without a pod
   * @param policies the OomPolicies of the OomKill's namespace
   */
  record Observation(Pod pod, Workloads.Owner owner, List<OomPolicy> policies) {}

  private final KubernetesClient client;
  private final Workloads workloads;

  KillObserver(KubernetesClient client, Workloads workloads) {
    this.client = client;
    this.workloads = workloads;
  }

  /**
   * The OomKill with all its evidence, read from the API server (the caches keep a pruned copy);
   * the given one when it is gone or has been replaced by another of the same name.
   */
  OomKill evidence(OomKill kill) {
    OomKill full =
        client
            .resources(OomKill.class)
            .inNamespace(kill.getMetadata().getNamespace())
            .withName(kill.getMetadata().getName())
            .get();
    return full != null
            && java.util.Objects.equals(full.getMetadata().getUid(), kill.getMetadata().getUid())
        ? full
        : kill;
  }

  Observation observe(OomKill kill) {
    String ns = kill.getMetadata().getNamespace();
    PodReference ref = kill.getSpec() == null ? null : kill.getSpec().pod;
    Pod pod = null;
    if (ref != null
        && ref.name != null
        && (ref.namespace == null || Objects.equals(ref.namespace, ns))) {
      pod = client.pods().inNamespace(ns).withName(ref.name).get();
    }
    Workloads.Owner owner = pod == null ? null : workloads.resolve(pod);
    List<OomPolicy> policies = client.resources(OomPolicy.class).inNamespace(ns).list().getItems();
    return new Observation(pod, owner, policies);
  }

  /** The labels a policy selects by: the live pod's; the agent's record of them without one. */
  static Map<String, String> labels(OomKill kill, Observation o) {
    if (o.pod() != null) {
      return o.pod().getMetadata().getLabels();
    }
    PodReference ref = kill.getSpec() == null ? null : kill.getSpec().pod;
    return ref == null ? null : ref.labels;
  }
}
