package io.oomdoctor.diagnosis;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.oomdoctor.model.OomKillSpec;
import io.oomdoctor.model.evidence.Attribution;
import io.oomdoctor.model.evidence.CgroupSnapshot;
import io.oomdoctor.model.evidence.MemoryTrend;
import io.oomdoctor.model.evidence.OomReport;
import io.oomdoctor.model.evidence.ProcessInfo;
import io.oomdoctor.model.evidence.ProcessSnapshot;
import io.oomdoctor.model.evidence.RuntimeCaps;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One scenario per cause, on the reports of real kills (see resources/reports/README.md), with the
 * agent's trend and process evidence added where the scenario needs it.
 */
public class DiagnoserTest {
  static final long MI = Bytes.MI;
  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private final Diagnoser diagnoser = new Diagnoser();

  public static OomKillSpec evidence(String report) throws IOException {
    try (InputStream in = DiagnoserTest.class.getResourceAsStream("/reports/" + report + ".json")) {
      OomKillSpec spec = new OomKillSpec();
      // The fixtures are lines of `oomdoctor-agent parse`: the report's fields and its attribution.
      var tree = JSON.readTree(in);
      spec.report = JSON.treeToValue(tree, OomReport.class);
      spec.attribution = JSON.treeToValue(tree.get("attribution"), Attribution.class);
      return spec;
    }
  }

  public static MemoryTrend trend(
      long ageSec, long growthPerHour, double r2, long windowSec, long peak, long secondsToPeak) {
    MemoryTrend t = new MemoryTrend();
    t.containerAgeSeconds = ageSec;
    t.growthBytesPerHour = growthPerHour;
    t.fitR2 = r2;
    t.fitWindowSeconds = windowSec;
    t.peakBytes = peak;
    t.lastBytes = peak;
    t.secondsToPeak = secondsToPeak;
    t.samples = (int) (ageSec / 10);
    return t;
  }

  public static ProcessSnapshot processes(int threads, ProcessInfo... ps) {
    ProcessSnapshot s = new ProcessSnapshot();
    s.processes = new ArrayList<>(List.of(ps));
    s.processCount = ps.length;
    s.threadCount = threads;
    return s;
  }

  public static ProcessInfo process(int pid, Integer ppid, String name, RuntimeCaps caps) {
    ProcessInfo p = new ProcessInfo();
    p.pid = pid;
    p.ppid = ppid;
    p.name = name;
    p.caps = caps;
    return p;
  }

  public static RuntimeCaps caps(String runtime) {
    RuntimeCaps c = new RuntimeCaps();
    c.runtime = runtime;
    return c;
  }

  @Test
  void hostOom() throws IOException {
    Diagnosis d = diagnoser.diagnose(evidence("5.x-global-oom"));
    assertThat(d.cause()).isEqualTo(Cause.HostOom);
    assertThat(d.primary().recommendedLimitBytes()).as("a limit is not the fix").isNull();
    assertThat(d.primary().summary()).contains("uvicorn (pid 1306511)").contains("582Mi");
    assertThat(d.primary().fix()).contains("requests equal to limits");
  }

  @Test
  void jvmHeapAboveTheLimit() throws IOException {
    OomKillSpec e = evidence("6.18-v1-jvm-heap-above-limit");
    RuntimeCaps jvm = caps("jvm");
    jvm.jvmMaxHeapBytes = 256 * MI;
    e.processes = processes(18, process(e.report.pid, 1, "java", jvm));
    Diagnosis d = diagnoser.diagnose(e);
    assertThat(d.cause()).isEqualTo(Cause.RuntimeCapMisconfigured);
    assertThat(d.primary().summary()).contains("256Mi").contains("267 %").contains("96Mi");
    assertThat(d.primary().runtimeFlags()).containsExactly(java.util.Map.entry("-Xmx", "68m"));
    assertThat(d.primary().fix()).startsWith("Set -Xmx68m (about 70 % of the 96Mi limit)");
    assertThat(d.primary().recommendedLimitBytes()).as("fix the flag, keep the limit").isNull();
    assertThat(d.explain()).endsWith("Set: -Xmx68m.");
  }

