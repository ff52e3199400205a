package io.oomdoctor.operator;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.oomdoctor.model.OomPolicy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Finds when an OomPolicy yields to an older one that selects the same pods: among the namespace's
 * pods and the pods its OomKills name (for pods already gone).
 */
final class PolicyConflicts {
  /**
   * How long an answer holds while the policies of the namespace stay the same: pods that appear in
   * between are seen at the next look. A policy reconciled on every verdict of its kills would
   * otherwise list its namespace's pods thousands of times in a storm.
   */
  static final Duration FRESH = Duration.ofSeconds(60);

  /** Answers kept at most (one per policy). */
  static final int MAX_ANSWERS = 20_000;

  private record Answer(long policies, Instant at, String conflict) {}

  private final KubernetesClient client;
  private final Clock clock;
  private final Map<String, Answer> answers = new ConcurrentHashMap<>();

  PolicyConflicts(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  /** Why this policy yields to an older one that selects the same pods, or null. */
  String conflict(
      OomPolicy policy, Context<OomPolicy> context, Stream<KillIndex.Lean> killsOfNamespace) {
    String key = policy.getMetadata().getNamespace() + "/" + policy.getMetadata().getName();
    // Which policies the namespace has, and which version of each: a change to any of them, or
    // a new one, asks again.
    long policies =
        context
            .getPrimaryCache()
            .list(policy.getMetadata().getNamespace())
            .mapToLong(
                p -> {
                  // mixed per policy and summed: the same for the same set in any order
                  long h =
                      (long) p.getMetadata().getName().hashCode() << 32
                          ^ String.valueOf(p.getMetadata().getResourceVersion()).hashCode();
                  h *= 0x9E3779B97F4A7C15L;
                  return h ^ (h >>> 31);
                })
            .sum();
    Instant now = clock.instant();
    Answer known = answers.get(key);
    if (known != null
        && known.policies() == policies
        && now.isBefore(known.at().plus(FRESH))
        && !now.isBefore(known.at())) {
      return known.conflict();
    }
    String conflict = look(policy, context, killsOfNamespace);
    if (answers.size() > MAX_ANSWERS) {
      answers.clear();
    }
    answers.put(key, new Answer(policies, now, conflict));
    return conflict;
  }

  private record Pods(Instant at, List<Map.Entry<String, Map<String, String>>> labels) {}

  private final Map<String, Pods> podsByNamespace = new ConcurrentHashMap<>();

  /**
   * The names and labels of a namespace's pods, read in pages and kept for {@link #FRESH}: the
   * policies of one namespace share one look.
   */
  private List<Map.Entry<String, Map<String, String>>> podsOf(String ns) {
    Instant now = clock.instant();
    Pods known = podsByNamespace.get(ns);
    if (known != null && now.isBefore(known.at().plus(FRESH)) && !now.isBefore(known.at())) {
      return known.labels();
    }
    List<Map.Entry<String, Map<String, String>>> labels = new ArrayList<>();
    String next = null;
    do {
      var page =
          client
              .pods()
              .inNamespace(ns)
              .list(
                  new io.fabric8.kubernetes.api.model.ListOptionsBuilder()
                      .withLimit(500L)
                      .withContinue(next)
                      .build());
      for (Pod p : page.getItems()) {
        labels.add(Map.entry(p.getMetadata().getName(), labels(p.getMetadata().getLabels())));
      }
      next = page.getMetadata() == null ? null : page.getMetadata().getContinue();
    } while (next != null && !next.isEmpty());
    if (podsByNamespace.size() > MAX_ANSWERS) {
      podsByNamespace.clear();
    }
    podsByNamespace.put(ns, new Pods(now, List.copyOf(labels)));
    return labels;
  }

  private String look(
      OomPolicy policy, Context<OomPolicy> context, Stream<KillIndex.Lean> killsOfNamespace) {
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
    List<Map.Entry<String, Map<String, String>>> pods = new ArrayList<>(podsOf(ns));
    killsOfNamespace.forEach(
        k -> {
          if (k.podName() != null) {
            pods.add(Map.entry(k.podName(), labels(k.podLabels())));
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

  private static Map<String, String> labels(Map<String, String> l) {
    return l == null ? Map.of() : l;
  }
}
