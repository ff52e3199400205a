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
import io.oomdoctor.diagnosis.Cause;
import io.oomdoctor.diagnosis.Diagnoser;
import io.oomdoctor.diagnosis.Diagnosis;
import io.oomdoctor.diagnosis.DiagnosisSettings;
import io.oomdoctor.diagnosis.Finding;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomKillSpec;
import io.oomdoctor.model.OomKillStatus;
import io.oomdoctor.model.OomPolicy;
import io.oomdoctor.model.WorkloadReference;
import io.oomdoctor.model.evidence.OomReport;
import io.oomdoctor.model.evidence.PodReference;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Diagnoses each new OomKill: finds its pod, workload and governing OomPolicy, writes the diagnosis
 * into the OomKill's status and a Warning Event on the Pod (and on the Node for a host OOM).
 * Diagnosed kills are only revisited to remove them once they are too old or too many.
 */
@ControllerConfiguration(name = OomKillReconciler.NAME)
public class OomKillReconciler implements Reconciler<OomKill> {
  public static final String NAME = "oomkill";
  public static final String REASON = "OOMKilled";
  private static final Logger LOG = LoggerFactory.getLogger(OomKillReconciler.class);

  private final KubernetesClient client;
  private final OperatorSettings settings;
  private final OperatorMetrics metrics;
  private final EventRecorder events;
  private final Workloads workloads;
  private final Clock clock;

  public OomKillReconciler(
      KubernetesClient client, OperatorSettings settings, OperatorMetrics metrics, Clock clock) {
    this.client = client;
    this.settings = settings;
    this.metrics = metrics;
    this.clock = clock;
    this.events = new EventRecorder(client, settings.eventWindow(), clock, settings.identity());
    this.workloads = new Workloads(client);
  }

  @Override
  public UpdateControl<OomKill> reconcile(OomKill kill, Context<OomKill> context) {
    return metrics.timed(NAME, () -> doReconcile(kill, context));
  }

  private UpdateControl<OomKill> doReconcile(OomKill kill, Context<OomKill> context) {
    Instant now = clock.instant();
    Instant created = created(kill, now);
    if (created.plus(settings.retention()).isBefore(now)) {
      LOG.info("Removing {}/{}: older than {}", ns(kill), name(kill), settings.retention());
      client.resource(kill).delete();
      return UpdateControl.noUpdate();
    }
    OomKillStatus status = kill.getStatus();
    if (status != null
        && status.cause != null
        && Objects.equals(status.observedGeneration, kill.getMetadata().getGeneration())) {
      return UpdateControl.<OomKill>noUpdate().rescheduleAfter(untilExpiry(created, now));
    }
    OomKillStatus diagnosed = diagnose(kill, now);
    kill.setStatus(diagnosed);
    prune(kill, context);
    return UpdateControl.patchStatus(kill).rescheduleAfter(untilExpiry(created, now));
  }

  private Duration untilExpiry(Instant created, Instant now) {
    Duration left = Duration.between(now, created.plus(settings.retention())).plusSeconds(1);
    return left.isNegative() ? Duration.ofSeconds(1) : left;
  }

