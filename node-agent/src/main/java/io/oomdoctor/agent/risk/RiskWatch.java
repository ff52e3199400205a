package io.oomdoctor.agent.risk;

import io.oomdoctor.agent.AgentVersion;
import io.oomdoctor.agent.cgroup.CgroupFigures;
import io.oomdoctor.agent.cgroup.CgroupPathInfo;
import io.oomdoctor.agent.cgroup.CgroupTree;
import io.oomdoctor.agent.cgroup.MemoryHistory;
import io.oomdoctor.agent.cgroup.MemorySampler;
import io.oomdoctor.agent.metrics.AgentMetrics;
import io.oomdoctor.agent.pod.PodResolver;
import io.oomdoctor.diagnosis.Finding;
import io.oomdoctor.diagnosis.risk.RiskInput;
import io.oomdoctor.diagnosis.risk.RiskRules;
import io.oomdoctor.diagnosis.risk.RiskSettings;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomRisk;
import io.oomdoctor.model.OomRiskSpec;
import io.oomdoctor.model.evidence.PodReference;
import io.oomdoctor.model.evidence.ProcessInfo;
import io.oomdoctor.model.evidence.ProcessSnapshot;
import io.oomdoctor.model.evidence.RuntimeCaps;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Before the cliff: after each sampling pass, weighs every container's samples for the risks of
 * {@link RiskRules} and, at a container's first looks, its runtime caps against its limit. A risk
 * is reported when it begins, renewed while it lasts (at most every {@code renewEvery}), and
 * cleared once its condition has not held for {@code clearAfter}, or its container is gone. Runs on
 * the sampler's thread, on what the pass has just read: no file is read here.
 *
 * <p>Memory: one small state per container cgroup the pass found (at most five risks each), and the
 * per-container gauges of the latest pass, at most {@link #GAUGE_SERIES} series each.
 */
public final class RiskWatch {
  private static final Logger LOG = LoggerFactory.getLogger(RiskWatch.class);

  /** Series of each per-container gauge at most (the highest ratios, the soonest ETAs). */
  public static final int GAUGE_SERIES = 100;

  /** Process looks at a container's start during which its runtime caps are weighed. */
  static final int START_LOOKS = 10;

  private final String nodeName;
  private final MemorySampler sampler;
  private final PodResolver pods;
  private final AgentMetrics metrics;
  private volatile RiskSettings settings;
  private volatile RiskExporter exporter = RiskExporter.NONE;
  private final Map<String, State> states = new HashMap<>();

  /** One container cgroup's risks. */
  private static final class State {
    final String containerId;
    final String podUid;
    int looks;
    boolean startChecked;
    PodReference pod;
    String labels;
    final Map<String, Active> active = new LinkedHashMap<>();

    /** Occurrences reported per risk since the container started, across clears. */
    final Map<String, Long> occurrences = new HashMap<>();

    State(String containerId, String podUid) {
      this.containerId = containerId;
      this.podUid = podUid;
    }
  }

  /** One risk while it lasts. */
  private static final class Active {
    final long sinceSec;
    long lastHeldSec;
    long lastReportSec;
    long occurrence;
    OomRiskSpec figures;
    PodReference pod;

    Active(long sinceSec) {
      this.sinceSec = sinceSec;
    }
  }

  public RiskWatch(
      String nodeName,
      MemorySampler sampler,
      PodResolver pods,
      AgentMetrics metrics,
      RiskSettings settings) {
    this.nodeName = nodeName;
    this.sampler = sampler;
    this.pods = pods;
    this.metrics = metrics;
    this.settings = settings;
  }

  public void exporter(RiskExporter exporter) {
    this.exporter = exporter == null ? RiskExporter.NONE : exporter;
  }

  public void settings(RiskSettings settings) {
    this.settings = settings;
  }

  public RiskSettings settings() {
    return settings;
  }

  /** Stops the exporter (what waits is not written). */
  public void close() {
    exporter.close();
  }

  /** Risks active now, over all containers. */
  public synchronized int active() {
    return states.values().stream().mapToInt(s -> s.active.size()).sum();
  }

  /** Weighs the samples of the pass that has just ended at {@code nowMillis}. */
  public synchronized void pass(long nowMillis) {
    if (!sampler.lookedAtProcesses()) {
      // Risks are weighed on the passes that also re-read memory.stat and the processes (every
      // third): a risk is a matter of minutes, and this keeps its cost a third of a pass's share.
      return;
    }
    RiskSettings s = settings;
    long nowSec = nowMillis / 1000;
    List<CgroupTree.Entry> entries = sampler.lastEntries();
    Map<String, Long> podLimits = new HashMap<>();
    for (CgroupTree.Entry e : entries) {
      if (e.info().level() == CgroupPathInfo.Level.POD && e.info().podUid() != null) {
        MemoryHistory h = sampler.historyOf(e.key());
        if (h != null && h.figures().limitBytes() > 0) {
          podLimits.put(e.info().podUid(), h.figures().limitBytes());
        }
      }
    }
    Set<String> seen = new HashSet<>();
    Map<String, Double> ratios = new HashMap<>();
    Map<String, Double> etas = new HashMap<>();
    long back = Math.max(s.sustain().toSeconds(), s.maxFitWindow().toSeconds()) + 1;
    for (CgroupTree.Entry e : entries) {
      if (!CgroupTree.isContainer(e) || e.info().level() != CgroupPathInfo.Level.CONTAINER) {
        continue;
      }
      MemoryHistory h = sampler.historyOf(e.key());
      if (h == null || h.lastSeenSec() != nowSec) {
        continue; // vanished in this pass
      }
      seen.add(e.key());
      State st =
          states.computeIfAbsent(
              e.key(), k -> new State(e.info().containerId(), e.info().podUid()));
      CgroupFigures fig = h.figures();
      long limit = fig.limitBytes();
      Long podLimit = e.info().podUid() == null ? null : podLimits.get(e.info().podUid());
      if (podLimit != null && (limit <= 0 || podLimit < limit)) {
        limit = podLimit;
      }
      if (limit <= 0) {
        continue; // no limit, no cliff
      }
      // A container ID's pod and name never change: resolved once it is known.
      PodReference pod = st.pod;
      if (pod == null || pod.container == null) {
        pod = pods.resolve(e.info().podUid(), e.info().containerId());
        st.pod = pod;
        st.labels = labels(pod, e);
      }
      if ((pod == null || pod.container == null) && pods != PodResolver.NONE) {
        continue; // its pod (or its container's status) is not known yet: a risk is put on a pod
      }
      checkStart(e.key(), st, limit, pod, nowSec);
      RiskInput in =
          new RiskInput(
              nowSec,
              limit,
              h.workingSetSince(nowSec - back),
              h.tmpfsSince(nowSec - s.maxFitWindow().toSeconds()),
              fig.pressureSomeAvg60(),
              h.failcntRiseSince(nowSec - s.sustain().toSeconds()),
              h.lastUsageBytes());
      Map<String, OomRiskSpec> now = RiskRules.evaluate(in, s);
      String labels = st.labels;
      if (labels != null) {
        ratios.put(labels, in.workingSetNow() / (double) limit);
        Long eta = eta(now);
        if (eta != null) {
          etas.put(labels, eta.doubleValue());
        }
      }
      for (Map.Entry<String, OomRiskSpec> r : now.entrySet()) {
        Active a = st.active.get(r.getKey());
        boolean fresh = a == null;
        if (fresh) {
          a = new Active(nowSec);
          st.active.put(r.getKey(), a);
        }
        a.lastHeldSec = nowSec;
        a.figures = r.getValue();
        a.pod = pod != null ? pod : a.pod;
        if (fresh || nowSec - a.lastReportSec >= s.renewEvery().toSeconds()) {
          a.occurrence = st.occurrences.merge(r.getKey(), 1L, Long::sum);
          a.lastReportSec = nowSec;
          report(st, r.getKey(), a, OomRisk.ACTIVE, null, nowSec);
        }
      }
      for (var it = st.active.entrySet().iterator(); it.hasNext(); ) {
        var r = it.next();
        if (OomRisk.MISCONFIGURED.equals(r.getKey()) || now.containsKey(r.getKey())) {
          continue;
        }
        if (nowSec - r.getValue().lastHeldSec >= s.clearAfter().toSeconds()) {
          report(st, r.getKey(), r.getValue(), OomRisk.CLEARED, "Subsided", nowSec);
          it.remove();
        }
      }
    }
    // Containers gone: their risks end with them.
    for (var it = states.entrySet().iterator(); it.hasNext(); ) {
      var en = it.next();
      if (seen.contains(en.getKey())) {
        continue;
      }
      for (var r : en.getValue().active.entrySet()) {
        report(en.getValue(), r.getKey(), r.getValue(), OomRisk.CLEARED, "ContainerGone", nowSec);
      }
      it.remove();
    }
    metrics.containerGauges(top(ratios, false), top(etas, true));
  }

  /** At a container's first looks: its runtime caps against its limit, reported once. */
  private void checkStart(String key, State st, long limit, PodReference pod, long nowSec) {
    if (st.startChecked) {
      return;
    }
    ProcessSnapshot ps = sampler.processesOf(key);
    if (ps == null || ps.processes == null || ps.processes.isEmpty()) {
      return;
    }
    if (!sampler.lookedAtProcesses() && st.looks > 0) {
      return; // the same snapshot as before
    }
    st.looks++;
    ProcessInfo main = null;
    for (ProcessInfo p : ps.processes) {
      if (p.caps != null && p.caps.runtime != null && (main == null || isParent(p, main))) {
        main = p;
      }
    }
    if (main == null) {
      st.startChecked = st.looks >= START_LOOKS;
      return;
    }
    int workers = 0;
    long workerRss = 0;
    for (ProcessInfo p : ps.processes) {
      if (p.ppid != null && main.pid != null && p.ppid.intValue() == main.pid.intValue()) {
        workers++;
        long rss = p.peakRssKb != null ? p.peakRssKb : p.rssKb == null ? 0 : p.rssKb;
        workerRss = Math.max(workerRss, rss << 10);
      }
    }
    RuntimeCaps caps = main.caps;
    Optional<Finding> f = RiskRules.misconfigured(caps, limit, workers, workerRss);
    boolean prefork = "gunicorn".equals(caps.runtime);
    if (f.isEmpty()) {
      // A prefork server's workers come up over its first looks; other runtimes are judged once.
      st.startChecked = !prefork || st.looks >= START_LOOKS;
      return;
    }
    st.startChecked = true;
    Active a = new Active(nowSec);
    a.lastHeldSec = nowSec;
    a.lastReportSec = nowSec;
    a.occurrence = 1;
    a.pod = pod;
    OomRiskSpec spec = new OomRiskSpec();
    spec.limitBytes = limit;
    spec.caps = caps;
    if (prefork) {
      spec.workersSeen = workers;
      spec.workerRssBytes = workerRss;
    }
    a.figures = spec;
    st.active.put(OomRisk.MISCONFIGURED, a);
    report(st, OomRisk.MISCONFIGURED, a, OomRisk.ACTIVE, null, nowSec);
  }

  private static boolean isParent(ProcessInfo p, ProcessInfo of) {
    return of.ppid != null && p.pid != null && of.ppid.intValue() == p.pid.intValue();
  }

  private void report(
      State st, String risk, Active a, String state, String clearedBecause, long nowSec) {
    OomRisk r = new OomRisk();
    OomRiskSpec spec = copy(a.figures);
    spec.nodeName = nodeName;
    spec.pod = a.pod;
    spec.containerId = st.containerId;
    spec.risk = risk;
    spec.state = state;
    spec.clearedBecause = clearedBecause;
    spec.occurrence = Math.max(1, a.occurrence);
    spec.since = Instant.ofEpochSecond(a.sinceSec).toString();
    spec.observedAt = Instant.ofEpochSecond(nowSec).toString();
    r.setSpec(spec);
    r.getMetadata().setName(name(a.pod, st, risk));
    r.getMetadata().setNamespace(a.pod == null ? null : a.pod.namespace);
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(OomKill.LABEL_NODE, nodeName);
    if (st.podUid != null) {
      labels.put(OomKill.LABEL_POD_UID, st.podUid);
    }
    if (a.pod != null && a.pod.container != null) {
      labels.put(OomKill.LABEL_CONTAINER, a.pod.container);
    }
    labels.put("app.kubernetes.io/managed-by", "oomdoctor-agent-" + AgentVersion.VERSION);
    r.getMetadata().setLabels(labels);
    if (OomRisk.ACTIVE.equals(state)) {
      metrics.riskReported(risk);
    }
    LOG.info(
        "{} {} of {}/{} container {}: {}",
        OomRisk.ACTIVE.equals(state) ? "Risk" : "Cleared risk",
        risk,
        a.pod == null ? "?" : a.pod.namespace,
        a.pod == null ? "?" : a.pod.name,
        a.pod == null ? st.containerId : a.pod.container,
        OomRisk.ACTIVE.equals(state) ? "occurrence " + spec.occurrence : clearedBecause);
    try {
      exporter.report(r);
    } catch (RuntimeException e) {
      LOG.warn("Cannot hand risk {} on: {}", r.getMetadata().getName(), e.toString());
    }
  }

  private static OomRiskSpec copy(OomRiskSpec f) {
    OomRiskSpec c = new OomRiskSpec();
    if (f == null) {
      return c;
    }
    c.limitBytes = f.limitBytes;
    c.workingSetBytes = f.workingSetBytes;
    c.sustainedSeconds = f.sustainedSeconds;
    c.growthBytesPerHour = f.growthBytesPerHour;
    c.fitR2 = f.fitR2;
    c.fitWindowSeconds = f.fitWindowSeconds;
    c.etaSeconds = f.etaSeconds;
    c.pressureSomeAvg60 = f.pressureSomeAvg60;
    c.failcntRise = f.failcntRise;
    c.tmpfsBytes = f.tmpfsBytes;
    c.caps = f.caps;
    c.workersSeen = f.workersSeen;
    c.workerRssBytes = f.workerRssBytes;
    return c;
  }

  /**
   * The same name for every report of one risk of one container start: a readable prefix, a hash of
   * pod UID, container ID and risk.
   */
  static String name(PodReference pod, Object stateKey, String risk) {
    String podName = pod == null || pod.name == null ? "container" : pod.name;
    String prefix =
        podName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("^-+", "");
    if (prefix.length() > 40) {
      prefix = prefix.substring(0, 40);
    }
    prefix = prefix.replaceAll("-+$", "");
    String id =
        stateKey instanceof State st ? st.podUid + "|" + st.containerId : String.valueOf(stateKey);
    String shortRisk =
        switch (risk) {
          case OomRisk.NEAR_LIMIT -> "near";
          case OomRisk.LIMIT_IN_SIGHT -> "eta";
          case OomRisk.PRESSURE -> "psi";
          case OomRisk.TMPFS -> "tmpfs";
          case OomRisk.MISCONFIGURED -> "config";
          default -> "risk";
        };
    return (prefix.isEmpty() ? "container" : prefix)
        + "-"
        + shortRisk
        + "-"
        + io.oomdoctor.agent.export.OomKills.sha256(id + "|" + risk).substring(0, 10);
  }

  private static String labels(PodReference pod, CgroupTree.Entry e) {
    if (pod == null || pod.name == null) {
      return null;
    }
    return AgentMetrics.labels(
        "container",
        pod.container == null ? "" : pod.container,
        "namespace",
        pod.namespace == null ? "" : pod.namespace,
        "pod",
        pod.name);
  }

  private static Long eta(Map<String, OomRiskSpec> now) {
    Long best = null;
    for (OomRiskSpec f : now.values()) {
      if (f.etaSeconds != null && (best == null || f.etaSeconds < best)) {
        best = f.etaSeconds;
      }
    }
    return best;
  }

  /** The {@link #GAUGE_SERIES} highest (or, with {@code lowest}, lowest) values. */
  static Map<String, Double> top(Map<String, Double> values, boolean lowest) {
    if (values.size() <= GAUGE_SERIES) {
      return values;
    }
    List<Map.Entry<String, Double>> all = new ArrayList<>(values.entrySet());
    all.sort(
        lowest
            ? Map.Entry.comparingByValue()
            : Map.Entry.<String, Double>comparingByValue().reversed());
    Map<String, Double> out = new HashMap<>();
    for (Map.Entry<String, Double> e : all.subList(0, GAUGE_SERIES)) {
      out.put(e.getKey(), e.getValue());
    }
    return out;
  }
}
