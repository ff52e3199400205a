package io.oomdoctor.operator;

import io.oomdoctor.model.WorkloadReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * What this process concluded about each OomRisk (by UID), for the policy reconciler to show: never
 * read from an OomRisk's status. Bounded: at most {@code capacity} entries, the cleared ones go
 * first.
 */
final class RiskVerdicts {
  static final int DEFAULT_CAPACITY = 20_000;

  /**
   * @param shown whether the risk is verified and active (in a policy's status)
   */
  record Verdict(
      String uid,
      String namespace,
      String name,
      String policy,
      WorkloadReference workload,
      String workloadUid,
      String pod,
      String container,
      String risk,
      String message,
      Long etaSeconds,
      String currentLimit,
      String since,
      Long workingSetBytes,
      boolean shown,
      boolean steady) {}

  private final int capacity;
  private final Map<String, Verdict> byUid = new ConcurrentHashMap<>();
  private final List<BiConsumer<Verdict, Verdict>> listeners = new CopyOnWriteArrayList<>();

  RiskVerdicts(int capacity) {
    this.capacity = capacity;
  }

  void listen(BiConsumer<Verdict, Verdict> l) {
    listeners.add(l);
  }

  void put(Verdict v) {
    if (!byUid.containsKey(v.uid()) && byUid.size() >= capacity) {
      byUid.values().stream()
          .filter(x -> !x.shown())
          .findFirst()
          .or(() -> byUid.values().stream().findFirst())
          .ifPresent(x -> remove(x.uid()));
    }
    Verdict before = byUid.put(v.uid(), v);
    if (!v.equals(before)) {
      listeners.forEach(l -> l.accept(before, v));
    }
  }

  void remove(String uid) {
    Verdict before = byUid.remove(uid);
    if (before != null) {
      listeners.forEach(l -> l.accept(before, null));
    }
  }

  Verdict get(String uid) {
    return byUid.get(uid);
  }

  /** The risks shown for a policy, the soonest first (those without an ETA last). */
  List<Verdict> shownFor(String namespace, String policy) {
    List<Verdict> out = new ArrayList<>();
    for (Verdict v : byUid.values()) {
      if (v.shown() && namespace.equals(v.namespace()) && policy.equals(v.policy())) {
        out.add(v);
      }
    }
    out.sort(
        java.util.Comparator.comparing(
                (Verdict v) -> v.etaSeconds() == null ? Long.MAX_VALUE : v.etaSeconds())
            .thenComparing(Verdict::name));
    return out;
  }

  int size() {
    return byUid.size();
  }
}
