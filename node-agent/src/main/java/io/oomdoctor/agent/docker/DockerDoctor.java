package io.oomdoctor.agent.docker;

import io.oomdoctor.agent.proc.RuntimeFlags;
import io.oomdoctor.diagnosis.Bytes;
import io.oomdoctor.diagnosis.Diagnoser;
import io.oomdoctor.diagnosis.Diagnosis;
import io.oomdoctor.diagnosis.Finding;
import io.oomdoctor.model.OomKillSpec;
import io.oomdoctor.model.evidence.CgroupSnapshot;
import io.oomdoctor.model.evidence.OomReport;
import io.oomdoctor.model.evidence.PodReference;
import io.oomdoctor.model.evidence.ProcessInfo;
import io.oomdoctor.model.evidence.ProcessSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The triage a careful engineer does by hand for a container that died or lost a process: from the
 * engine's state and settings and the kernel's OOM reports of the container's cgroup, what
 * happened, why, and the fix as {@code docker run} flags and Compose keys.
 */
public final class DockerDoctor {
  private final Diagnoser diagnoser = new Diagnoser();

  /**
   * Whether a kernel cgroup path is this container's (cgroupfs {@code /docker/ID}, systemd {@code
   * docker-ID.scope}).
   */
  public static boolean pathOf(String path, String id) {
    if (path == null || id == null || id.length() < 12) {
      return false;
    }
    for (String part : path.split("/")) {
      String p = bare(part);
      if (p.length() >= 12 && p.startsWith(id)) {
        return true;
      }
    }
    return false;
  }

  /** A cgroup path component without the systemd driver's wrapping: "docker-ID.scope" → "ID". */
  private static String bare(String part) {
    String p = part.startsWith("docker-") ? part.substring(7) : part;
    return p.endsWith(".scope") ? p.substring(0, p.length() - 6) : p;
  }

  /**
   * Whether a kernel report is about this container (its cgroup hit the limit, or held the victim).
   */
  public static boolean reportOf(OomReport r, String id) {
    return pathOf(r.taskMemcg, id) || pathOf(r.oomMemcg, id) || pathOf(r.memcgStatsPath, id);
  }