  @Test
  void jvmBlindToTheContainer() throws IOException {
    OomKillSpec e = evidence("6.18-v1-jvm-heap-above-limit");
    RuntimeCaps jvm = caps("jvm");
    jvm.jvmUseContainerSupport = false;
    e.processes = processes(18, process(e.report.pid, 1, "java", jvm));
    Diagnosis d = diagnoser.diagnose(e);
    assertThat(d.cause()).isEqualTo(Cause.RuntimeCapMisconfigured);
    assertThat(d.primary().summary()).contains("-XX:-UseContainerSupport");
    assertThat(d.explain()).endsWith("Set: -XX:+UseContainerSupport -XX:MaxRAMPercentage=70.0.");
  }

  @Test
  void nativeMemoryOutsideASmallHeap() throws IOException {
    OomKillSpec e = evidence("6.18-v1-jvm-heap-above-limit");
    RuntimeCaps jvm = caps("jvm");
    jvm.jvmMaxHeapBytes = 32 * MI;
    e.processes = processes(650, process(e.report.pid, 1, "java", jvm));
    Diagnosis d = diagnoser.diagnose(e);
    assertThat(d.cause()).isEqualTo(Cause.NativeMemory);
    assertThat(d.primary().confidence()).as("well past the heap cap").isEqualTo(0.9);
    assertThat(d.primary().evidenceFor()).anyMatch(x -> x.contains("outside the heap"));
    assertThat(d.primary().summary())
        .contains("32Mi")
        .contains("650 threads")
        .contains("outside the heap");
  }

  static ProcessInfo started(int pid, String name, long startedAt, long firstKb, long peakKb) {
    ProcessInfo p = process(pid, pid == 1 ? 0 : 1, name, null);
    p.startedAtSec = startedAt;
    p.firstRssKb = firstKb;
    p.peakRssKb = peakKb;
    p.rssKb = peakKb;
    return p;
  }

  @Test
  void workersStartedOneAfterAnotherAreNotALeak() throws IOException {
    OomKillSpec e = evidence("6.18-v1-cgroupfs-container-limit"); // 64Mi limit
    e.report.timestamp = "2026-12-02T10:00:00Z";
    long kill = java.time.Instant.parse(e.report.timestamp).getEpochSecond();
    // The total rose steadily for 40 minutes, by 50Mi: a leak, to a rule that sees only it.
    e.trend = trend(3600, 75 * MI, 0.95, 2400, 64 * MI, 2400);
    List<ProcessInfo> ps = new ArrayList<>();
    ps.add(started(1, "gunicorn", kill - 3600, 8 * 1024, 8 * 1024));
    for (int i = 0; i < 5; i++) {
      ps.add(started(10 + i, "gunicorn", kill - 2300 + i * 450, 10 * 1024, 11 * 1024));
    }
    e.processes = processes(6, ps.toArray(ProcessInfo[]::new));
    Diagnosis d = diagnoser.diagnose(e);
    assertThat(d.cause()).isEqualTo(Cause.SharedLimit);
    assertThat(d.primary().evidenceFor())
        .anyMatch(x -> x.contains("5 processes started during the 40 minutes rise"))
        .anyMatch(x -> x.contains("each flat"));
    Finding leak =
        d.others().stream().filter(o -> o.cause() == Cause.MemoryLeak).findFirst().orElseThrow();
    assertThat(leak.evidenceAgainst()).anyMatch(x -> x.contains("processes were added"));
    assertThat(leak.confidence()).isLessThan(d.primary().confidence());
  }

