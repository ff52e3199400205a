package io.oomdoctor.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.time.Clock;

/**
 * The operator: both reconcilers on one JOSDK {@link Operator}. Status is patched with JSON merge
 * patches (not server-side apply), which every API server and the mock server in tests accept.
 */
public final class OomDoctorOperator implements AutoCloseable {
  private final Operator operator;

  /**
   * @param leaderElection null to reconcile without a Lease (one replica)
   * @param closeClient whether stopping the operator closes the client
   */
  public OomDoctorOperator(
      KubernetesClient client,
      OperatorSettings settings,
      OperatorMetrics metrics,
      Clock clock,
      LeaderElectionConfiguration leaderElection,
      boolean closeClient) {
    this.operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client)
                  .withUseSSAToPatchPrimaryResource(false)
                  .withCloseClientOnStop(closeClient)
                  .withConcurrentReconciliationThreads(4);
              if (leaderElection != null) {
                o.withLeaderElectionConfiguration(leaderElection);
              }
            });
    String[] namespaces = settings.namespaces().toArray(String[]::new);
    // One assessment of kills and one set of verdicts, shared by both reconcilers: the policy
    // reconciler acts only on what this process concluded, never on an OomKill's status.
    KillAssessor assessor =
        new KillAssessor(new KillObserver(client, new Workloads(client)), settings.diagnosis());
    Interner interner = new Interner(Interner.DEFAULT_CAPACITY);
    KillVerdicts verdicts = new KillVerdicts(KillVerdicts.DEFAULT_CAPACITY, interner);
    // The one cache of OomKills, filled by the OomKill informer and read by both reconcilers; a
    // kill that leaves it takes this process's verdict on it along.
    KillIndex index = new KillIndex(interner);
    index.onRemove(l -> verdicts.remove(l.uid()));
    operator.register(
        new OomKillReconciler(client, settings, metrics, clock, assessor, verdicts, index),
        c -> {
          c.withItemStore(index).withInformerListLimit(KillIndex.LIST_LIMIT);
          // The echo of the operator's own status write is not news: without this, every kill
          // would be looked at twice. A status written by anyone else still is (it differs from
          // what this process concluded), and so is a change of the spec (a new generation).
          c.withOnUpdateFilter(
              (now, before) -> {
                KillVerdicts.Verdict v = verdicts.get(now);
                return v == null
                    || now.getStatus() == null
                    || v.statusFingerprint() != KillRecorder.fingerprint(now.getStatus());
              });
          if (namespaces.length > 0) {
            c.settingNamespaces(namespaces);
          }
        });
    RiskVerdicts risks = new RiskVerdicts(RiskVerdicts.DEFAULT_CAPACITY);
    operator.register(
        new OomRiskReconciler(client, settings, metrics, clock, risks),
        c -> {
          if (namespaces.length > 0) {
            c.settingNamespaces(namespaces);
          }
        });
    operator.register(
        new OomPolicyReconciler(client, settings, metrics, clock, verdicts, index, risks),
        c -> {
          if (namespaces.length > 0) {
            c.settingNamespaces(namespaces);
          }
        });
  }

  public OomDoctorOperator start() {
    operator.start();
    return this;
  }

  /** Started, and every informer is healthy. */
  public boolean ready() {
    var info = operator.getRuntimeInfo();
    return info.isStarted() && info.allEventSourcesAreHealthy();
  }

  @Override
  public void close() {
    operator.stop();
  }
}