  /**
   * @param facts what the engine says, or null when it no longer knows the container
   * @param asked the name or ID the user gave
   * @param kills the kernel's reports of this container, oldest first
   * @param live the container's cgroup now (running containers), or null
   * @param history memory usage samples of the cgroup, oldest first (may be empty)
   */
  public Triage triage(
      ContainerFacts facts,
      String asked,
      List<OomKillSpec> kills,
      String reportSource,
      CgroupSnapshot live,
      List<Long> history,
      long historyIntervalMillis) {
    Triage t = new Triage();
    t.containerExists = facts != null;
    if (facts != null) {
      t.container = facts.name();
      t.id = facts.id();
      t.image = facts.image();
      t.status = facts.status();
      t.running = facts.running();
      t.oomKilled = facts.oomKilled();
      t.exitCode = facts.exitCode();
      t.restartCount = facts.restartCount();
      t.restartPolicy = facts.restartPolicy();
      t.composeProject = facts.composeProject();
      t.composeService = facts.composeService();
      t.limitBytes = facts.limited() ? facts.memoryBytes() : null;
      t.swapLimitBytes =
          facts.memorySwapBytes() == null || facts.memorySwapBytes() == 0
              ? null
              : facts.memorySwapBytes();
      t.reservationBytes =
          facts.reservationBytes() == null || facts.reservationBytes() == 0
              ? null
              : facts.reservationBytes();
      t.oomKillDisable = facts.oomKillDisable();
      t.oomScoreAdj = facts.oomScoreAdj();
    } else {
      t.container = asked;
      t.notes.add(
          "The Docker engine does not know this container (removed, or never existed): what"
              + " follows is what the kernel still holds.");
    }
    t.kernelReports = kills.size();
    t.kernelReportFound = !kills.isEmpty();
    t.kernelReportSource = kills.isEmpty() ? null : reportSource;
    if (!history.isEmpty()) {
      t.history = history;
      t.historyIntervalMillis = historyIntervalMillis;
      t.historySource = "sampled now";
    }
    OomKillSpec last = kills.isEmpty() ? null : kills.get(kills.size() - 1);
    OomReport r = last == null ? null : last.report;
    if (r != null) {
      t.victimPid = r.pid;
      t.victimProcess = r.process;
      t.killedAt = r.timestamp;
      if (t.limitBytes == null && r.limitKb != null && OomReport.KIND_CGROUP.equals(r.kind)) {
        t.limitBytes = r.limitKb * 1024; // what the kernel enforced (the container is gone)
      }
      if (t.id == null) {
        t.id = idFrom(r, asked);
      }
    }
    if (t.history.isEmpty()
        && last != null
        && last.trend != null
        && last.trend.series != null
        && last.trend.series.size() >= 2) {
      // the curve the agent sampled before the kill
      List<List<Long>> series = last.trend.series;
      for (List<Long> point : series) {
        if (point != null && point.size() == 2 && point.get(1) != null) {
          t.history.add(point.get(1));
        }
      }
      long span = series.get(series.size() - 1).get(0) - series.get(0).get(0);
      t.historyIntervalMillis = Math.max(1, span * 1000 / Math.max(1, series.size() - 1));
      t.historySource = "before the kill";
    }
    t.verdict = verdict(facts, r);
    usage(t, r, live);

    switch (t.verdict) {
      case KilledNotOom -> {
        t.cause = "NotOomKill";
        t.confidence = 0.9;
        t.summary =
            "Exit 137 is a SIGKILL, and this one did not come from the OOM killer: Docker says"
                + " OOMKilled=false and the kernel log holds no OOM kill in this container's"
                + " cgroup. Memory is not to blame.";
        t.explanation =
            "It came from `docker kill`, from `docker stop` after its grace period (10 s unless"
                + " --stop-timeout/stop_grace_period says otherwise; the main process did not"
                + " exit on SIGTERM), or from a `kill -9` on the host.";
        t.fix =
            "If it was a stop: let the main process exit on SIGTERM (run it as PID 1 with"
                + " `exec`, or add --init), or give it longer: `docker run --stop-timeout 30`,"
                + " Compose `stop_grace_period: 30s`.";
      }
      case NoOomKill -> {
        t.cause = "NoOomKill";
        t.confidence = 1.0;
        t.summary =
            facts != null && facts.running()
                ? "No OOM kill of this container is known: it runs, and the kernel log holds no"
                    + " OOM report of its cgroup."
                : "No OOM kill of this container is known: "
                    + (facts == null
                        ? "the kernel log holds no OOM report of it."
                        : "it exited with "
                            + facts.exitCode()
                            + ", Docker says OOMKilled="
                            + facts.oomKilled()
                            + ", and the kernel log holds no OOM report of its cgroup.");
        t.explanation = "";
        t.fix = "";
      }
      default -> diagnose(t, facts, last);
    }
    if (facts != null && !facts.limited()) {
      t.notes.add(
          "No memory limit is set: the container can take the whole host's memory, and when the"
              + " host runs out, the kernel picks a victim among all processes.");
      if (t.recommendedLimitBytes == null && t.peakBytes != null && t.peakBytes > 0) {
        t.recommendedLimitBytes = Bytes.roundUpMi(t.peakBytes * 1.3);
      }
    }
    if (facts != null && facts.limited() && swapInPlay(facts)) {
      t.notes.add(
          "Swap is in play: --memory-swap "
              + (facts.memorySwapBytes() == -1
                  ? "is unlimited"
                  : "allows "
                      + Bytes.human(facts.memorySwapBytes() - facts.memoryBytes())
                      + " of swap")
              + " above the memory limit, so the container slows down on swap before it is killed;"
              + " set --memory-swap equal to --memory to turn it off.");
    }
    if (Boolean.TRUE.equals(facts == null ? null : facts.oomKillDisable())) {
      t.notes.add(
          "--oom-kill-disable is set: at its limit the container's processes hang instead of being"
              + " killed.");
    }
    dockerFix(t, facts);
    return t;
  }

