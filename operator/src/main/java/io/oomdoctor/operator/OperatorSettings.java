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
    boolean applyEnabled,
    Set<String> applyExcludedNamespaces,
    String systemNamespace) {

  /** Namespaces whose workloads are never patched unless the operator is told otherwise. */
  public static final Set<String> DEFAULT_APPLY_EXCLUDED = Set.of("kube-system");

  /** Where the chart installs OOM Doctor; the agent writes kills of no pod there. */
  public static final String DEFAULT_SYSTEM_NAMESPACE = "oomdoctor-system";

  /** Defaults of the operator binary: Apply off until the installer turns it on. */
  public static OperatorSettings defaults() {
    return new OperatorSettings(
        Set.of(),
        Duration.ofDays(7),
        50,
        Duration.ofMinutes(10),
        "oomdoctor-operator",
        DiagnosisSettings.DEFAULT,
        false,
        DEFAULT_APPLY_EXCLUDED,
        DEFAULT_SYSTEM_NAMESPACE);
  }

  public OperatorSettings withRetention(Duration age, int perWorkload) {
    return new OperatorSettings(
        namespaces,
        age,
        perWorkload,
        eventWindow,
        identity,
        diagnosis,
        applyEnabled,
        applyExcludedNamespaces,
        systemNamespace);
  }

  public OperatorSettings withDiagnosis(DiagnosisSettings d) {
    return new OperatorSettings(
        namespaces,
        retention,
        keepPerWorkload,
        eventWindow,
        identity,
        d,
        applyEnabled,
        applyExcludedNamespaces,
        systemNamespace);
  }

  public OperatorSettings withApplyEnabled(boolean enabled) {
    return new OperatorSettings(
        namespaces,
        retention,
        keepPerWorkload,
        eventWindow,
        identity,
        diagnosis,
        enabled,
        applyExcludedNamespaces,
        systemNamespace);
  }

  public OperatorSettings withApplyExcluded(Set<String> excluded) {
    return new OperatorSettings(
        namespaces,
        retention,
        keepPerWorkload,
        eventWindow,
        identity,
        diagnosis,
        applyEnabled,
        Set.copyOf(excluded),
        systemNamespace);
  }

  public OperatorSettings withSystemNamespace(String ns) {
    return new OperatorSettings(
        namespaces,
        retention,
        keepPerWorkload,
        eventWindow,
        identity,
        diagnosis,
        applyEnabled,
        applyExcludedNamespaces,
        ns);
  }

  public OperatorSettings withIdentity(String id) {
    return new OperatorSettings(
        namespaces,
        retention,
        keepPerWorkload,
        eventWindow,
        id,
        diagnosis,
        applyEnabled,
        applyExcludedNamespaces,
        systemNamespace);
  }
}
