package io.oomdoctor.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomPolicy;
import io.oomdoctor.model.OomPolicyStatus;
import io.oomdoctor.model.WorkloadReference;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each OomPolicy's status: validity, conflicts with other policies, and one recommendation
 * per workload container from its diagnosed kills; in Apply mode, changes the workload's pod
 * template within the policy's bounds. Never writes a policy's spec.
 */
@ControllerConfiguration(name = OomPolicyReconciler.NAME)
public class OomPolicyReconciler implements Reconciler<OomPolicy> {
  public static final String NAME = "oompolicy";
  private static final Logger LOG = LoggerFactory.getLogger(OomPolicyReconciler.class);

  private final OperatorMetrics metrics;
  private final Clock clock;
  private final KillAssessor assessor;
  private final KillVerdicts verdicts;
  private final PolicyConflicts conflicts;
  private final RecommendationMaker maker;
  private InformerEventSource<OomKill, OomPolicy> kills;

  public OomPolicyReconciler(
      KubernetesClient client,
      OperatorSettings settings,
      OperatorMetrics metrics,
      Clock clock,
      KillAssessor assessor,
      KillVerdicts verdicts) {
    this.metrics = metrics;
    this.clock = clock;
    this.assessor = assessor;
    this.verdicts = verdicts;
    this.conflicts = new PolicyConflicts(client);
    EventRecorder events =
        new EventRecorder(client, settings.eventWindow(), clock, settings.identity());
    Workloads workloads = new Workloads(client);
    this.maker =
        new RecommendationMaker(
            workloads,
            events,
            new LimitApplier(client, workloads, events, metrics, clock),
            settings.applyEnabled(),
            settings.applyExcludedNamespaces());
  }