  OomKillStatus diagnose(OomKill kill, Instant now) {
    OomKillSpec spec = kill.getSpec() == null ? new OomKillSpec() : kill.getSpec();
    String namespace = ns(kill);
    PodReference ref = spec.pod;
    OomKillStatus status = new OomKillStatus();
    status.observedGeneration = kill.getMetadata().getGeneration();
    status.diagnosedAt = now.toString();

    Pod pod = null;
    if (ref != null && ref.name != null) {
      Pod live =
          client
              .pods()
              .inNamespace(ref.namespace == null ? namespace : ref.namespace)
              .withName(ref.name)
              .get();
      if (live != null && (ref.uid == null || ref.uid.equals(live.getMetadata().getUid()))) {
        pod = live;
      }
    }
    String nodeLabel =
        kill.getMetadata().getLabels() == null
            ? null
            : kill.getMetadata().getLabels().get(OomKill.LABEL_NODE);
    if (pod != null
        && spec.nodeName != null
        && pod.getSpec() != null
        && pod.getSpec().getNodeName() != null
        && !spec.nodeName.equals(pod.getSpec().getNodeName())) {
      return untrusted(
          status,
          "Reported by node "
              + spec.nodeName
              + ", but pod "
              + ref.name
              + " runs on "
              + pod.getSpec().getNodeName()
              + "; the report is not trusted.",
          namespace,
          name(kill),
          now);
    }
    if (nodeLabel != null && spec.nodeName != null && !nodeLabel.equals(spec.nodeName)) {
      return untrusted(
          status,
          "Label "
              + OomKill.LABEL_NODE
              + "="
              + nodeLabel
              + " does not match spec.nodeName "
              + spec.nodeName
              + "; the report is not trusted.",
          namespace,
          name(kill),
          now);
    }

    Map<String, String> labels =
        pod != null ? pod.getMetadata().getLabels() : ref == null ? null : ref.labels;
    WorkloadReference workload = null;
    if (pod != null) {
      workload = workloads.ownerOf(pod);
    } else if (ref != null && ref.name != null) {
      workload =
          ref.ownerKind == null
              ? new WorkloadReference("v1", "Pod", ref.name)
              : workloads.follow(
                  ref.namespace == null ? namespace : ref.namespace,
                  ref.ownerKind,
                  ref.ownerName,
                  null);
    }
    status.workload = workload;

    OomPolicy policy = null;
    if (ref != null && ref.name != null) {
      List<OomPolicy> policies =
          client.resources(OomPolicy.class).inNamespace(namespace).list().getItems();
      policy = Policies.governing(policies, labels).orElse(null);
    }
    Policies rules = policy == null ? null : Policies.of(policy);
    status.policy = policy == null ? null : policy.getMetadata().getName();

    DiagnosisSettings ds =
        rules == null
            ? settings.diagnosis()
            : settings
                .diagnosis()
                .forPolicy(rules.headroomPercent(), rules.minLimitBytes(), rules.maxLimitBytes());
    Diagnosis d = new Diagnoser(ds).diagnose(spec);
    Finding f = d.primary();
    status.cause = f.cause().name();
    status.confidence = Math.round(f.confidence() * 100) / 100.0;
    status.summary = f.summary();
    status.fix = f.fix();
    Long rec = f.recommendedLimitBytes();
    status.recommendedLimitBytes = rec;
    status.recommendedLimit = rec == null ? null : Bytes.human(rec);
    status.runtimeFlags = f.runtimeFlags().isEmpty() ? null : new LinkedHashMap<>(f.runtimeFlags());
    status.otherCauses =
        d.others().isEmpty() ? null : d.others().stream().map(o -> o.cause().name()).toList();
    String gone =
        pod == null && ref != null && ref.name != null
            ? " The pod is gone; diagnosed from the kernel's report."
            : "";
    status.conditions =
        Conditions.set(
            null,
            "Diagnosed",
            true,
            f.cause().name(),
            f.cause().meaning() + "." + gone,
            status.observedGeneration,
            now);

    String message = message(spec, status, d);
    String occurrence = name(kill);
    if (ref != null && ref.name != null) {
      ObjectReference involved =
          new ObjectReferenceBuilder()
              .withApiVersion("v1")
              .withKind("Pod")
              .withName(ref.name)
              .withNamespace(ref.namespace == null ? namespace : ref.namespace)
              .withUid(ref.uid)
              .build();
      events.record(
          involved.getNamespace(),
          involved,
          "Warning",
          REASON,
          (ref.container == null ? "" : ref.container) + "/" + status.cause,
          occurrence,
          message);
    }
    if (f.cause() == Cause.HostOom && spec.nodeName != null) {
      ObjectReference node =
          new ObjectReferenceBuilder()
              .withApiVersion("v1")
              .withKind("Node")
              .withName(spec.nodeName)
              .withUid(spec.nodeName)
              .build();
      events.record(
          "default",
          node,
          "Warning",
          "SystemOOM",
          status.cause,
          namespace + "/" + occurrence,
          message);
    }
    // Written after the Events, so that diagnosedAt minus the kernel's time is kill-to-event.
    Instant written = clock.instant();
    status.diagnosedAt = written.toString();
    if (spec.report != null && spec.report.timestamp != null) {
      try {
        metrics.killToEvent(Duration.between(Instant.parse(spec.report.timestamp), written));
      } catch (RuntimeException e) {
        LOG.debug("Unreadable kill time {}", spec.report.timestamp);
      }
    }
    metrics.killDiagnosed(
        namespace,
        workload == null ? null : workload.toString(),
        ref == null ? null : ref.container,
        status.cause);
    LOG.info("{}/{}: {}", namespace, occurrence, message);
    return status;
  }