  private static boolean swapInPlay(ContainerFacts f) {
    Long swap = f.memorySwapBytes();
    return swap != null && (swap == -1 || (swap > 0 && swap > f.memoryBytes()));
  }

  private static String idFrom(OomReport r, String asked) {
    for (String path : new String[] {r.taskMemcg, r.oomMemcg, r.memcgStatsPath}) {
      if (path == null) {
        continue;
      }
      for (String part : path.split("/")) {
        String p = bare(part);
        if (p.matches("[0-9a-f]{64}") && p.startsWith(asked)) {
          return p;
        }
      }
    }
    return null;
  }

  static Triage.Verdict verdict(ContainerFacts f, OomReport r) {
    if (r != null && OomReport.KIND_GLOBAL.equals(r.kind)) {
      return Triage.Verdict.HostOom;
    }
    if (f == null) {
      return r == null ? Triage.Verdict.NoOomKill : Triage.Verdict.OomKilledMain;
    }
    boolean exited137 = !f.running() && f.exitCode() != null && f.exitCode() == 137;
    if (r != null) {
      if (f.running() && endedAnEarlierRun(r, f)) {
        // killed before this run started: the kill ended an earlier run, and Docker restarted it
        return Triage.Verdict.OomKilledMain;
      }
      if (f.running()) {
        return Triage.Verdict.OomKilledChild;
      }
      return exited137 ? Triage.Verdict.OomKilledMain : Triage.Verdict.OomKilledChild;
    }
    if (Boolean.TRUE.equals(f.oomKilled())) {
      return exited137 ? Triage.Verdict.OomKilledMain : Triage.Verdict.OomKilledChild;
    }
    return exited137 ? Triage.Verdict.KilledNotOom : Triage.Verdict.NoOomKill;
  }

  /** Seconds from the start of the container's run to the kill, or null when unknown. */
  static Long secondsSinceStart(OomReport r, ContainerFacts f) {
    java.time.Duration d = sinceStart(r, f);
    return d == null ? null : Math.max(0, d.getSeconds());
  }

  /** The kill happened before the container's current run started (it was restarted since). */
  static boolean endedAnEarlierRun(OomReport r, ContainerFacts f) {
    java.time.Duration d = sinceStart(r, f);
    // the kernel's wall time is derived from the boot time: allow a second of skew
    return d != null && d.compareTo(java.time.Duration.ofSeconds(-1)) < 0;
  }

  /** From the start of the container's current run to the kill (negative: before it), or null. */
  private static java.time.Duration sinceStart(OomReport r, ContainerFacts f) {
    if (r.timestamp == null || f.startedAt() == null || f.startedAt().startsWith("0001")) {
      return null;
    }
    try {
      return java.time.Duration.between(
          java.time.Instant.parse(f.startedAt()),
          java.time.OffsetDateTime.parse(r.timestamp).toInstant());
    } catch (java.time.DateTimeException e) {
      return null;
    }
  }

  /** Usage, peak and the breakdown: from the live cgroup, else from the kernel's report. */
  private static void usage(Triage t, OomReport r, CgroupSnapshot live) {
    Map<String, Long> stats = null;
    Long kernel = null;
    if (live != null) {
      t.usageBytes = live.usageBytes;
      t.peakBytes = live.peakBytes;
      stats = live.stats;
    }
    if ((stats == null || stats.isEmpty()) && r != null) {
      stats = r.memcgStats;
      if (t.usageBytes == null && r.usageKb != null) {
        t.usageBytes = r.usageKb * 1024;
      }
      kernel = r.kmemUsageKb == null ? null : r.kmemUsageKb * 1024;
    }
    if (t.peakBytes == null && !t.history.isEmpty()) {
      t.peakBytes = t.history.stream().mapToLong(Long::longValue).max().orElse(0);
    }
    if (t.peakBytes == null && t.usageBytes != null) {
      t.peakBytes = t.usageBytes;
    }
    if (stats == null || stats.isEmpty()) {
      return;
    }
    long shmem = first(stats, "total_shmem", "shmem");
    long anon = first(stats, "total_rss", "anon", "rss");
    long file = Math.max(0, first(stats, "total_cache", "file", "cache") - shmem);
    if (stats.containsKey("kernel")) {
      kernel = stats.get("kernel");
    } else if (kernel == null && stats.containsKey("slab")) {
      kernel =
          stats.get("slab")
              + stats.getOrDefault("kernel_stack", 0L)
              + stats.getOrDefault("sock", 0L);
    }
    t.breakdown.put("anon", anon);
    t.breakdown.put("file", file);
    t.breakdown.put("shmem", shmem);
    t.breakdown.put("kernel", kernel == null ? 0L : kernel);
  }

