package io.oomdoctor.operator;

import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.oomdoctor.diagnosis.Bytes;
import io.oomdoctor.diagnosis.Cause;
import io.oomdoctor.diagnosis.Diagnosis;
import io.oomdoctor.diagnosis.Finding;
import io.oomdoctor.model.Bounds;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomKillSpec;
import io.oomdoctor.model.OomKillStatus;
import io.oomdoctor.model.Text;
import io.oomdoctor.model.evidence.OomReport;
import io.oomdoctor.model.evidence.Repeats;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Record and emit: turns an assessment into the OomKill's status, the Warning Event on the Pod (or
 * on the OomKill itself when the pod is gone, and on the Node for a host OOM), the metrics, and the
 * verdict the policy reconciler acts on. Events go only to objects the assessment verified: the
 * live pod in the kill's own namespace, never a name the evidence supplied.
 */
final class KillRecorder {
  static final String REASON = EventReason.OOMKilled.name();
  static final String DIAGNOSED = ConditionType.Diagnosed.name();
  static final String VERIFIED = ConditionType.Verified.name();
  private static final Logger LOG = LoggerFactory.getLogger(KillRecorder.class);

  private final EventRecorder events;
  private final OperatorMetrics metrics;
  private final Clock clock;
  private final String systemNamespace;

  KillRecorder(EventRecorder events, OperatorMetrics metrics, Clock clock, String systemNamespace) {
    this.events = events;
    this.metrics = metrics;
    this.clock = clock;
    this.systemNamespace = systemNamespace;
  }

  /** The status the operator writes for this assessment. */
  static OomKillStatus status(KillAssessor.Assessment a, Instant now) {
    OomKill kill = a.kill();
    OomKillStatus status = new OomKillStatus();
    status.observedGeneration = kill.getMetadata().getGeneration();
    status.diagnosedAt = now.toString();
    TrustReason trust = a.trust().reason();
    String why = Text.clip(a.trust().message(), Bounds.TEXT);
    if (a.diagnosis() == null) {
      status.cause = Cause.Unknown.name();
      status.summary = why;
      status.conditions =
          Conditions.set(null, DIAGNOSED, false, trust.name(), why, status.observedGeneration, now);
      status.conditions =
          Conditions.set(
              status.conditions,
              VERIFIED,
              false,
              trust.name(),
              why,
              status.observedGeneration,
              now);
      return status;
    }
    Finding f = a.diagnosis().primary();
    status.cause = f.cause().name();
    status.confidence = Math.round(f.confidence() * 100) / 100.0;
    status.summary = Text.clip(f.summary(), Bounds.TEXT);
    status.fix = Text.clip(f.fix(), Bounds.TEXT);
    Long rec = f.recommendedLimitBytes();
    status.recommendedLimitBytes = rec;
    status.recommendedLimit = rec == null ? null : Bytes.human(rec);
    status.runtimeFlags = f.runtimeFlags().isEmpty() ? null : new LinkedHashMap<>(f.runtimeFlags());
    status.otherCauses =
        a.diagnosis().others().isEmpty()
            ? null
            : a.diagnosis().others().stream().map(o -> o.cause().name()).toList();
    status.candidates = new java.util.ArrayList<>();
    status.candidates.add(candidate(f));
    a.diagnosis().others().stream().limit(15).forEach(o -> status.candidates.add(candidate(o)));
    status.workload = a.workload();
    status.policy = a.policy() == null ? null : a.policy().getMetadata().getName();
    String gone = trust == TrustReason.PodGone ? " " + why : "";
    status.conditions =
        Conditions.set(
            null,
            DIAGNOSED,
            true,
            f.cause().name(),
            f.cause().meaning() + "." + gone,
            status.observedGeneration,
            now);
    status.conditions =
        Conditions.set(
            status.conditions,
            VERIFIED,
            trust == TrustReason.Verified,
            trust.name(),
            why,
            status.observedGeneration,
            now);
    return status;
  }

