package io.oomdoctor.operator;

import io.oomdoctor.diagnosis.Diagnoser;
import io.oomdoctor.diagnosis.Diagnosis;
import io.oomdoctor.diagnosis.DiagnosisSettings;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomKillSpec;
import io.oomdoctor.model.OomPolicy;
import io.oomdoctor.model.WorkloadReference;

/**
 * Observe → validate → diagnose for one OomKill, writing nothing: what both reconcilers need to
 * know about a kill, computed from its spec and the live objects, never from its status.
 */
final class KillAssessor {
  /**
   * The outcome for one kill.
   *
   * @param policy the OomPolicy that governs the kill's pod, or null
   * @param workload the workload resolved from live objects; null unless the kill is verified
   * @param diagnosis null when the evidence is not trusted enough to diagnose
   */
  record Assessment(
      OomKill kill,
      KillObserver.Observation observation,
      KillValidator.Trust trust,
      OomPolicy policy,
      WorkloadReference workload,
      Diagnosis diagnosis) {

    /** The UID of the resolved workload object, when the operator read it. */
    String workloadUid() {
      return workload == null || observation.owner() == null || observation.owner().object() == null
          ? null
          : observation.owner().object().getMetadata().getUid();
    }
  }

  private final KillObserver observer;
  private final KillValidator validator = new KillValidator();
  private final DiagnosisSettings diagnosis;

  KillAssessor(KillObserver observer, DiagnosisSettings diagnosis) {
    this.observer = observer;
    this.diagnosis = diagnosis;
  }

  Assessment assess(OomKill cached) {
    OomKill kill = observer.evidence(cached);
    KillObserver.Observation o = observer.observe(kill);
    KillValidator.Trust trust = validator.validate(kill, o);
    if (!trust.reason().diagnosed()) {
      return new Assessment(kill, o, trust, null, null, null);
    }
    OomPolicy policy = Policies.governing(o.policies(), KillObserver.labels(kill, o)).orElse(null);
    DiagnosisSettings ds = diagnosis;
    if (policy != null) {
      Policies rules = Policies.of(policy);
      ds = ds.forPolicy(rules.headroomPercent(), rules.minLimitBytes(), rules.maxLimitBytes());
    }
    OomKillSpec spec = kill.getSpec() == null ? new OomKillSpec() : kill.getSpec();
    WorkloadReference workload =
        trust.reason() == TrustReason.Verified && o.owner() != null ? o.owner().ref() : null;
    return new Assessment(kill, o, trust, policy, workload, new Diagnoser(ds).diagnose(spec));
  }
}