  @Test
  void workersThatEachGrowAreALeakEvenWhenOneIsKilledBesideTheMainProcess() throws IOException {
    OomKillSpec e = evidence("6.18-v1-systemd-worker-child-killed");
    e.report.timestamp = "2026-12-02T10:00:00Z";
    long kill = java.time.Instant.parse(e.report.timestamp).getEpochSecond();
    // The total saws (a worker killed, another started): no steady trend of the container.
    e.trend = trend(60, 5 * MI, 0.3, 60, 40 * MI, 60);
    List<ProcessInfo> ps = new ArrayList<>();
    ps.add(started(e.report.pid - 1, "python3", kill - 600, 9 * 1024, 9 * 1024));
    ps.add(started(e.report.pid, "python3", kill - 5, 2 * 1024, 14 * 1024));
    ps.add(started(e.report.pid + 1, "python3", kill - 5, 2 * 1024, 12 * 1024));
    ps.add(started(e.report.pid + 2, "python3", kill - 4, 3 * 1024, 11 * 1024));
    e.processes = processes(4, ps.toArray(ProcessInfo[]::new));
    Diagnosis d = diagnoser.diagnose(e);
    assertThat(d.cause()).isEqualTo(Cause.MemoryLeak);
    assertThat(d.primary().evidenceFor()).anyMatch(x -> x.contains("3 worker processes each grew"));
    assertThat(d.primary().fix()).contains("recycle workers");
    Finding shared =
        d.others().stream().filter(o -> o.cause() == Cause.SharedLimit).findFirst().orElseThrow();
    assertThat(shared.evidenceAgainst()).anyMatch(x -> x.contains("each worker leaks"));
  }

  @Test
  void aRiseInAProcessThatWasAlwaysThereStaysALeak() throws IOException {
    OomKillSpec e = evidence("6.18-v1-cgroupfs-container-limit");
    e.report.timestamp = "2026-12-02T10:00:00Z";
    long kill = java.time.Instant.parse(e.report.timestamp).getEpochSecond();
    e.trend = trend(3 * 3600, 20 * MI, 0.97, 3 * 3600, 64 * MI, 3 * 3600);
    // Workers, but all started before the rise: they do not explain it.
    e.processes =
        processes(
            3,
            started(1, "app", kill - 4 * 3600, 4 * 1024, 40 * 1024),
            started(2, "app", kill - 4 * 3600 + 5, 10 * 1024, 10 * 1024),
            started(3, "app", kill - 4 * 3600 + 9, 10 * 1024, 10 * 1024));
    Diagnosis d = diagnoser.diagnose(e);
    assertThat(d.cause()).isEqualTo(Cause.MemoryLeak);
    assertThat(d.primary().evidenceAgainst()).isEmpty();
  }

  @Test
  void aJvmWhoseOffHeapMemoryGrewIsNativeMemoryNotAHeapLeak() throws IOException {
    OomKillSpec e = evidence("6.18-v1-cgroupfs-container-limit"); // ~64Mi resident at 64Mi
    RuntimeCaps jvm = caps("jvm");
    jvm.jvmMaxHeapBytes = 16 * MI;
    e.processes = processes(30, process(e.report.pid, 1, "java", jvm));
    e.trend = trend(2 * 3600, 24 * MI, 0.96, 2 * 3600, 64 * MI, 2 * 3600);
    Diagnosis d = diagnoser.diagnose(e);
    assertThat(d.cause()).isEqualTo(Cause.NativeMemory);
    assertThat(d.primary().confidence()).isEqualTo(0.9);
    assertThat(d.primary().summary()).contains("grew steadily by 24Mi an hour");
    Finding leak =
        d.others().stream().filter(o -> o.cause() == Cause.MemoryLeak).findFirst().orElseThrow();
    assertThat(leak.evidenceAgainst()).anyMatch(x -> x.contains("outside the heap"));
  }