  private static long first(Map<String, Long> stats, String... keys) {
    for (String k : keys) {
      Long v = stats.get(k);
      if (v != null) {
        return v;
      }
    }
    return 0;
  }

  private void diagnose(Triage t, ContainerFacts facts, OomKillSpec kill) {
    OomKillSpec spec = kill != null ? kill : new OomKillSpec();
    if (spec.report == null) {
      spec.report = new OomReport();
    }
    if (facts != null) {
      PodReference p = new PodReference();
      p.name = facts.name();
      p.container = facts.name();
      p.containerLimitBytes = facts.limited() ? facts.memoryBytes() : null;
      p.restartCount = facts.restartCount();
      spec.pod = p;
      var caps = RuntimeFlags.parse(facts.command(), facts.runtimeEnv());
      if (caps != null && (spec.processes == null || spec.processes.processes == null)) {
        ProcessInfo main = new ProcessInfo();
        main.name = spec.report.process;
        main.caps = caps;
        spec.processes = new ProcessSnapshot();
        spec.processes.processes = List.of(main);
      }
    }
    if (facts != null
        && spec.trend == null
        && kill != null
        && !endedAnEarlierRun(spec.report, facts)) {
      // Without the agent's samples, the engine still says how long the run lasted before it
      Long age = secondsSinceStart(spec.report, facts);
      if (age != null) {
        spec.trend = new io.oomdoctor.model.evidence.MemoryTrend();
        spec.trend.samples = 0;
        spec.trend.containerAgeSeconds = age;
        if (spec.report.usageKb != null) {
          spec.trend.peakBytes = spec.report.usageKb * 1024;
          spec.trend.lastBytes = spec.report.usageKb * 1024;
        }
      }
    }
    Diagnosis d = diagnoser.diagnose(spec);
    Finding f = d.primary();
    t.cause = d.cause().name();
    t.confidence = Math.round(f.confidence() * 100) / 100.0;
    String what =
        switch (t.verdict) {
          case OomKilledMain ->
              facts != null && facts.running()
                  ? "The kernel's OOM killer killed the container's main process"
                      + (t.victimProcess == null ? "" : " (" + t.victimProcess + ")")
                      + " in an earlier run; Docker restarted it (restarts: "
                      + facts.restartCount()
                      + ", policy "
                      + facts.restartPolicy()
                      + ")."
                  : "The kernel's OOM killer killed the container's main process"
                      + (t.victimProcess == null ? "" : " (" + t.victimProcess + ")")
                      + "; Docker saw exit 137 and OOMKilled="
                      + (facts == null ? "?" : facts.oomKilled())
                      + ".";
          case OomKilledChild ->
              "The kernel's OOM killer killed a process inside the container"
                  + (t.victimProcess == null
                      ? ""
                      : " (" + t.victimProcess + ", pid " + t.victimPid + ")")
                  + " while its main process lived on"
                  + (facts != null && facts.running() ? " (it still runs)." : ".");
          case HostOom ->
              "The host ran out of memory, and the kernel killed a process of this container"
                  + (t.victimProcess == null ? "" : " (" + t.victimProcess + ")")
                  + " to free some: its own limit was not the cause.";
          default -> "";
        };
    if (kill == null) {
      what += " The kernel log no longer holds the report, so the cause cannot be read from it.";
    }
    t.summary = what;
    t.explanation = forDocker(d.explain());
    t.fix = forDocker(f.fix());
    t.recommendedLimitBytes = f.recommendedLimitBytes();
    t.runtimeFlags.putAll(f.runtimeFlags());
    if (t.verdict == Triage.Verdict.HostOom) {
      t.explanation = d.primary().summary();
      t.fix =
          "Give the host more memory or run fewer containers; give every container a --memory"
              + " limit so that none can take the host's memory, and protect the ones that must"
              + " survive with a lower --oom-score-adj (the kernel kills the highest score first).";
      t.recommendedLimitBytes = null;
    }
  }