  /**
   * Writes the Events and counts the kill in the metrics (at the first look at it); returns the
   * status with the time it was written.
   */
  OomKillStatus emit(KillAssessor.Assessment a, OomKillStatus status) {
    OomKill kill = a.kill();
    String ns = kill.getMetadata().getNamespace();
    String name = kill.getMetadata().getName();
    TrustReason trust = a.trust().reason();
    OomKillSpec spec = kill.getSpec();
    int times = Repeats.count(spec == null ? null : spec.repeats);
    if (a.diagnosis() == null) {
      LOG.warn("OomKill {}/{} is not trusted: {}", ns, name, status.summary);
      metrics.killDiagnosed(ns, null, null, trust.name(), times);
      return status;
    }
    String message = Text.printable(message(spec, status, a.diagnosis()));
    String container = trust == TrustReason.Verified ? spec.pod.container : null;
    Pod pod = a.observation().pod();
    if (trust == TrustReason.Verified) {
      events.record(
          ns,
          reference("v1", "Pod", pod.getMetadata().getName(), ns, pod.getMetadata().getUid()),
          "Warning",
          REASON,
          (container == null ? "" : container) + "/" + status.cause,
          name,
          message,
          times);
    } else if (trust == TrustReason.PodGone) {
      // Nowhere else: the Event stays with the evidence, in the OomKill's own namespace.
      events.record(
          ns,
          reference(
              OomKill.GROUP + "/" + OomKill.VERSION,
              "OomKill",
              name,
              ns,
              kill.getMetadata().getUid()),
          "Warning",
          REASON,
          status.cause,
          name,
          message,
          times);
    }
    boolean fromSystem = trust == TrustReason.NoPod && Objects.equals(ns, systemNamespace);
    if (a.diagnosis().cause() == Cause.HostOom
        && spec.nodeName != null
        && (trust == TrustReason.Verified || fromSystem)) {
      events.record(
          "default",
          reference("v1", "Node", spec.nodeName, null, spec.nodeName),
          "Warning",
          EventReason.SystemOOM.name(),
          status.cause,
          ns + "/" + name,
          message);
    }
    // Written after the Events, so that diagnosedAt minus the kernel's time is kill-to-event.
    Instant written = clock.instant();
    status.diagnosedAt = written.toString();
    if (spec.report != null && spec.report.timestamp != null) {
      try {
        metrics.killToEvent(Duration.between(Instant.parse(spec.report.timestamp), written));
      } catch (RuntimeException e) {
        LOG.debug("Unreadable kill time {}", Text.printable(spec.report.timestamp));
      }
    }
    metrics.killDiagnosed(
        ns, a.workload() == null ? null : a.workload().toString(), container, status.cause, times);
    LOG.info("{}/{}: {}", ns, name, message);
    return status;
  }

  /** The verdict the policy reconciler acts on, from the assessment and the status written. */
  static KillVerdicts.Verdict verdict(KillAssessor.Assessment a, OomKillStatus status) {
    OomKill kill = a.kill();
    OomKillSpec spec = kill.getSpec() == null ? new OomKillSpec() : kill.getSpec();
    return new KillVerdicts.Verdict(
        kill.getMetadata().getNamespace(),
        kill.getMetadata().getUid(),
        kill.getMetadata().getGeneration(),
        kill.getMetadata().getName(),
        OomKillReconciler.created(kill, Instant.EPOCH),
        a.trust().reason(),
        a.workload(),
        a.workloadUid(),
        spec.pod == null ? null : spec.pod.container,
        status.policy,
        Repeats.count(spec.repeats),
        status.cause,
        status.recommendedLimitBytes,
        status.fix,
        spec.report != null && spec.report.timestamp != null
            ? spec.report.timestamp
            : kill.getMetadata().getCreationTimestamp(),
        fingerprint(status));
  }

  private static io.oomdoctor.model.Candidate candidate(Finding f) {
    io.oomdoctor.model.Candidate c = new io.oomdoctor.model.Candidate();
    c.cause = f.cause().name();
    c.confidence = Math.round(f.confidence() * 100) / 100.0;
    c.evidenceFor =
        f.evidenceFor().isEmpty()
            ? null
            : f.evidenceFor().stream().limit(8).map(e -> Text.clip(e, Bounds.TEXT)).toList();
    c.evidenceAgainst =
        f.evidenceAgainst().isEmpty()
            ? null
            : f.evidenceAgainst().stream().limit(8).map(e -> Text.clip(e, Bounds.TEXT)).toList();
    return c;
  }

  /** What identifies a status the operator wrote (not its timestamps). */
  static int fingerprint(OomKillStatus s) {
    if (s == null) {
      return 0;
    }
    List<String> conditions =
        s.conditions == null
            ? List.of()
            : s.conditions.stream()
                .map(c -> c.getType() + "=" + c.getStatus() + "/" + c.getReason())
                .toList();
    int h =
        Objects.hash(
            s.cause,
            s.recommendedLimitBytes,
            s.workload,
            s.policy,
            s.summary,
            s.fix,
            s.observedGeneration,
            conditions);
    return h == 0 ? 1 : h; // 0 stands for no status
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
    int times = Repeats.count(spec.repeats);
    if (times > 1) {
      sb.append(", with ")
          .append(times - 1)
          .append(" more kills of it up to ")
          .append(spec.repeats.lastTimestamp == null ? "now" : spec.repeats.lastTimestamp);
    }
    sb.append(". Cause: ").append(status.cause).append(". ");
    sb.append(d.explain());
    return sb.toString();
  }

  private static ObjectReference reference(
      String apiVersion, String kind, String name, String namespace, String uid) {
    return new ObjectReferenceBuilder()
        .withApiVersion(apiVersion)
        .withKind(kind)
        .withName(name)
        .withNamespace(namespace)
        .withUid(uid)
        .build();
  }
}
