package io.oomdoctor.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
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
import java.util.concurrent.atomic.AtomicReference;
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

  /**
   * How long after its first reconcile this process waits for the kills of a policy's namespace to
   * be assessed before the policy acts on those that are.
   */
  static final Duration SETTLE = Duration.ofMinutes(2);

  private final OperatorMetrics metrics;
  private final Clock clock;
  private final KillVerdicts verdicts;
  private final PolicyConflicts conflicts;
  private final RecommendationMaker maker;
  private final KillIndex index;
  private final RiskVerdicts risks;
  private final SimpleInboundEventSource<OomPolicy> verdictChanges =
      new SimpleInboundEventSource<>();
  private final AtomicReference<Instant> firstLook = new AtomicReference<>();
  private final AtomicReference<Instant> lastRetain = new AtomicReference<>();
  private static final Duration RETAIN_EVERY = Duration.ofSeconds(30);

  public OomPolicyReconciler(
      KubernetesClient client,
      OperatorSettings settings,
      OperatorMetrics metrics,
      Clock clock,
      KillVerdicts verdicts,
      KillIndex index) {
    this(client, settings, metrics, clock, verdicts, index, new RiskVerdicts(1));
  }

  public OomPolicyReconciler(
      KubernetesClient client,
      OperatorSettings settings,
      OperatorMetrics metrics,
      Clock clock,
      KillVerdicts verdicts,
      KillIndex index,
      RiskVerdicts risks) {
    this.risks = risks;
    this.metrics = metrics;
    this.index = index;
    this.clock = clock;
    this.verdicts = verdicts;
    this.conflicts = new PolicyConflicts(client, clock);
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

  /**
   * A policy is reconciled when a verdict on one of its kills changes (the OomKill reconciler's
   * conclusions; never an OomKill's status) — the kills themselves are in the one shared cache,
   * {@link KillIndex}, not in an informer of this reconciler's own.
   */
  @Override
  public List<EventSource<?, OomPolicy>> prepareEventSources(
      EventSourceContext<OomPolicy> context) {
    verdicts.listen(
        (before, after) -> {
          for (KillVerdicts.Verdict v : new KillVerdicts.Verdict[] {before, after}) {
            if (v != null && v.policy() != null && v.namespace() != null) {
              verdictChanges.propagateEvent(new ResourceID(v.policy(), v.namespace()));
            }
          }
        });
    risks.listen(
        (before, after) -> {
          for (RiskVerdicts.Verdict v : new RiskVerdicts.Verdict[] {before, after}) {
            if (v != null && v.policy() != null && v.namespace() != null) {
              verdictChanges.propagateEvent(new ResourceID(v.policy(), v.namespace()));
            }
          }
        });
    return List.of(verdictChanges);
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
    String conflict = conflicts.conflict(policy, context, index.leans(ns));
    if (conflict != null) {
      return invalid(policy, status, "Conflict", conflict, now);
    }
    firstLook.compareAndSet(null, now);
    long pending = index.leans(ns).filter(l -> !verdicts.has(l.uid())).count();
    if (pending > 0 && now.isBefore(firstLook.get().plus(SETTLE))) {
      // Kills of the namespace not assessed yet (after a start or a leader change): their
      // verdicts, coming, bring this policy back; it does not act on half of its kills.
      LOG.debug("OomPolicy {}/{} waits for {} kills to be assessed", ns, name, pending);
      // Its gauge exists from its first look on (with what its status last said).
      metrics.recommendations(
          ns, name, old.recommendationCount == null ? 0 : old.recommendationCount);
      return UpdateControl.<OomPolicy>noUpdate()
          .rescheduleAfter(Duration.between(now, firstLook.get().plus(SETTLE)).plusSeconds(1));
    }

    List<KillVerdicts.Verdict> mine =
        verdicts.inNamespace(ns).stream()
            .filter(v -> name.equals(v.policy()))
            .filter(v -> index.holds(ns, v.name(), v.uid()))
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
    int killedWorkloads = groups.size();
    // A working set that holds still near the limit, verified, of a workload container no kill
    // speaks for: recommended (and in Apply mode raised) before the kill, within the same bounds,
    // step and cooldown. A growth toward the limit never is: more room only delays a leak.
    for (RiskVerdicts.Verdict rv : risks.shownFor(ns, name)) {
      if (!rv.steady() || rv.workload() == null || rv.workingSetBytes() == null) {
        continue;
      }
      var byContainer = groups.computeIfAbsent(rv.workload(), x -> new LinkedHashMap<>());
      if (byContainer.containsKey(rv.container())) {
        continue; // its kills decide
      }
      long want =
          io.oomdoctor.diagnosis.Bytes.roundUpMi(
              rv.workingSetBytes() * (1 + rules.headroomPercent() / 100.0));
      byContainer.put(
          rv.container(),
          List.of(
              new KillVerdicts.Verdict(
                  ns,
                  rv.uid(),
                  null,
                  rv.name(),
                  OomKillReconciler.created(rv.since(), now),
                  TrustReason.Verified,
                  rv.workload(),
                  rv.workloadUid(),
                  rv.container(),
                  name,
                  0,
                  Recommender.RISK_CAUSE,
                  want,
                  "The working set has stayed near the limit without growing: give it room"
                      + " before the kernel kills.",
                  null,
                  0)));
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
    status.risks = risks(ns, name);
    status.killsSeen = mine.stream().mapToInt(KillVerdicts.Verdict::kills).sum();
    status.workloads = killedWorkloads;
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
    List<String[]> limits = new ArrayList<>();
    for (io.oomdoctor.model.Recommendation r : status.recommendations) {
      Long rec = r.recommendedLimit == null ? null : Quantities.bytes(r.recommendedLimit);
      Long cur = r.currentLimit == null ? null : Quantities.bytes(r.currentLimit);
      limits.add(
          new String[] {
            r.workload == null ? "" : r.workload.kind + "/" + r.workload.name,
            r.container,
            rec == null ? null : rec.toString(),
            cur == null ? null : cur.toString()
          });
    }
    metrics.recommendedLimits(ns, name, limits);
    // A deleted policy leaves no status to clean; its gauge goes at the next look at all of them
    // (at most every 30 s: a look costs as much as there are policies).
    if (lastRetain.get() == null
        || now.isAfter(lastRetain.get().plus(RETAIN_EVERY))
        || now.isBefore(lastRetain.get())) {
      lastRetain.set(now);
      metrics.retainPolicies(
          context
              .getPrimaryCache()
              .list()
              .map(p -> p.getMetadata().getNamespace() + "/" + p.getMetadata().getName())
              .collect(java.util.stream.Collectors.toSet()));
    }
    policy.setStatus(status);
    UpdateControl<OomPolicy> control = UpdateControl.patchStatus(policy);
    return retry == null ? control : control.rescheduleAfter(retry.plusSeconds(1));
  }

  /** Containers of the policy at risk before any kill, the soonest first, at most 50. */
  private List<io.oomdoctor.model.RiskSummary> risks(String ns, String policy) {
    List<io.oomdoctor.model.RiskSummary> out = new ArrayList<>();
    for (RiskVerdicts.Verdict v : risks.shownFor(ns, policy)) {
      if (out.size() >= 50) {
        break;
      }
      io.oomdoctor.model.RiskSummary r = new io.oomdoctor.model.RiskSummary();
      r.workload = v.workload();
      r.pod = v.pod();
      r.container = v.container();
      r.risk = v.risk();
      r.message = v.message();
      r.etaSeconds = v.etaSeconds();
      r.currentLimit = v.currentLimit();
      r.since = v.since();
      r.oomRisk = v.name();
      out.add(r);
    }
    return out;
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
