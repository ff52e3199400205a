package io.oomdoctor.operator;

import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.oomdoctor.diagnosis.Bytes;
import io.oomdoctor.diagnosis.risk.RiskText;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomPolicy;
import io.oomdoctor.model.OomRisk;
import io.oomdoctor.model.OomRiskSpec;
import io.oomdoctor.model.OomRiskStatus;
import io.oomdoctor.model.Text;
import io.oomdoctor.model.WorkloadReference;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Looks at each report of a risk before the kill (an OomRisk the agent raised, renewed or cleared):
 * checks it as a kill is checked (its namespace is the pod's, the pod exists with that UID on the
 * reporting node, the container ID is the pod's) and that its figures show the risk it names, then
 * writes the {@code OOMRisk} or {@code MemoryMisconfigured} Warning on the Pod — one Event per pod,
 * container and risk, its count rising with each report — or {@code OOMRiskCleared} once it has
 * gone, and hands what it concluded to the policy reconciler. The Event's sentence is made here
 * from the figures; no text of the OomRisk reaches it. A cleared OomRisk is removed an hour later.
 */
@ControllerConfiguration(name = OomRiskReconciler.NAME, generationAwareEventProcessing = false)
public class OomRiskReconciler implements Reconciler<OomRisk> {
  public static final String NAME = "oomrisk";
  private static final Logger LOG = LoggerFactory.getLogger(OomRiskReconciler.class);

  /** Reports of one risk this close to the last one count on the same Event. */
  static final Duration EVENT_WINDOW = Duration.ofHours(1);

  /** How long a cleared OomRisk is kept. */
  static final Duration KEEP_CLEARED = Duration.ofHours(1);

  private final KubernetesClient client;
  private final OperatorMetrics metrics;
  private final Clock clock;
  private final EventRecorder events;
  private final Workloads workloads;
  private final RiskVerdicts verdicts;

  /** UID → the (occurrence, state) last looked at: a report is looked at once. */
  private final Map<String, String> looked = new ConcurrentHashMap<>();

  public OomRiskReconciler(
      KubernetesClient client,
      OperatorSettings settings,
      OperatorMetrics metrics,
      Clock clock,
      RiskVerdicts verdicts) {
    this.client = client;
    this.metrics = metrics;
    this.clock = clock;
    this.verdicts = verdicts;
    // A risk is renewed every few minutes while it lasts: each renewal counts on the Event it
    // last counted on, however long the risk lasts (the window runs from the last count).
    Duration window =
        settings.eventWindow().compareTo(EVENT_WINDOW) > 0 ? settings.eventWindow() : EVENT_WINDOW;
    this.events = new EventRecorder(client, window, clock, settings.identity());
    this.workloads = new Workloads(client);
  }

  @Override
  public UpdateControl<OomRisk> reconcile(OomRisk risk, Context<OomRisk> context) {
    return metrics.timed(NAME, () -> doReconcile(risk));
  }

  private UpdateControl<OomRisk> doReconcile(OomRisk risk) {
    Instant now = clock.instant();
    String ns = risk.getMetadata().getNamespace();
    String uid = risk.getMetadata().getUid();
    OomRiskSpec spec = risk.getSpec() == null ? new OomRiskSpec() : risk.getSpec();
    boolean cleared = OomRisk.CLEARED.equals(spec.state);
    if (cleared) {
      Instant at = instant(spec.observedAt, now);
      if (at.plus(KEEP_CLEARED).isBefore(now)) {
        client.resources(OomRisk.class).inNamespace(ns).withName(name(risk)).delete();
        verdicts.remove(uid);
        looked.remove(uid);
        return UpdateControl.noUpdate();
      }
    }
    String print = spec.occurrence + "/" + spec.state;
    OomRiskStatus old = risk.getStatus();
    if (print.equals(looked.get(uid))
        && old != null
        && Objects.equals(old.observedOccurrence, spec.occurrence)) {
      return reschedule(UpdateControl.noUpdate(), spec, now);
    }

    Pod pod = null;
    if (spec.pod != null
        && spec.pod.name != null
        && (spec.pod.namespace == null || Objects.equals(spec.pod.namespace, ns))) {
      pod = client.pods().inNamespace(ns).withName(spec.pod.name).get();
    }
    KillValidator.Trust trust =
        KillValidator.validate(
            "risk",
            ns,
            spec.pod,
            null,
            spec.nodeName,
            risk.getMetadata().getLabels() == null
                ? null
                : risk.getMetadata().getLabels().get(OomKill.LABEL_NODE),
            spec.containerId,
            pod);
    if (trust.reason() == TrustReason.Verified && (spec.pod.container == null)) {
      // A risk is a container's: without one named, the container ID was never checked.
      trust =
          new KillValidator.Trust(
              TrustReason.ContainerNotInPod, "The risk names no container of the pod.");
    }
    String message = RiskText.message(spec).orElse(null);
    if (trust.reason() == TrustReason.Verified && message == null && !cleared) {
      trust =
          new KillValidator.Trust(
              TrustReason.NotSupported,
              "The figures do not show the risk " + Text.printable(spec.risk) + ".");
    }
    boolean verified = trust.reason() == TrustReason.Verified;
    String container = spec.pod == null ? null : spec.pod.container;
    String text =
        message == null ? null : "Container " + Text.printable(container) + ": " + message;
    boolean firstLook = !print.equals(looked.get(uid));
    if (verified && firstLook) {
      ObjectReference involved =
          new ObjectReferenceBuilder()
              .withApiVersion("v1")
              .withKind("Pod")
              .withName(pod.getMetadata().getName())
              .withNamespace(ns)
              .withUid(pod.getMetadata().getUid())
              .withFieldPath(container == null ? null : "spec.containers{" + container + "}")
              .build();
      boolean misconfigured = OomRisk.MISCONFIGURED.equals(spec.risk);
      String key = container + "/" + spec.risk;
      if (!cleared) {
        events.record(
            ns,
            involved,
            "Warning",
            misconfigured ? EventReason.MemoryMisconfigured.name() : EventReason.OOMRisk.name(),
            key,
            name(risk) + "#" + spec.occurrence,
            text);
      } else if ("Subsided".equals(spec.clearedBecause) && !misconfigured) {
        events.record(
            ns,
            involved,
            "Normal",
            EventReason.OOMRiskCleared.name(),
            key,
            name(risk) + "#cleared",
            "Container "
                + Text.printable(container)
                + ": the risk "
                + spec.risk
                + " has gone"
                + (spec.workingSetBytes != null && spec.limitBytes != null
                    ? " (working set "
                        + Bytes.percent(spec.workingSetBytes, spec.limitBytes)
                        + " % of "
                        + Bytes.human(spec.limitBytes)
                        + ")."
                    : "."));
      }
    }
    if (firstLook && !cleared) {
      metrics.riskSeen(spec.risk, trust.reason().name());
    }
    if (!verified && firstLook) {
      LOG.info("OomRisk {}/{} not trusted: {}", ns, name(risk), trust.message());
    }

    String policy = null;
    WorkloadReference workload = null;
    String workloadUid = null;
    if (verified) {
      List<OomPolicy> policies =
          client.resources(OomPolicy.class).inNamespace(ns).list().getItems();
      policy =
          Policies.governing(policies, pod.getMetadata().getLabels())
              .map(p -> p.getMetadata().getName())
              .orElse(null);
      if (policy != null) {
        Workloads.Owner owner = workloads.resolve(pod);
        workload = owner == null ? null : owner.ref();
        workloadUid =
            owner == null || owner.object() == null ? null : owner.object().getMetadata().getUid();
      }
    }
    verdicts.put(
        new RiskVerdicts.Verdict(
            uid,
            ns,
            name(risk),
            policy,
            workload,
            workloadUid,
            spec.pod == null ? null : spec.pod.name,
            container,
            spec.risk,
            text,
            spec.etaSeconds,
            spec.limitBytes == null ? null : Bytes.human(spec.limitBytes),
            spec.since,
            spec.workingSetBytes,
            verified && !cleared,
            verified && !cleared && steady(spec)));
    looked.put(uid, print);

    OomRiskStatus status = new OomRiskStatus();
    status.trust = trust.reason().name();
    status.message =
        verified ? (cleared ? "Cleared: " + spec.clearedBecause : text) : trust.message();
    status.observedOccurrence = spec.occurrence;
    status.policy = policy;
    risk.setStatus(status);
    return reschedule(UpdateControl.patchStatus(risk), spec, now);
  }

  /**
   * Whether the risk is of a demand that holds still near the limit (not a growth): only such a
   * risk may raise a limit before the kill.
   */
  static boolean steady(OomRiskSpec s) {
    return OomRisk.NEAR_LIMIT.equals(s.risk)
        && (s.growthBytesPerHour == null
            || s.limitBytes == null
            || s.growthBytesPerHour < s.limitBytes / 20);
  }

  private static UpdateControl<OomRisk> reschedule(
      UpdateControl<OomRisk> c, OomRiskSpec spec, Instant now) {
    if (!OomRisk.CLEARED.equals(spec.state)) {
      return c;
    }
    Instant due = instant(spec.observedAt, now).plus(KEEP_CLEARED);
    return c.rescheduleAfter(
        Duration.between(now, due).isNegative()
            ? Duration.ofSeconds(1)
            : Duration.between(now, due).plusSeconds(1));
  }

  private static Instant instant(String ts, Instant fallback) {
    try {
      return ts == null ? fallback : Instant.parse(ts);
    } catch (RuntimeException e) {
      return fallback;
    }
  }

  private static String name(OomRisk r) {
    return r.getMetadata().getName();
  }

  @Override
  public ErrorStatusUpdateControl<OomRisk> updateErrorStatus(
      OomRisk risk, Context<OomRisk> context, Exception e) {
    LOG.warn(
        "Looking at OomRisk {}/{} failed (will retry): {}",
        risk.getMetadata().getNamespace(),
        name(risk),
        e.toString());
    return ErrorStatusUpdateControl.defaultErrorProcessing();
  }
}