  @Override
  public List<EventSource<?, OomPolicy>> prepareEventSources(
      EventSourceContext<OomPolicy> context) {
    kills =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(OomKill.class, OomPolicy.class)
                .withItemStore(new PrunedKillStore())
                .withInformerListLimit(PrunedKillStore.LIST_LIMIT)
                // From this process's verdict, never from the kill's status.
                .withSecondaryToPrimaryMapper(
                    k -> {
                      KillVerdicts.Verdict v = verdicts.get(k);
                      return v == null || v.policy() == null
                          ? Set.of()
                          : Set.of(new ResourceID(v.policy(), k.getMetadata().getNamespace()));
                    })
                .build(),
            context);
    return List.of(kills);
  }

  @Override
  public UpdateControl<OomPolicy> reconcile(OomPolicy policy, Context<OomPolicy> context) {
    return metrics.timed(NAME, () -> doReconcile(policy, context));
  }

  private UpdateControl<OomPolicy> doReconcile(OomPolicy policy, Context<OomPolicy> context) {
    Instant now = clock.instant();
    String ns = policy.getMetadata().getNamespace();
    String name = policy.getMetadata().getName();
    Long generation = policy.getMetadata().getGeneration();
    OomPolicyStatus old = policy.getStatus() == null ? new OomPolicyStatus() : policy.getStatus();
    OomPolicyStatus status = new OomPolicyStatus();
    status.observedGeneration = generation;
    status.conditions = old.conditions;

    Policies rules = Policies.of(policy);
    if (!rules.valid()) {
      return invalid(policy, status, "InvalidSpec", rules.problem(), now);
    }
    String conflict = conflicts.conflict(policy, context, kills.list(ns));
    if (conflict != null) {
      return invalid(policy, status, "Conflict", conflict, now);
    }

    List<KillVerdicts.Verdict> mine =
        kills
            .list(ns)
            .map(this::verdictOf)
            .filter(v -> name.equals(v.policy()))
            .sorted(
                Comparator.comparing(KillVerdicts.Verdict::created)
                    .thenComparing(KillVerdicts.Verdict::name))
            .toList();
    // Only kills the operator vouched for (live pod, node, container, owner chain) recommend.
    Map<WorkloadReference, Map<String, List<KillVerdicts.Verdict>>> groups = new LinkedHashMap<>();
    for (KillVerdicts.Verdict v : mine) {
      if (!v.actionable()) {
        continue;
      }
      groups
          .computeIfAbsent(v.workload(), x -> new LinkedHashMap<>())
          .computeIfAbsent(v.container(), x -> new ArrayList<>())
          .add(v);
    }
    Duration retry = null;
    for (var wg : groups.entrySet()) {
      for (var cg : wg.getValue().entrySet()) {
        Recommender.Decision d =
            maker.recommend(ns, rules, wg.getKey(), cg.getKey(), cg.getValue(), status, now);
        if (d != null
            && d.retryAfter() != null
            && (retry == null || d.retryAfter().compareTo(retry) < 0)) {
          retry = d.retryAfter();
        }
      }
    }
    status.killsSeen = mine.stream().mapToInt(KillVerdicts.Verdict::kills).sum();
    status.workloads = groups.size();
    status.recommendationCount = status.recommendations.size();
    status.conditions =
        Conditions.set(
            status.conditions,
            ConditionType.Invalid.name(),
            false,
            "Valid",
            "The policy is valid.",
            generation,
            now);
    status.conditions =
        Conditions.set(
            status.conditions,
            ConditionType.Ready.name(),
            true,
            "Ready",
            "Mode "
                + rules.mode()
                + "; "
                + status.killsSeen
                + " kills of "
                + status.workloads
                + " workloads.",
            generation,
            now);
    metrics.recommendations(ns, name, status.recommendationCount);
    // A deleted policy leaves no status to clean; its gauge row goes with it here.
    metrics.retainPolicies(
        context
            .getPrimaryCache()
            .list()
            .map(p -> p.getMetadata().getNamespace() + "/" + p.getMetadata().getName())
            .collect(java.util.stream.Collectors.toSet()));
    policy.setStatus(status);
    UpdateControl<OomPolicy> control = UpdateControl.patchStatus(policy);
    return retry == null ? control : control.rescheduleAfter(retry.plusSeconds(1));
  }

  private UpdateControl<OomPolicy> invalid(
      OomPolicy policy, OomPolicyStatus status, String reason, String message, Instant now) {
    Long g = policy.getMetadata().getGeneration();
    LOG.warn(
        "OomPolicy {}/{} is not in effect: {}",
        policy.getMetadata().getNamespace(),
        policy.getMetadata().getName(),
        message);
    status.conditions =
        Conditions.set(
            status.conditions, ConditionType.Invalid.name(), true, reason, message, g, now);
    status.conditions =
        Conditions.set(
            status.conditions, ConditionType.Ready.name(), false, reason, message, g, now);
    status.killsSeen = 0;
    status.workloads = 0;
    status.recommendationCount = 0;
    metrics.recommendations(policy.getMetadata().getNamespace(), policy.getMetadata().getName(), 0);
    policy.setStatus(status);
    return UpdateControl.patchStatus(policy);
  }

  /**
   * This process's verdict on a kill; one assessed here from its spec and live objects when there
   * is none yet (after a restart). Not stored: the kill reconciler records its own, with the Event.
   */
  private KillVerdicts.Verdict verdictOf(OomKill k) {
    KillVerdicts.Verdict v = verdicts.get(k);
    if (v != null) {
      return v;
    }
    KillAssessor.Assessment a = assessor.assess(k);
    return KillRecorder.verdict(a, KillRecorder.status(a, clock.instant()));
  }

  @Override
  public ErrorStatusUpdateControl<OomPolicy> updateErrorStatus(
      OomPolicy policy, Context<OomPolicy> context, Exception e) {
    LOG.warn(
        "Reconciling OomPolicy {}/{} failed (will retry): {}",
        policy.getMetadata().getNamespace(),
        policy.getMetadata().getName(),
        e.toString());
    return ErrorStatusUpdateControl.defaultErrorProcessing();
  }
}
