package io.oomdoctor.operator;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Finds when an OomPolicy yields to an older one that selects the same pods: among the namespace's
 * pods and the pods its OomKills name (for pods already gone).
 */
final class PolicyConflicts {
  private final KubernetesClient client;

  PolicyConflicts(KubernetesClient client) {
    this.client = client;
  }

  /** Why this policy yields to an older one that selects the same pods, or null. */
  String conflict(OomPolicy policy, Context<OomPolicy> context, Stream<OomKill> killsOfNamespace) {
    String ns = policy.getMetadata().getNamespace();
    List<OomPolicy> older =
        context
            .getPrimaryCache()
            .list(ns)
            .filter(p -> !p.getMetadata().getName().equals(policy.getMetadata().getName()))
            .filter(p -> Policies.of(p).valid())
            .filter(p -> Policies.PRECEDENCE.compare(p, policy) < 0)
            .toList();
    if (older.isEmpty()) {
      return null;
    }
    List<Map.Entry<String, Map<String, String>>> pods = new ArrayList<>();
    for (Pod p : client.pods().inNamespace(ns).list().getItems()) {
      pods.add(Map.entry(p.getMetadata().getName(), labels(p.getMetadata().getLabels())));
    }
    killsOfNamespace.forEach(
        k -> {
          if (k.getSpec() != null && k.getSpec().pod != null && k.getSpec().pod.name != null) {
            pods.add(Map.entry(k.getSpec().pod.name, labels(k.getSpec().pod.labels)));
          }
        });
    for (var pod : pods) {
      if (!Selectors.matches(
          policy.getSpec() == null ? null : policy.getSpec().selector, pod.getValue())) {
        continue;
      }
      for (OomPolicy o : older) {
        if (Selectors.matches(o.getSpec() == null ? null : o.getSpec().selector, pod.getValue())) {
          return "Pod "
              + pod.getKey()
              + " is also selected by OomPolicy "
              + o.getMetadata().getName()
              + ", which is older and governs it; narrow one of the selectors.";
        }
      }
    }
    return null;
  }

  /**
   * This process's verdict on a kill; one assessed here from its spec and live objects when there
   * is none yet (after a restart). Not stored: the kill reconciler records its own, with the Event.
   */
  private static Map<String, String> labels(Map<String, String> l) {
    return l == null ? Map.of() : l;
  }
}
