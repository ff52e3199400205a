package io.oomdoctor.operator;

import io.oomdoctor.diagnosis.DiagnosisSettings;
import java.time.Duration;
import java.util.Set;

/**
 * How the operator runs.
 *
 * @param namespaces namespaces to watch; empty for all
 * @param retention how long OomKills are kept
 * @param keepPerWorkload how many OomKills are kept per workload container (older ones go first)
 * @param eventWindow repeated kills of one pod and cause within this update one Event's count
 * @param identity this replica's name (events, leader election)
 * @param diagnosis base settings of the diagnosis (an OomPolicy adds its headroom and bounds)
 * @param applyEnabled whether the operator may patch workloads (RBAC granted); when not, Apply
 *     policies only recommend
 */
public record OperatorSettings(
    Set<String> namespaces,
    Duration retention,
    int keepPerWorkload,
    Duration eventWindow,
    String identity,
    DiagnosisSettings diagnosis,
    boolean applyEnabled) {
  public static OperatorSettings defaults() {
    return new OperatorSettings(
        Set.of(),
        Duration.ofDays(7),
        50,
        Duration.ofMinutes(10),
        "oomdoctor-operator",
        DiagnosisSettings.DEFAULT,
        true);
  }

  public OperatorSettings withRetention(Duration age, int perWorkload) {
    return new OperatorSettings(
        namespaces, age, perWorkload, eventWindow, identity, diagnosis, applyEnabled);
  }

  public OperatorSettings withDiagnosis(DiagnosisSettings d) {
    return new OperatorSettings(
        namespaces, retention, keepPerWorkload, eventWindow, identity, d, applyEnabled);
  }

  public OperatorSettings withApplyEnabled(boolean enabled) {
    return new OperatorSettings(
        namespaces, retention, keepPerWorkload, eventWindow, identity, diagnosis, enabled);
  }

  public OperatorSettings withIdentity(String id) {
    return new OperatorSettings(
        namespaces, retention, keepPerWorkload, eventWindow, id, diagnosis, applyEnabled);
  }
}
