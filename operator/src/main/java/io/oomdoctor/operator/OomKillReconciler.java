package io.oomdoctor.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomKillStatus;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Diagnoses each new OomKill: observe (the live pod, workload and policies), validate (can the
 * operator vouch for it), diagnose, then record (status, Events, metrics, and the verdict the
 * policy reconciler acts on). A status the operator did not write is replaced by its own. Diagnosed
 * kills are only revisited to remove them once they are too old or too many.
 */
// Not generation-aware: a status written by someone else (a status-only change) must be seen, so
// that the operator puts its own back.
@ControllerConfiguration(name = OomKillReconciler.NAME, generationAwareEventProcessing = false)
public class OomKillReconciler implements Reconciler<OomKill> {
  public static final String NAME = "oomkill";
  public static final String REASON = KillRecorder.REASON;
  private static final Logger LOG = LoggerFactory.getLogger(OomKillReconciler.class);

  private final KubernetesClient client;
  private final OperatorSettings settings;
  private final OperatorMetrics metrics;
  private final KillAssessor assessor;
  private final KillRecorder recorder;
  private final KillVerdicts verdicts;
  private final KillIndex index;
  private final Clock clock;

  public OomKillReconciler(
      KubernetesClient client,
      OperatorSettings settings,
      OperatorMetrics metrics,
      Clock clock,
      KillAssessor assessor,
      KillVerdicts verdicts,
      KillIndex index) {
    this.client = client;
    this.index = index;
    this.settings = settings;
    this.metrics = metrics;
    this.clock = clock;
    this.assessor = assessor;
    this.verdicts = verdicts;
    this.recorder =
        new KillRecorder(
            new EventRecorder(client, settings.eventWindow(), clock, settings.identity()),
            metrics,
            clock,
            settings.systemNamespace());
  }

  @Override
  public List<EventSource<?, OomKill>> prepareEventSources(EventSourceContext<OomKill> context) {
    return List.of(new RetentionSweep(index, settings.retention(), clock));
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
      delete(kill);
      return UpdateControl.noUpdate();
    }
    KillVerdicts.Verdict known = verdicts.get(kill);
    int print = index.statusPrint(kill);
    if (known != null && known.statusFingerprint() == print) {
      return UpdateControl.noUpdate();
    }
    if (known != null) {
      LOG.warn(
          "The status of OomKill {}/{} was changed by another writer; restoring it",
          ns(kill),
          name(kill));
    }
    KillAssessor.Assessment a = assessor.assess(kill);
    OomKillStatus status = KillRecorder.status(a, now);
    // Events and counts only at the first look at a kill (no status yet): not again after a
    // restart (Events expire long before kills do), nor when a status written by another is
    // replaced.
    if (known == null && print == 0) {
      status = recorder.emit(a, status);
    }
    verdicts.put(KillRecorder.verdict(a, status).sharing(index.lean(index.getKey(kill))));
    if (!index.holds(ns(kill), name(kill), kill.getMetadata().getUid())) {
      verdicts.remove(kill); // deleted while it was being assessed
      return UpdateControl.noUpdate();
    }
    kill.setStatus(status);
    if (prune(kill)) {
      return UpdateControl.noUpdate(); // this kill was the one too many
    }
    // Retention is the sweep's: no timer per kill.
    return UpdateControl.patchStatus(kill);
  }

  /**
   * Keeps at most the configured number of OomKills per workload container, the newest; true when
   * the kill being reconciled is among those removed.
   */
  private boolean prune(OomKill kill) {
    KillVerdicts.Verdict mine = verdicts.get(kill);
    if (mine == null || mine.workload() == null) {
      return false;
    }
    List<KillVerdicts.Verdict> same =
        verdicts.inNamespace(ns(kill)).stream()
            .filter(
                v ->
                    mine.workload().equals(v.workload())
                        && Objects.equals(mine.container(), v.container()))
            .sorted(
                Comparator.comparing(KillVerdicts.Verdict::created)
                    .thenComparing(KillVerdicts.Verdict::name)
                    .reversed())
            .toList();
    int keep = Math.max(1, settings.keepPerWorkload());
    boolean self = false;
    for (KillVerdicts.Verdict old : same.subList(Math.min(keep, same.size()), same.size())) {
      LOG.info(
          "Removing {}/{}: more than {} kills kept for {}",
          old.namespace(),
          old.name(),
          settings.keepPerWorkload(),
          mine.workload());
      delete(old.namespace(), old.name(), old.uid());
      self |= old.uid().equals(kill.getMetadata().getUid());
    }
    return self;
  }

  private void delete(OomKill kill) {
    delete(ns(kill), name(kill), kill.getMetadata().getUid());
  }

  private void delete(String namespace, String name, String uid) {
    client.resources(OomKill.class).inNamespace(namespace).withName(name).delete();
    verdicts.remove(uid);
  }

  @Override
  public ErrorStatusUpdateControl<OomKill> updateErrorStatus(
      OomKill kill, Context<OomKill> context, Exception e) {
    LOG.warn("Diagnosing {}/{} failed (will retry): {}", ns(kill), name(kill), e.toString());
    return ErrorStatusUpdateControl.defaultErrorProcessing();
  }

  static Instant created(OomKill k, Instant fallback) {
    return created(k.getMetadata().getCreationTimestamp(), fallback);
  }

  static Instant created(String ts, Instant fallback) {
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
}
