package io.oomdoctor.operator;

import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.WorkloadReference;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What this operator process concluded about each OomKill, so that nothing it acts on is read back
 * from an OomKill's status (which anyone allowed to write {@code /status} could have written). An
 * entry holds for one generation of one OomKill (by UID); a kill without an entry — after a restart
 * or a leader change, or past the bound — is assessed again from its spec and live objects.
 * Bounded: the least recently used entries go first.
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

    /** Whether this kill may drive recommendations and Apply. */
    boolean actionable() {
      return trust.actionable() && workload != null && container != null;
    }
  }

  static final int DEFAULT_CAPACITY = 200_000;

  private final Map<String, Verdict> byUid;

  KillVerdicts(int capacity) {
    this.byUid =
        new LinkedHashMap<>(1024, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Verdict> eldest) {
            return size() > capacity;
          }
        };
  }

  /** The verdict on this generation of the kill, or null when there is none. */
  synchronized Verdict get(OomKill kill) {
    Verdict v = byUid.get(kill.getMetadata().getUid());
    return v != null && java.util.Objects.equals(v.generation(), kill.getMetadata().getGeneration())
        ? v
        : null;
  }

  synchronized void put(Verdict v) {
    byUid.put(v.uid(), v);
  }

  synchronized void remove(OomKill kill) {
    byUid.remove(kill.getMetadata().getUid());
  }

  synchronized int size() {
    return byUid.size();
  }
}
