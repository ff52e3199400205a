package io.oomdoctor.operator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
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
import io.oomdoctor.model.Recommendation;
import io.oomdoctor.model.WorkloadReference;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubernetesClient client;
  private final OperatorMetrics metrics;
  private final EventRecorder events;
  private final Workloads workloads;
  private final Clock clock;
  private final boolean applyEnabled;
  private final Set<String> applyExcluded;
  private final KillAssessor assessor;
  private final KillVerdicts verdicts;
  private InformerEventSource<OomKill, OomPolicy> kills;

  public OomPolicyReconciler(
      KubernetesClient client,
      OperatorSettings settings,
      OperatorMetrics metrics,
      Clock clock,
      KillAssessor assessor,
      KillVerdicts verdicts) {
    this.client = client;
    this.metrics = metrics;
    this.clock = clock;
    this.assessor = assessor;
    this.verdicts = verdicts;
    this.applyEnabled = settings.applyEnabled();
    this.applyExcluded = settings.applyExcludedNamespaces();
    this.events = new EventRecorder(client, settings.eventWindow(), clock, settings.identity());
    this.workloads = new Workloads(client);
  }

  @Override
  public List<EventSource<?, OomPolicy>> prepareEventSources(
      EventSourceContext<OomPolicy> context) {
    kills =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(OomKill.class, OomPolicy.class)
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
    String conflict = conflict(policy, context);
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
            recommend(ns, rules, wg.getKey(), cg.getKey(), cg.getValue(), status, now);
        if (d != null
            && d.retryAfter() != null
            && (retry == null || d.retryAfter().compareTo(retry) < 0)) {
          retry = d.retryAfter();
        }
      }
    }
    status.killsSeen = mine.size();
    status.workloads = groups.size();
    status.recommendationCount = status.recommendations.size();
    status.conditions =
        Conditions.set(
            status.conditions, "Invalid", false, "Valid", "The policy is valid.", generation, now);
    status.conditions =
        Conditions.set(
            status.conditions,
            "Ready",
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
    status.conditions = Conditions.set(status.conditions, "Invalid", true, reason, message, g, now);
    status.conditions = Conditions.set(status.conditions, "Ready", false, reason, message, g, now);
    status.killsSeen = 0;
    status.workloads = 0;
    status.recommendationCount = 0;
    metrics.recommendations(policy.getMetadata().getNamespace(), policy.getMetadata().getName(), 0);
    policy.setStatus(status);
    return UpdateControl.patchStatus(policy);
  }

  /** Why this policy yields to an older one that selects the same pods, or null. */
  private String conflict(OomPolicy policy, Context<OomPolicy> context) {
    String ns = policy.getMetadata().getNamespace();
    List<OomPolicy> older =
        context
            .getPrimaryCache()
            .list(ns)
            .filter(p -> !p.getMetadata().getName().equals(policy.getMetadata().getName()))
            .filter(p -> Policies.of(p).valid())
            .filter(p -> Policies.PRECEDENCE.compare(p, policy) < 0)
            .toList();
    if (older.isEmpty()) {
      return null;
    }
    List<Map.Entry<String, Map<String, String>>> pods = new ArrayList<>();
    for (Pod p : client.pods().inNamespace(ns).list().getItems()) {
      pods.add(Map.entry(p.getMetadata().getName(), labels(p.getMetadata().getLabels())));
    }
    kills
        .list(ns)
        .forEach(
            k -> {
              if (k.getSpec() != null && k.getSpec().pod != null && k.getSpec().pod.name != null) {
                pods.add(Map.entry(k.getSpec().pod.name, labels(k.getSpec().pod.labels)));
              }
            });
    for (var pod : pods) {
      if (!Selectors.matches(
          policy.getSpec() == null ? null : policy.getSpec().selector, pod.getValue())) {
        continue;
      }
      for (OomPolicy o : older) {
        if (Selectors.matches(o.getSpec() == null ? null : o.getSpec().selector, pod.getValue())) {
          return "Pod "
              + pod.getKey()
              + " is also selected by OomPolicy "
              + o.getMetadata().getName()
              + ", which is older and governs it; narrow one of the selectors.";
        }
      }
    }
    return null;
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

  private static Map<String, String> labels(Map<String, String> l) {
    return l == null ? Map.of() : l;
  }

  private Recommender.Decision recommend(
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
    r.kills = killsOfContainer.size();
    r.applied = false;
    status.recommendations.add(r);
    if (object == null) {
      r.reason = "WorkloadGone";
      r.recommendedLimit =
          latest.recommendedLimitBytes() == null
              ? null
              : Quantities.format(latest.recommendedLimitBytes());
      return null;
    }
    Container c = Workloads.container(object, container);
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
            Workloads.PATCHABLE.contains(w.kind),
            managedBy,
            current,
            request,
            last,
            AppliedChanges.latest(applied).orElse(null));
    Recommender.Decision d = Recommender.decide(rules, ks, target, now);
    if (d.apply() && !applyEnabled) {
      d =
          new Recommender.Decision(
              d.recommendedLimit(), false, d.newRequest(), "ApplyDisabled", null, d.considered());
    } else if (d.apply() && applyExcluded.contains(ns)) {
      d =
          new Recommender.Decision(
              d.recommendedLimit(),
              false,
              d.newRequest(),
              "NamespaceExcluded",
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
      r.patch = patch(w.kind, container, c, d);
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
      String at = apply(ns, w, container, d, latest, current);
      r.applied = true;
      r.appliedAt = at;
      r.currentLimit = Quantities.format(d.recommendedLimit());
      r.patch = null;
      r.command = null;
    } else if (change && !"Pod".equals(w.kind)) {
      events.record(
          ns,
          involved(ns, w, object),
          "Normal",
          "MemoryLimitRecommended",
          container,
          latest.name(),
          "Container "
              + container
              + ": recommended memory limit "
              + r.recommendedLimit
              + " (now "
              + (r.currentLimit == null ? "none" : r.currentLimit)
              + ") after OOM kill "
              + latest.name()
              + " ("
              + r.cause
              + "); not applied: "
              + r.reason
              + ". "
              + r.command);
    }
    return d;
  }

  /** Changes the container's limit (and request) in the workload; returns when. */
  private String apply(
      String ns,
      WorkloadReference w,
      String container,
      Recommender.Decision d,
      KillVerdicts.Verdict latest,
      Long current) {
    HasMetadata fresh = workloads.get(ns, w);
    Container c = Workloads.container(fresh, container);
    if (c == null) {
      throw new IllegalStateException(w + " has no container " + container);
    }
    Long now = Workloads.memoryLimit(c);
    Map<String, AppliedChanges.Change> applied = AppliedChanges.read(fresh);
    AppliedChanges.Change done = applied.get(container);
    if (done != null && latest.name().equals(done.kill())) {
      return done.at(); // applied before a restart or a lost status write
    }
    if (!Objects.equals(now, current)) {
      throw new IllegalStateException(
          w
              + " changed while deciding (limit "
              + now
              + ", expected "
              + current
              + "); deciding again");
    }
    if (c.getResources() == null) {
      c.setResources(new ResourceRequirements());
    }
    if (c.getResources().getLimits() == null) {
      c.getResources().setLimits(new HashMap<>());
    }
    c.getResources()
        .getLimits()
        .put("memory", new Quantity(Quantities.format(d.recommendedLimit())));
    if (d.newRequest() != null) {
      if (c.getResources().getRequests() == null) {
        c.getResources().setRequests(new HashMap<>());
      }
      c.getResources().getRequests().put("memory", new Quantity(Quantities.format(d.newRequest())));
    }
    String at = clock.instant().toString();
    String from = current == null ? "none" : Quantities.format(current);
    applied.put(
        container,
        new AppliedChanges.Change(
            from, Quantities.format(d.recommendedLimit()), latest.cause(), latest.name(), at));
    if (fresh.getMetadata().getAnnotations() == null) {
      fresh.getMetadata().setAnnotations(new HashMap<>());
    }
    fresh
        .getMetadata()
        .getAnnotations()
        .put(AppliedChanges.ANNOTATION, AppliedChanges.write(applied));
    HasMetadata updated =
        client.resource(fresh).update(); // optimistic: 409 when it changed meanwhile
    LOG.info(
        "{}/{} {}: memory limit of {} raised from {} to {} after {} ({})",
        ns,
        w.kind,
        w.name,
        container,
        from,
        Quantities.format(d.recommendedLimit()),
        latest.name(),
        latest.cause());
    metrics.applied(ns, w.toString(), container);
    events.record(
        ns,
        involved(ns, w, updated),
        "Normal",
        "MemoryLimitRaised",
        container,
        latest.name(),
        "Container "
            + container
            + ": memory limit raised from "
            + from
            + " to "
            + Quantities.format(d.recommendedLimit())
            + (d.newRequest() != null ? " (request " + Quantities.format(d.newRequest()) + ")" : "")
            + " after OOM kill "
            + latest.name()
            + " ("
            + latest.cause()
            + ").");
    return at;
  }

  private static ObjectReference involved(String ns, WorkloadReference w, HasMetadata o) {
    return new ObjectReferenceBuilder()
        .withApiVersion(w.apiVersion == null ? o.getApiVersion() : w.apiVersion)
        .withKind(w.kind)
        .withName(w.name)
        .withNamespace(ns)
        .withUid(o.getMetadata().getUid())
        .build();
  }

  /** The strategic merge patch a person commits (or applies) for this recommendation. */
  static String patch(String kind, String container, Container current, Recommender.Decision d) {
    ObjectNode resources = JSON.createObjectNode();
    resources.putObject("limits").put("memory", Quantities.format(d.recommendedLimit()));
    if (d.newRequest() != null) {
      resources.putObject("requests").put("memory", Quantities.format(d.newRequest()));
    }
    ObjectNode c = JSON.createObjectNode();
    c.put("name", container);
    c.set("resources", resources);
    ObjectNode podSpec = JSON.createObjectNode();
    ArrayNode list = podSpec.putArray("containers");
    list.add(c);
    ObjectNode root = JSON.createObjectNode();
    switch (kind) {
      case "Pod" -> root.set("spec", podSpec);
      case "CronJob" ->
          root.putObject("spec")
              .putObject("jobTemplate")
              .putObject("spec")
              .putObject("template")
              .set("spec", podSpec);
      default -> root.putObject("spec").putObject("template").set("spec", podSpec);
    }
    return root.toString();
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
