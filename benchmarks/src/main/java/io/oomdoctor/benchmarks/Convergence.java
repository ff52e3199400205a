package io.oomdoctor.benchmarks;

import io.oomdoctor.agent.cgroup.MemoryHistory;
import io.oomdoctor.diagnosis.Diagnoser;
import io.oomdoctor.diagnosis.Diagnosis;
import io.oomdoctor.model.OomKillSpec;
import io.oomdoctor.model.OomPolicySpec;
import io.oomdoctor.model.evidence.Attribution;
import io.oomdoctor.model.evidence.OomReport;
import io.oomdoctor.model.evidence.OomTask;
import io.oomdoctor.model.evidence.PodReference;
import io.oomdoctor.model.evidence.ProcessInfo;
import io.oomdoctor.model.evidence.ProcessSnapshot;
import io.oomdoctor.operator.AppliedChanges;
import io.oomdoctor.operator.Policies;
import io.oomdoctor.operator.Recommender;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongUnaryOperator;

/**
 * Do the limits converge? Each workload shape's true memory demand is replayed, in simulated time,
 * against a limit that starts too low; every time the demand reaches the limit the container is
 * OOM-killed, and a strategy picks the next limit: OOM Doctor (the diagnosis and the Recommender,
 * an Apply policy), VPA's OOM rule (the usage at the kill +100 MiB or ×1.2, the larger) and a
 * KRR-like rule (the highest usage seen ×1.15). A limit is stable when the workload then runs a
 * week without a kill. Prints, per shape and strategy, the kills until stable and the slack (final
 * limit ÷ true peak).
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.oomdoctor.benchmarks.Convergence</pre>
 */
public final class Convergence {
  static final long MI = 1L << 20;
  static final int STEP_S = 10;
  static final long WEEK_S = 7 * 24 * 3600;
  static final int MAX_KILLS = 30;

  /** A workload: its demand at a second of its run, and how many processes share it. */
  record Shape(
      String name,
      long startLimit,
      LongUnaryOperator demand,
      int workers,
      boolean leak,
      boolean configured) {
    Shape(String name, long startLimit, LongUnaryOperator demand, int workers, boolean leak) {
      this(name, startLimit, demand, workers, leak, false);
    }
  }

  static List<Shape> shapes() {
    return List.of(
        new Shape(
            "plateau after a 10-minute rise to 160Mi",
            64 * MI,
            t -> Math.min(160 * MI, 20 * MI + 140 * MI * t / 600),
            0,
            false),
        new Shape(
            "startup spike 200Mi, then 110Mi",
            64 * MI,
            t -> t < 20 ? 200 * MI : 110 * MI,
            0,
            false),
        new Shape(
            "prefork: 6 workers of 25Mi, one a minute, 15Mi master",
            64 * MI,
            t -> 15 * MI + Math.min(6, t / 60 + 1) * 25 * MI,
            6,
            false),
        new Shape(
            "the same under gunicorn --workers 6",
            64 * MI,
            t -> 15 * MI + Math.min(6, t / 60 + 1) * 25 * MI,
            6,
            false,
            true),
        new Shape(
            "steady 100Mi with ±15Mi swings",
            64 * MI,
            t -> (long) (100 * MI + 15 * MI * Math.sin(t / 95.0)),
            0,
            false),
        new Shape(
            "cache that fills to 150Mi over 2 hours",
            96 * MI,
            t -> Math.min(150 * MI, 60 * MI + 45 * MI * t / 3600),
            0,
            false),
        new Shape(
            "cache filling ever more slowly toward 150Mi (half full in 20 minutes)",
            96 * MI,
            t -> (long) (40 * MI + 110 * MI * (1 - Math.exp(-t / 1731.0))),
            0,
            false),
        new Shape(
            "leak of 30Mi an hour from 50Mi",
            128 * MI,
            t -> 50 * MI + 30 * MI * t / 3600,
            0,
            true));
  }

  interface Strategy {
    String name();

    /** The next limit after a kill at {@code limit}, given the run's samples. */
    long next(Shape s, long limit, long t, List<Long> samples, List<Long> allSamples, int kills);
  }

  static final class Vpa implements Strategy {
    public String name() {
      return "VPA OOM rule";
    }