  @Test
  void aDiagnosisThatIsNotSureSaysSo() throws IOException {
    // A kill at the limit with nothing else known: a limit too low is only a guess.
    OomKillSpec e = evidence("6.18-v1-cgroupfs-container-limit");
    Diagnosis d = diagnoser.diagnose(e);
    assertThat(d.primary().confidence()).isLessThan(Diagnosis.LOW_CONFIDENCE);
    assertThat(d.explain()).contains("Not certain (" + Math.round(d.primary().confidence() * 100));
    Diagnosis sure = diagnoser.diagnose(evidence("5.x-global-oom"));
    assertThat(sure.explain()).doesNotContain("Not certain");
  }

  @Test
  void workerChildKilledWhileTheMainProcessLives() throws IOException {
    OomKillSpec e = evidence("6.18-v1-systemd-worker-child-killed");
    e.processes =
        processes(
            2, process(4535, 1, "memhog", null), process(4536, 4535, "gunicorn: worke", null));
    Diagnosis d = diagnoser.diagnose(e);
    assertThat(d.cause()).isEqualTo(Cause.SharedLimit);
    assertThat(d.primary().summary()).contains("gunicorn: worke").contains("no restart");
    // The task table holds 50,460 kB resident (more than the 48Mi usage): that plus 25 %.
    assertThat(d.primary().recommendedLimitBytes()).isEqualTo(62 * MI);
  }

  @Test
  void tmpfsFilledTheLimit() throws IOException {
    Diagnosis d = diagnoser.diagnose(evidence("6.18-v1-tmpfs-shmem"));
    assertThat(d.cause()).isEqualTo(Cause.PageCacheOrShmem);
    assertThat(d.primary().summary())
        .contains("47Mi of the 48Mi limit")
        .contains("tmpfs")
        .contains("1Mi");
    assertThat(d.primary().fix()).contains("sizeLimit");
    assertThat(d.primary().recommendedLimitBytes()).isEqualTo(60 * MI);
  }

  @Test
  void tmpfsFilesStillChargedAfterAKillCutShortByTheKernelSpeakForThemselves() throws IOException {
    // The kernel printed only the kill line: no memory.stat, no usage, no task table. The agent's
    // read of the container's cgroup just after the kill still holds the tmpfs files.
    OomKillSpec e = loneLine(evidence("6.18-v1-tmpfs-shmem"), 48 * MI);
    e.trend = trend(3, 0, 0, 0, 2 * MI, 0); // killed before the sampler saw the files
    e.cgroups = List.of(cgroupAfterKill(48 * MI, Map.of("shmem", 46 * MI, "rss", 0L)));
    Diagnosis d = diagnoser.diagnose(e);
    assertThat(d.cause()).isEqualTo(Cause.PageCacheOrShmem);
    assertThat(d.primary().summary())
        .contains("46Mi of the 48Mi limit")
        .contains("after")
        .contains("cut short");
    // What the cgroup held after the kill was not shared memory: the young container's spike.
    e.cgroups = List.of(cgroupAfterKill(48 * MI, Map.of("shmem", 0L, "cache", 3 * MI)));
    assertThat(diagnoser.diagnose(e).cause()).isEqualTo(Cause.StartupSpike);
    // A full report's own figures are never replaced by a later read.
    OomKillSpec full = evidence("6.18-v1-cgroupfs-container-limit");
    full.cgroups = List.of(cgroupAfterKill(64 * MI, Map.of("shmem", 60 * MI)));
    assertThat(diagnoser.diagnose(full).cause()).isNotEqualTo(Cause.PageCacheOrShmem);
  }

  /** The report as the kernel prints it when it rate-limits: the kill line alone. */
  static OomKillSpec loneLine(OomKillSpec e, long limitBytes) {
    OomReport kill = new OomReport();
    kill.kind = e.report.kind;
    kill.pid = e.report.pid;
    kill.process = e.report.process;
    kill.complete = false;
    e.report = kill;
    e.pod = new io.oomdoctor.model.evidence.PodReference();
    e.pod.containerLimitBytes = limitBytes;
    return e;
  }

