package io.oomdoctor.operator;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.oomdoctor.model.OomPolicyStatus;
import io.oomdoctor.model.Recommendation;
import io.oomdoctor.model.WorkloadReference;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Makes the recommendation for one workload container of a policy from the kills the operator
 * verified, and applies it through {@link LimitApplier} when the policy, the operator's settings
 * and the namespace allow.
 */
final class RecommendationMaker {
  private final Workloads workloads;
  private final EventRecorder events;
  private final LimitApplier applier;
  private final boolean applyEnabled;
  private final Set<String> applyExcluded;

  RecommendationMaker(
      Workloads workloads,
      EventRecorder events,
      LimitApplier applier,
      boolean applyEnabled,
      Set<String> applyExcluded) {
    this.workloads = workloads;
    this.events = events;
    this.applier = applier;
    this.applyEnabled = applyEnabled;
    this.applyExcluded = applyExcluded;
  }

  Recommender.Decision recommend(
      String ns,
      Policies rules,
      WorkloadReference w,
      String container,
      List<KillVerdicts.Verdict> killsOfContainer,
      OomPolicyStatus status,
      Instant now) {
    KillVerdicts.Verdict latest = killsOfContainer.get(killsOfContainer.size() - 1);
    HasMetadata object = workloads.get(ns, w);
    Recommendation r = new Recommendation();
    r.workload = w;
    r.container = container;
    r.cause = latest.cause();
    r.fix = latest.fix();
    r.lastKill = latest.name();
    r.lastKillTime = latest.lastKillTime();
    r.kills = killsOfContainer.stream().mapToInt(KillVerdicts.Verdict::kills).sum();
    r.applied = false;
    status.recommendations.add(r);
    if (object == null) {
      r.reason = RecommendationReason.WorkloadGone.name();
      r.recommendedLimit =
          latest.recommendedLimitBytes() == null
              ? null
              : Quantities.format(latest.recommendedLimitBytes());
      return null;
    }
    Container c = Workloads.container(object, container);
    // Only the very object the kills were resolved to (by UID), and only a container of its pod
    // template (not an ephemeral one, not one renamed since), is ever changed.
    String uid = object.getMetadata().getUid();
    boolean patchable =
        Workloads.PATCHABLE.contains(w.kind)
            && c != null
            && uid != null
            && killsOfContainer.stream().anyMatch(v -> uid.equals(v.workloadUid()));
    Long current = Workloads.memoryLimit(c);
    Long request = Workloads.memoryRequest(c);
    Map<String, AppliedChanges.Change> applied = AppliedChanges.read(object);
    AppliedChanges.Change last = applied.get(container);
    String managedBy = GitOps.managedBy(object);
    r.managedBy = managedBy;
    r.currentLimit = current == null ? null : Quantities.format(current);
    List<Recommender.Kill> ks =
        killsOfContainer.stream()
            .map(
                k ->
                    new Recommender.Kill(
                        k.name(), k.created(), k.cause(), k.recommendedLimitBytes(), k.fix()))
            .toList();
    Recommender.Target target =
        new Recommender.Target(
            w.kind,
            patchable,
            managedBy,
            current,
            request,
            last,
            AppliedChanges.latest(applied).orElse(null));
    Recommender.Decision d = Recommender.decide(rules, ks, target, now);
    if (d.apply() && !applyEnabled) {
      d =
          new Recommender.Decision(
              d.recommendedLimit(),
              false,
              d.newRequest(),
              RecommendationReason.ApplyDisabled.name(),
              null,
              d.considered());
    } else if (d.apply() && applyExcluded.contains(ns)) {
      d =
          new Recommender.Decision(
              d.recommendedLimit(),
              false,
              d.newRequest(),
              RecommendationReason.NamespaceExcluded.name(),
              null,
              d.considered());
    }
    r.recommendedLimit =
        d.recommendedLimit() == null ? null : Quantities.format(d.recommendedLimit());
    r.reason = d.reason();
    if (last != null) {
      r.appliedAt = last.at();
      r.applied = d.considered().isEmpty();
    }
    boolean change = d.recommendedLimit() != null && !Objects.equals(d.recommendedLimit(), current);
    if (change) {
      r.patch = LimitApplier.patch(w.kind, container, Workloads.isInit(object, container), d);
      r.command =
          "kubectl -n "
              + ns
              + " patch "
              + Workloads.resourceName(w.kind)
              + " "
              + w.name
              + " --type=strategic -p '"
              + r.patch
              + "'";
    }
    if (d.apply()) {
      String at = applier.apply(ns, w, container, d, latest, current);
      r.applied = true;
      r.appliedAt = at;
      r.currentLimit = Quantities.format(d.recommendedLimit());
      r.patch = null;
      r.command = null;
    } else if (change && !"Pod".equals(w.kind)) {
      events.record(
          ns,
          LimitApplier.involved(ns, w, object),
          "Normal",
          EventReason.MemoryLimitRecommended.name(),
          container,
          latest.name(),
          "Container "
              + container
              + ": recommended memory limit "
              + r.recommendedLimit
              + " (now "
              + (r.currentLimit == null ? "none" : r.currentLimit)
              + ")"
              + (Recommender.RISK_CAUSE.equals(r.cause)
                  ? " before any OOM kill: its working set stays near the limit (OomRisk "
                      + latest.name()
                      + ")"
                  : " after OOM kill " + latest.name() + " (" + r.cause + ")")
              + "; not applied: "
              + r.reason
              + ". "
              + r.command);
    }
    return d;
  }
}