    public long next(Shape s, long limit, long t, List<Long> samples, List<Long> all, int kills) {
      return Math.max(limit + 100 * MI, (long) (limit * 1.2));
    }
  }

  static final class Krr implements Strategy {
    public String name() {
      return "KRR max x1.15";
    }

    public long next(Shape s, long limit, long t, List<Long> samples, List<Long> all, int kills) {
      long max = all.stream().mapToLong(Long::longValue).max().orElse(limit);
      return (long) (Math.max(max, limit) * 1.15);
    }
  }

  /** The diagnosis of a kill built as the agent would report it, and the operator's Recommender. */
  static final class OomDoctor implements Strategy {
    final Diagnoser diagnoser = new Diagnoser();
    final Policies policy;
    final String name;

    /** The policy's default step: one raise at most doubles the limit. */
    OomDoctor() {
      this(100);
    }

    OomDoctor(int maxStepPercent) {
      this.policy =
          new Policies(
              OomPolicySpec.Mode.Apply,
              25,
              32 * MI,
              4096 * MI,
              maxStepPercent,
              Duration.ZERO,
              OomPolicySpec.ControlledValues.LimitsOnly,
              null);
      this.name =
          maxStepPercent == 100 ? "OOM Doctor" : "OOM Doctor, maxStepPercent " + maxStepPercent;
    }

    final List<Recommender.Kill> kills = new ArrayList<>();
    AppliedChanges.Change last;
    Instant clock = Instant.parse("2026-12-01T00:00:00Z");

    public String name() {
      return name;
    }

    public long next(Shape s, long limit, long t, List<Long> samples, List<Long> all, int n) {
      clock = clock.plusSeconds(t + 60);
      OomKillSpec spec = evidence(s, limit, t, samples, clock);
      Diagnosis d = diagnoser.diagnose(spec);
      Recommender.Kill k =
          new Recommender.Kill(
              "kill-" + n,
              clock,
              d.cause().name(),
              d.primary().recommendedLimitBytes(),
              d.primary().fix());
      kills.add(k);
      Recommender.Decision decision =
          Recommender.decide(
              policy,
              kills,
              new Recommender.Target(
                  "Deployment", true, null, limit, null, last, last == null ? null : last.time()),
              clock);
      if (!decision.apply() || decision.recommendedLimit() == null) {
        return limit;
      }
      last =
          new AppliedChanges.Change(
              Long.toString(limit),
              Long.toString(decision.recommendedLimit()),
              d.cause().name(),
              k.name(),
              clock.toString());
      return decision.recommendedLimit();
    }
  }

  /** The evidence of a kill at {@code t} seconds into a run, as the agent assembles it. */
  static OomKillSpec evidence(Shape s, long limit, long t, List<Long> samples, Instant now) {
    OomKillSpec spec = new OomKillSpec();
    OomReport r = new OomReport();
    r.kind = OomReport.KIND_CGROUP;
    r.complete = true;
    r.pid = 100 + s.workers();
    r.process = s.workers() > 0 ? "worker" : "app";
    r.usageKb = limit / 1024;
    r.limitKb = limit / 1024;
    r.anonRssKb = limit / 1024;
    r.timestamp = now.toString();
    List<OomTask> tasks = new ArrayList<>();
    ProcessSnapshot ps = new ProcessSnapshot();
    ps.processes = new ArrayList<>();
    if (s.workers() > 0) {
      long started = Math.min(s.workers(), t / 60 + 1);
      long master = 15 * MI;
      tasks.add(task(100, "master", master));
      ProcessInfo m = process(100, 1, "master", master, now.getEpochSecond() - t);
      if (s.configured()) {
        m.caps = new io.oomdoctor.model.evidence.RuntimeCaps();
        m.caps.runtime = "gunicorn";
        m.caps.gunicornWorkers = s.workers();
        m.caps.gunicornMaxRequests = 1000;
      }
      ps.processes.add(m);
      long each = (limit - master) / Math.max(1, started);
      for (int i = 1; i <= started; i++) {
        tasks.add(task(100 + i, "worker", each));
        if (i < started) {
          ps.processes.add(
              process(100 + i, 100, "worker", each, now.getEpochSecond() - t + i * 60L));
        }
      }
      r.anonRssKb = each / 1024;
      ps.processCount = ps.processes.size();
    } else {
      tasks.add(task(r.pid, r.process, limit));
      ps.processes.add(process(r.pid, 1, r.process, limit, now.getEpochSecond() - t));
      ps.processCount = 1;
    }
    r.tasks = tasks;
    spec.report = r;
    spec.processes = ps;
    Attribution a = new Attribution();
    a.limitScope = "container";
    spec.attribution = a;
    PodReference pod = new PodReference();
    pod.containerLimitBytes = limit;
    spec.pod = pod;
    long start = now.getEpochSecond() - t;
    MemoryHistory h = new MemoryHistory(STEP_S, start, start);
    for (int i = 0; i < samples.size(); i++) {
      long u = samples.get(i);
      h.add(start + (long) i * STEP_S, u, u);
    }
    spec.trend = h.trend(now.getEpochSecond(), 0);
    if (spec.trend == null) {
      // Killed before the first sample: what the agent reports then (no samples, its age).
      spec.trend = new io.oomdoctor.model.evidence.MemoryTrend();
      spec.trend.samples = 0;
      spec.trend.containerAgeSeconds = t;
      spec.trend.peakBytes = limit;
      spec.trend.lastBytes = limit;
    }
    return spec;
  }