  static CgroupSnapshot cgroupAfterKill(long limit, Map<String, Long> stats) {
    CgroupSnapshot c = new CgroupSnapshot();
    c.version = 1;
    c.limitBytes = limit;
    c.stats = stats;
    return c;
  }

  @Test
  void leakGetsOneBoundedRaiseAndTheTruth() throws IOException {
    OomKillSpec e = evidence("6.18-v1-cgroupfs-container-limit");
    e.trend = trend(3 * 3600, 20 * MI, 0.97, 3 * 3600, 64 * MI, 3 * 3600);
    Diagnosis d = diagnoser.diagnose(e);
    assertThat(d.cause()).isEqualTo(Cause.MemoryLeak);
    assertThat(d.primary().summary())
        .contains("20Mi an hour")
        .contains("3 hours")
        .contains("R² 0.97");
    assertThat(d.primary().fix()).contains("only delays").contains("80Mi buys about 48 minutes");
    assertThat(d.primary().recommendedLimitBytes()).isEqualTo(80 * MI);
  }

  @Test
  void aWorkerTheAgentNeverSawIsStillAWorker() throws IOException {
    // The agent looked at the container before the worker was forked: only the main process.
    OomKillSpec e = evidence("6.18-v1-systemd-worker-child-killed");
    e.processes = processes(1, process(4535, 1, "memhog", null));
    Diagnosis d = diagnoser.diagnose(e);
    assertThat(d.cause()).isEqualTo(Cause.SharedLimit);
    // A victim that is the process the agent saw is not a worker.
    e.processes = processes(1, process(e.report.pid, 1, "gunicorn: worke", null));
    assertThat(diagnoser.diagnose(e).cause()).isNotEqualTo(Cause.SharedLimit);
  }

  @Test
  void aWorkerKilledInABurstWhoseReportTheKernelCutIsStillAWorker() throws IOException {
    // A prefork server's third kill in 10 s (a CI run of the catalog): the kernel printed only
    // the kill line, and the agent's last look saw the main process and one older worker.
    OomKillSpec e = loneLine(evidence("6.18-v1-systemd-worker-child-killed"), 100 * MI);
    int victim = e.report.pid;
    e.trend = trend(11, 0, 0.677, 10, 98 * MI, 5); // the pool's sawtooth: no trend
    e.processes =
        processes(
            3,
            process(victim - 60, 31492, "python3", null),
            process(victim - 6, victim - 60, "python3", null));
    Diagnosis d = diagnoser.diagnose(e);
    assertThat(d.cause()).isEqualTo(Cause.SharedLimit);
    assertThat(d.primary().summary()).contains("main process lives on");
    // The victim is the main process the agent saw: not a worker.
    e.processes.processes.get(0).pid = victim;
    e.processes.processes.get(1).ppid = victim;
    assertThat(diagnoser.diagnose(e).cause()).isNotEqualTo(Cause.SharedLimit);
    // A shell that only started the program: the program it started is the container's work.
    e.processes = processes(1, process(victim - 1, 31492, "sh", null));
    assertThat(diagnoser.diagnose(e).cause()).isNotEqualTo(Cause.SharedLimit);
    // Two processes whose parents are outside what the agent saw: no main process is known.
    e.processes =
        processes(
            2,
            process(victim - 60, 31492, "python3", null),
            process(victim - 6, 4, "python3", null));
    assertThat(diagnoser.diagnose(e).cause()).isNotEqualTo(Cause.SharedLimit);
  }