  /** A report from a node that cannot have seen the kill: recorded, not diagnosed, no Event. */
  private static OomKillStatus untrusted(
      OomKillStatus status, String why, String namespace, String name, Instant now) {
    status.cause = Cause.Unknown.name();
    status.summary = why;
    status.conditions =
        Conditions.set(
            null, "Diagnosed", false, "NodeMismatch", why, status.observedGeneration, now);
    LOG.warn("OomKill {}/{}: {}", namespace, name, why);
    return status;
  }

  /** The Event text: who, at which limit, why, and what to do. */
  static String message(OomKillSpec spec, OomKillStatus status, Diagnosis d) {
    OomReport r = spec.report == null ? new OomReport() : spec.report;
    StringBuilder sb = new StringBuilder();
    String container = spec.pod == null ? null : spec.pod.container;
    sb.append(container == null ? "Process " : "Container " + container + ": process ");
    sb.append(r.process == null ? "?" : r.process);
    if (r.pid != null) {
      sb.append(" (pid ").append(r.pid).append(')');
    }
    sb.append(" was OOM-killed");
    if (spec.limit != null) {
      sb.append(
          "node".equals(spec.limit)
              ? " by the node's kernel (host OOM)"
              : " at limit " + spec.limit);
    }
    sb.append(". Cause: ").append(status.cause).append(". ");
    sb.append(d.explain());
    return sb.toString();
  }

  /** Keeps at most the configured number of OomKills per workload container. */
  private void prune(OomKill kill, Context<OomKill> context) {
    WorkloadReference w = kill.getStatus().workload;
    if (w == null) {
      return;
    }
    String container =
        kill.getSpec() == null || kill.getSpec().pod == null ? null : kill.getSpec().pod.container;
    List<OomKill> same =
        context
            .getPrimaryCache()
            .list(ns(kill))
            .filter(k -> k.getStatus() != null && w.equals(k.getStatus().workload))
            .filter(
                k ->
                    Objects.equals(
                        container,
                        k.getSpec() == null || k.getSpec().pod == null
                            ? null
                            : k.getSpec().pod.container))
            .filter(k -> !name(k).equals(name(kill)))
            .sorted(Comparator.comparing((OomKill k) -> created(k, Instant.EPOCH)).reversed())
            .toList();
    int keep = Math.max(0, settings.keepPerWorkload() - 1);
    for (OomKill old : same.subList(Math.min(keep, same.size()), same.size())) {
      LOG.info(
          "Removing {}/{}: more than {} kills kept for {}",
          ns(old),
          name(old),
          settings.keepPerWorkload(),
          w);
      client.resource(old).delete();
    }
  }

  @Override
  public ErrorStatusUpdateControl<OomKill> updateErrorStatus(
      OomKill kill, Context<OomKill> context, Exception e) {
    LOG.warn("Diagnosing {}/{} failed (will retry): {}", ns(kill), name(kill), e.toString());
    return ErrorStatusUpdateControl.defaultErrorProcessing();
  }

  static Instant created(OomKill k, Instant fallback) {
    String ts = k.getMetadata().getCreationTimestamp();
    try {
      return ts == null ? fallback : Instant.parse(ts);
    } catch (RuntimeException e) {
      return fallback;
    }
  }

  static String ns(OomKill k) {
    return k.getMetadata().getNamespace();
  }

  static String name(OomKill k) {
    return k.getMetadata().getName();
  }

  static Optional<String> container(OomKill k) {
    return Optional.ofNullable(k.getSpec()).map(s -> s.pod).map(p -> p.container);
  }
}
