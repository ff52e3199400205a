package io.oomdoctor.operator;

import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.WorkloadReference;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * What this operator process concluded about each OomKill, so that nothing it acts on is read back
 * from an OomKill's status (which anyone allowed to write {@code /status} could have written). An
 * entry holds for one generation of one OomKill (by UID); a kill without an entry — after a restart
 * or a leader change, or past the bound — is assessed again from its spec and live objects.
 * Bounded: the least recently used entries go first. Values many verdicts share (workloads,
 * containers, causes, fixes) are held once ({@link Interner}).
 */
final class KillVerdicts {
  /**
   * One conclusion.
   *
   * @param trust whether the operator vouches for the kill
   * @param workload the workload resolved from live objects (null unless verified)
   * @param workloadUid the UID of that workload object as resolved (null for kinds not read)
   * @param container the container name the kill was attributed to
   * @param kills how many kills the OomKill stands for (more than one when the agent coalesced)
   * @param statusFingerprint of the status the operator wrote, to notice one written by another
   */
  record Verdict(
      String namespace,
      String uid,
      Long generation,
      String name,
      Instant created,
      TrustReason trust,
      WorkloadReference workload,
      String workloadUid,
      String container,
      String policy,
      int kills,
      String cause,
      Long recommendedLimitBytes,
      String fix,
      String lastKillTime,
      int statusFingerprint) {

    /**
     * The same verdict naming the kill with the strings of the cache's copy of it, so that the two
     * hold one copy of them; this one when the cache has another kill of that name.
     */
    Verdict sharing(KillIndex.Lean cached) {
      if (cached == null
          || !Objects.equals(cached.uid(), uid)
          || !Objects.equals(cached.name(), name)) {
        return this;
      }
      return new Verdict(
          namespace,
          cached.uid(),
          generation,
          cached.name(),
          created,
          trust,
          workload,
          workloadUid,
          container,
          policy,
          kills,
          cause,
          recommendedLimitBytes,
          fix,
          lastKillTime,
          statusFingerprint);
    }

    /** Whether this kill may drive recommendations and Apply. */
    boolean actionable() {
      return trust.actionable() && workload != null && container != null;
    }
  }

  static final int DEFAULT_CAPACITY = 200_000;

  private final Map<String, Verdict> byUid;
  private final Map<String, Map<String, Verdict>> byNamespace = new HashMap<>();
  private final Interner interner;
  private volatile BiConsumer<Verdict, Verdict> listener = (before, after) -> {};

  KillVerdicts(int capacity) {
    this(capacity, new Interner(Interner.DEFAULT_CAPACITY));
  }

  KillVerdicts(int capacity, Interner interner) {
    this.interner = interner;
    this.byUid =
        new LinkedHashMap<>(1024, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Verdict> eldest) {
            if (size() > capacity) {
              unindex(eldest.getValue());
              return true;
            }
            return false;
          }
        };
  }

  /** Told of each verdict that changes, with the one it replaced (either may be null). */
  void listen(BiConsumer<Verdict, Verdict> listener) {
    this.listener = listener;
  }

  /** The verdict on this generation of the kill, or null when there is none. */
  synchronized Verdict get(OomKill kill) {
    return get(kill.getMetadata().getUid(), kill.getMetadata().getGeneration());
  }

  synchronized Verdict get(String uid, Long generation) {
    Verdict v = byUid.get(uid);
    return v != null && Objects.equals(v.generation(), generation) ? v : null;
  }

  void put(Verdict v) {
    Verdict shared =
        new Verdict(
            interner.of(v.namespace()),
            v.uid(),
            v.generation(),
            v.name(),
            v.created(),
            v.trust(),
            interner.of(v.workload()),
            interner.of(v.workloadUid()),
            interner.of(v.container()),
            interner.of(v.policy()),
            v.kills(),
            interner.of(v.cause()),
            v.recommendedLimitBytes(),
            interner.of(v.fix()),
            v.lastKillTime(),
            v.statusFingerprint());
    Verdict old;
    synchronized (this) {
      old = byUid.put(shared.uid(), shared);
      if (old != null) {
        unindex(old);
      }
      byNamespace
          .computeIfAbsent(String.valueOf(shared.namespace()), n -> new HashMap<>())
          .put(shared.uid(), shared);
    }
    listener.accept(old, shared);
  }

  void remove(OomKill kill) {
    remove(kill.getMetadata().getUid());
  }

  void remove(String uid) {
    Verdict old;
    synchronized (this) {
      old = byUid.remove(uid);
      if (old != null) {
        unindex(old);
      }
    }
    if (old != null) {
      listener.accept(old, null);
    }
  }

  /** The verdicts on the kills of one namespace. */
  synchronized List<Verdict> inNamespace(String namespace) {
    Map<String, Verdict> ns = byNamespace.get(namespace);
    return ns == null ? List.of() : List.copyOf(ns.values());
  }

  synchronized boolean has(String uid) {
    return byUid.containsKey(uid);
  }

  synchronized int size() {
    return byUid.size();
  }

  private void unindex(Verdict v) {
    Map<String, Verdict> ns = byNamespace.get(String.valueOf(v.namespace()));
    if (ns != null) {
      ns.remove(v.uid());
      if (ns.isEmpty()) {
        byNamespace.remove(String.valueOf(v.namespace()));
      }
    }
  }
}