  @Test
  void aLeakTheKernelHeldAtTheLimitBeforeKillingIsStillALeak() throws IOException {
    // A Node program keeping objects as fast as it can under 128Mi (two CI runs of the catalog):
    // a straight rise for 7 s, then held at the limit, thrashing, for 7 s more before the kill.
    long[][] run1 = {
      {1796269816, 52039680}, {1796269817, 72060928}, {1796269818, 86908928},
      {1796269819, 97468416}, {1796269820, 110329856}, {1796269821, 118554624},
      {1796269822, 128462848}, {1796269823, 134201344}, {1796269824, 134176768},
      {1796269825, 134189056}, {1796269826, 134184960}, {1796269827, 134205440},
      {1796269828, 134148096}, {1796269829, 134205440}
    };
    long[][] run2 = { // with the start's first jump
      {1796247074, 2084864}, {1796247075, 65028096}, {1796247076, 76386304},
      {1796247077, 87318528}, {1796247078, 96210944}, {1796247079, 106844160},
      {1796247080, 115118080}, {1796247081, 128077824}, {1796247082, 134144000},
      {1796247083, 134164480}, {1796247084, 134201344}, {1796247085, 134160384},
      {1796247086, 134176768}, {1796247087, 134119424}, {1796247088, 134094848}
    };
    // The demo's windows (seconds where a cluster's are minutes), as the catalog ran them.
    Diagnoser fast = new Diagnoser(DiagnosisSettings.DEFAULT.withWindows(4, 3, 600));
    long[][] run3 = { // from an empty cgroup
      {1796270449, 0}, {1796270450, 90046464}, {1796270451, 99708928},
      {1796270452, 108687360}, {1796270453, 119791616}, {1796270454, 129368064},
      {1796270455, 133177344}, {1796270456, 134090752}, {1796270457, 134164480},
      {1796270458, 134184960}, {1796270459, 134176768}, {1796270460, 134205440},
      {1796270461, 134172672}, {1796270462, 134180864}, {1796270463, 134201344},
      {1796270464, 134205440}, {1796270465, 134205440}, {1796270466, 134041600}
    };
    for (long[][] run : List.of(run1, run2, run3)) {
      OomKillSpec e = loneLine(evidence("6.18-v1-cgroupfs-container-limit"), 128 * MI);
      e.report.process = "node";
      e.trend = series(run, 0.72);
      assertThat(fast.diagnose(e).cause()).isEqualTo(Cause.MemoryLeak);
    }
    // A steady load whose requests need more for a moment (a CI run's Python): it rose in steps
    // with flat samples between, then sat at the limit — not a rise of every step: left as it is.
    long[][] steady = {
      {1796269710, 64454656}, {1796269711, 71008256}, {1796269712, 71008256},
      {1796269713, 70799360}, {1796269714, 70799360}, {1796269715, 70799360},
      {1796269716, 71094272}, {1796269717, 83636224}, {1796269718, 94101504},
      {1796269719, 94101504}, {1796269720, 94101504}, {1796269721, 94101504},
      {1796269722, 96243712}, {1796269723, 100438016}, {1796269724, 100438016},
      {1796269725, 100438016}, {1796269726, 100438016}, {1796269727, 100188160}
    };
    MemoryTrend t = series(steady, 0.7);
    assertThat(Facts.heldAtTheLimit(t, 96 * MI)).isSameAs(t);
    // Nor a rise that never reached the limit.
    MemoryTrend rising = series(java.util.Arrays.copyOf(run1, 7), 0.9);
    assertThat(Facts.heldAtTheLimit(rising, 128 * MI)).isSameAs(rising);
  }

  /** A trend of a young container with these samples and the agent's fit of them all. */
  static MemoryTrend series(long[][] samples, double r2) {
    MemoryTrend t = new MemoryTrend();
    t.series = new ArrayList<>();
    for (long[] p : samples) {
      t.series.add(List.of(p[0], p[1]));
    }
    long span = samples[samples.length - 1][0] - samples[0][0];
    t.containerAgeSeconds = span;
    t.fitWindowSeconds = span;
    t.samples = samples.length;
    t.fitR2 = r2;
    t.growthBytesPerHour = (samples[samples.length - 1][1] - samples[0][1]) * 3600 / span;
    t.peakBytes = Arrays.stream(samples).mapToLong(p -> p[1]).max().getAsLong();
    t.lastBytes = samples[samples.length - 1][1];
    t.secondsToPeak = span / 2;
    return t;
  }