  /** The diagnosis's words, which speak of Kubernetes, as they hold for a Docker container. */
  static String forDocker(String text) {
    if (text == null) {
      return null;
    }
    return text.replace(" (and the request, so that the scheduler reserves it)", "")
        .replace(" and the request", "")
        .replace("the pod's", "the container's")
        .replace("The pod's", "The container's")
        .replace("restarts of the pod", "restarts of the container")
        .replace(" (the request can stay at the steady need)", "")
        .replace("of a pod near", "of a container near")
        .replace(
            "the pod shows no restart, only the kernel log tells",
            "Docker shows no exit, only the kernel log tells");
  }

  /** The fix as Docker and Compose users write it. */
  private static void dockerFix(Triage t, ContainerFacts facts) {
    if (t.recommendedLimitBytes != null && t.verdict != Triage.Verdict.KilledNotOom) {
      String size = dockerSize(t.recommendedLimitBytes);
      t.dockerRunFlags.add("--memory=" + size);
      t.dockerRunFlags.add("--memory-swap=" + size);
      t.compose.put("mem_limit", size);
      t.compose.put("memswap_limit", size);
      t.compose.put("deploy.resources.limits.memory", size.toUpperCase(Locale.ROOT));
    }
    if (!t.runtimeFlags.isEmpty()) {
      String runtime = null;
      if (facts != null) {
        var caps = RuntimeFlags.parse(facts.command(), facts.runtimeEnv());
        runtime = caps == null ? null : caps.runtime;
      }
      List<String> jvm = new ArrayList<>();
      List<String> node = new ArrayList<>();
      List<String> plainArgs = new ArrayList<>();
      t.runtimeFlags.forEach(
          (k, v) -> {
            String flag = Diagnosis.flag(k, v);
            if (k.startsWith("-X") || k.startsWith("-XX")) {
              jvm.add(flag);
            } else if (k.equals("--max-old-space-size")) {
              node.add(flag);
            } else if (k.matches("[A-Z_]+")) {
              t.dockerRunFlags.add("--env=" + flag);
              t.compose.put("environment." + k, v);
            } else {
              plainArgs.add(flag);
            }
          });
      if (!jvm.isEmpty()) {
        String opts = String.join(" ", jvm);
        t.dockerRunFlags.add("--env=JAVA_TOOL_OPTIONS=" + opts);
        t.compose.put("environment.JAVA_TOOL_OPTIONS", opts);
      }
      if (!node.isEmpty()) {
        String opts = String.join(" ", node);
        t.dockerRunFlags.add("--env=NODE_OPTIONS=" + opts);
        t.compose.put("environment.NODE_OPTIONS", opts);
      }
      if (!plainArgs.isEmpty()) {
        t.notes.add(
            "Add to the "
                + (runtime == null ? "program's" : runtime + " program's")
                + " command line: "
                + String.join(" ", plainArgs));
      }
    }
  }

  /** A size as docker run takes it: whole MiB ("96m"), or GiB when exact. */
  static String dockerSize(long bytes) {
    long mi = (bytes + Bytes.MI - 1) / Bytes.MI;
    return mi % 1024 == 0 ? (mi / 1024) + "g" : mi + "m";
  }
}