  static OomTask task(int pid, String name, long bytes) {
    OomTask t = new OomTask();
    t.pid = pid;
    t.tgid = pid;
    t.name = name;
    t.rssPages = bytes / 4096;
    t.rssAnonPages = bytes / 4096;
    return t;
  }

  static ProcessInfo process(int pid, int ppid, String name, long bytes, long startedSec) {
    ProcessInfo p = new ProcessInfo();
    p.pid = pid;
    p.ppid = ppid;
    p.name = name;
    p.rssKb = bytes / 1024;
    p.firstRssKb = bytes / 1024;
    p.peakRssKb = bytes / 1024;
    p.startedAtSec = startedSec;
    p.firstSeenSec = startedSec;
    return p;
  }

  record Result(int kills, long finalLimit, long truePeak, boolean stable) {}

  static Result run(Shape s, Strategy strategy) {
    long limit = s.startLimit();
    int kills = 0;
    List<Long> all = new ArrayList<>();
    long truePeak = 0;
    for (long t = 0; t <= WEEK_S; t += STEP_S) {
      truePeak = Math.max(truePeak, s.demand().applyAsLong(t));
    }
    while (kills < MAX_KILLS) {
      List<Long> samples = new ArrayList<>();
      long killedAt = -1;
      for (long t = 0; t <= WEEK_S; t += STEP_S) {
        long d = s.demand().applyAsLong(t);
        if (d >= limit) {
          killedAt = t;
          break;
        }
        samples.add(d);
        all.add(d);
      }
      if (killedAt < 0) {
        return new Result(kills, limit, truePeak, true);
      }
      kills++;
      all.add(limit);
      long next = strategy.next(s, limit, killedAt, samples, all, kills);
      if (next <= limit) {
        // the strategy keeps the limit: the workload goes on being killed
        return new Result(kills, limit, truePeak, false);
      }
      limit = next;
    }
    return new Result(kills, limit, truePeak, false);
  }

  public static void main(String[] args) {
    System.out.println(
        "| shape | strategy | kills until stable | final limit | true peak (a week) | slack |");
    System.out.println("|---|---|---|---|---|---|");
    for (Shape s : shapes()) {
      for (Strategy st : List.of(new OomDoctor(), new OomDoctor(400), new Vpa(), new Krr())) {
        Result r = run(s, st);
        System.out.printf(
            Locale.ROOT,
            "| %s | %s | %s | %dMi | %dMi | %s |%n",
            s.name(),
            st.name(),
            r.stable() ? Integer.toString(r.kills()) : r.kills() + " (not stable)",
            r.finalLimit() / MI,
            r.truePeak() / MI,
            s.leak()
                ? "n/a (leak)"
                : String.format(Locale.ROOT, "%.2f", (double) r.finalLimit() / r.truePeak()));
      }
    }
  }
}