  @Test
  void theRestartHistoryIsSaid() throws IOException {
    OomKillSpec e = evidence("6.18-v1-cgroupfs-container-limit");
    e.trend = trend(3 * 3600, 20 * MI, 0.97, 3 * 3600, 64 * MI, 3 * 3600);
    e.pod = new io.oomdoctor.model.evidence.PodReference();
    e.pod.restartCount = 4;
    assertThat(diagnoser.diagnose(e).primary().summary())
        .endsWith("The container had restarted 4 times before.");
    e.pod.restartCount = 0;
    assertThat(diagnoser.diagnose(e).primary().summary()).doesNotContain("restarted");
  }

  @Test
  void startupSpike() throws IOException {
    OomKillSpec e = evidence("6.18-v1-cgroupfs-container-limit");
    e.trend = trend(20, 0, 0, 10, 64 * MI, 15);
    Diagnosis d = diagnoser.diagnose(e);
    assertThat(d.cause()).isEqualTo(Cause.StartupSpike);
    assertThat(d.primary().summary()).contains("20 s after the container started");
    assertThat(d.primary().recommendedLimitBytes()).isEqualTo(80 * MI);
  }

  @Test
  void limitTooLowForASteadyLoad() throws IOException {
    OomKillSpec e = evidence("6.18-v1-cgroupfs-container-limit");
    e.trend = trend(2 * 3600, MI / 10, 0.1, 2 * 3600, 64 * MI, 300);
    e.trend.lastBytes = 40 * MI; // it did not sit at the limit: a burst of normal load
    Diagnosis d = diagnoser.diagnose(e);
    assertThat(d.cause()).isEqualTo(Cause.LimitTooLow);
    assertThat(d.primary().summary()).contains("64Mi of the 64Mi limit with no growth trend");
    assertThat(d.primary().recommendedLimitBytes()).isEqualTo(80 * MI);
  }

  @Test
  void unboundedCacheSitsAtTheLimit() throws IOException {
    OomKillSpec e = evidence("6.18-v1-cgroupfs-container-limit");
    e.trend = trend(3600, MI / 10, 0.2, 3600, 64 * MI, 600);
    Diagnosis d = diagnoser.diagnose(e);
    assertThat(d.cause()).isEqualTo(Cause.UnboundedCache);
    assertThat(d.primary().summary()).contains("within 10 minutes").contains("50 minutes");
    assertThat(d.others()).extracting(Finding::cause).contains(Cause.LimitTooLow);
  }

  @Test
  void nodeOldSpaceAboveTheLimit() throws IOException {
    OomKillSpec e = evidence("6.18-v1-cgroupfs-container-limit");
    RuntimeCaps node = caps("node");
    node.nodeMaxOldSpaceMb = 4096L;
    e.processes = processes(11, process(e.report.pid, 1, "node", node));
    Diagnosis d = diagnoser.diagnose(e);
    assertThat(d.cause()).isEqualTo(Cause.RuntimeCapMisconfigured);
    assertThat(d.primary().runtimeFlags()).containsEntry("--max-old-space-size", "45");
  }

  @Test
  void nodeMemoryOutsideACappedOldSpaceIsNative() throws IOException {
    // the container-limit fixture: 64Mi limit, the victim held ~64Mi anonymous
    OomKillSpec e = evidence("6.18-v1-cgroupfs-container-limit");
    RuntimeCaps node = caps("node");
    node.nodeMaxOldSpaceMb = 16L;
    e.processes = processes(7, process(e.report.pid, 1, "node", node));
    Diagnosis d = diagnoser.diagnose(e);
    assertThat(d.cause()).isEqualTo(Cause.NativeMemory);
    assertThat(d.primary().summary())
        .contains("V8's old space is capped at 16Mi")
        .contains("Buffers");
  }

  @Test
  void aProgramStartedByAShellIsTheContainersWorkNotAWorker() throws IOException {
    // "sh -c 'python3 app.py'": the shell waits, the program is killed: not a shared limit
    OomKillSpec e = evidence("6.18-v1-systemd-worker-child-killed");
    ProcessInfo sh = process(4535, 1, "sh", null);
    sh.rssKb = 900L;
    ProcessInfo prog = process(e.report.pid, 4535, "gunicorn: worke", null);
    prog.rssKb = 40_000L;
    e.processes = processes(2, sh, prog);
    assertThat(diagnoser.diagnose(e).cause()).isNotEqualTo(Cause.SharedLimit);
    // the same under a server that runs workers: a worker
    ProcessInfo master = process(4535, 1, "gunicorn", null);
    master.rssKb = 900L;
    e.processes = processes(2, master, prog);
    assertThat(diagnoser.diagnose(e).cause()).isEqualTo(Cause.SharedLimit);
  }

  @Test
  void aPreforkServerIsSizedForAllTheWorkersItIsConfiguredFor() throws IOException {
    // the worker fixture: a ~1Mi main process and one ~48Mi worker killed at the 48Mi limit
    OomKillSpec e = evidence("6.18-v1-systemd-worker-child-killed");
    RuntimeCaps g = caps("gunicorn");
    g.gunicornWorkers = 3;
    g.gunicornMaxRequests = 1000;
    ProcessInfo master = process(4535, 1, "gunicorn", g);
    master.rssKb = 980L;
    e.processes = processes(2, master);
    Diagnosis d = diagnoser.diagnose(e);
    assertThat(d.cause()).isEqualTo(Cause.SharedLimit);
    assertThat(d.primary().summary()).contains("configured for 3 workers");
    // the main process plus three workers of ~47Mi, and 25 % headroom: about 180Mi
    assertThat(d.primary().recommendedLimitBytes()).isBetween(170 * MI, 190 * MI);
  }

  @Test
  void goWithoutASoftLimitAndGunicornWithoutRecycling() throws IOException {
    OomKillSpec go = evidence("6.18-v1-cgroupfs-container-limit");
    go.processes = processes(9, process(go.report.pid, 1, "server", caps("go")));
    assertThat(diagnoser.diagnose(go).primary().runtimeFlags())
        .containsEntry("GOMEMLIMIT", "58MiB");

    OomKillSpec gunicorn = evidence("6.18-v1-cgroupfs-container-limit");
    RuntimeCaps g = caps("gunicorn");
    g.gunicornWorkers = 4;
    gunicorn.processes = processes(5, process(gunicorn.report.pid, 1, "gunicorn", g));
    Diagnosis d = diagnoser.diagnose(gunicorn);
    assertThat(d.cause()).isEqualTo(Cause.RuntimeCapMisconfigured);
    assertThat(d.primary().summary()).contains("4 worker(s)");
    assertThat(d.primary().runtimeFlags()).containsEntry("--max-requests", "1000");
  }

  @Test
  void podLimitWithNothingElseKnownIsALimitTooLowOfLowConfidence() throws IOException {
    Diagnosis d = diagnoser.diagnose(evidence("5.15-aks-v2-systemd-pod-limit"));
    assertThat(d.cause()).isEqualTo(Cause.LimitTooLow);
    assertThat(d.primary().confidence()).isLessThan(0.5);
    assertThat(d.primary().summary()).contains("no earlier samples");
    assertThat(d.primary().recommendedLimitBytes()).isEqualTo(125 * MI); // 100Mi + 25 %
  }

  @Test
  void nothingToGoOn() {
    Diagnosis d = diagnoser.diagnose(new OomKillSpec());
    assertThat(d.cause()).isEqualTo(Cause.Unknown);
    assertThat(d.explain()).contains("too little to tell");
  }
}
