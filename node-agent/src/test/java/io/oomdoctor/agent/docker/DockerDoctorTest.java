package io.oomdoctor.agent.docker;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.agent.cgroup.PathAttribution;
import io.oomdoctor.agent.parse.LogLineDecoder;
import io.oomdoctor.agent.parse.OomReportParser;
import io.oomdoctor.agent.parse.PastedLog;
import io.oomdoctor.model.OomKillSpec;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The triage's verdicts and pictures, from the engine's state and the kernel's reports. */
class DockerDoctorTest {
  static final String ID = "bdb1b6dabe5a4fb8df5d83702133946ddcb7d7e8f1182165e47ee1b9d2165dd3";
  static final long MI = 1L << 20;

  static ContainerFacts facts(
      boolean running, long exit, boolean oomKilled, long memory, long swap) {
    return facts(running, exit, oomKilled, memory, swap, List.of("/app/server", "--port", "80"));
  }

  static ContainerFacts facts(
      boolean running, long exit, boolean oomKilled, long memory, long swap, List<String> cmd) {
    return new ContainerFacts(
        ID,
        "web",
        "shop/web:1",
        running ? "running" : "exited",
        running,
        exit,
        oomKilled,
        0,
        "no",
        running ? 4242L : 0L,
        "2026-12-02T10:00:00Z",
        "2026-12-02T10:05:00Z",
        memory,
        swap,
        0L,
        false,
        0,
        null,
        null,
        cmd,
        Map.of(),
        null);
  }

  static List<OomKillSpec> parse(String text) {
    List<OomKillSpec> out = new ArrayList<>();
    OomReportParser p =
        OomReportParser.collecting(
            r -> {
              OomKillSpec s = new OomKillSpec();
              s.report = r;
              s.attribution = PathAttribution.of(r);
              out.add(s);
            });
    new PastedLog(new LogLineDecoder(ZoneOffset.UTC, 2026)).read(text).lines().forEach(p::accept);
    p.flush();
    return out;
  }

  static final String MEMCG_KILL =
      """
      [ 100.000001] java invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0
      [ 100.000002] memory: usage 262144kB, limit 262144kB, failcnt 12
      [ 100.000003] Memory cgroup stats for /docker/%1$s:
      [ 100.000004] anon 260000000
      [ 100.000005] file 1000000
      [ 100.000006] shmem 0
      [ 100.000007] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=%1$s,mems_allowed=0,oom_memcg=/docker/%1$s,task_memcg=/docker/%1$s,task=java,pid=777,uid=0
      [ 100.000008] Memory cgroup out of memory: Killed process 777 (java) total-vm:3000000kB, anon-rss:255000kB, file-rss:1000kB, shmem-rss:0kB, UID:0 pgtables:900kB oom_score_adj:0
      """
          .formatted(ID);

  static final String HOST_OOM =
      """
      [ 200.000001] java invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0
      [ 200.000002] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/docker/%1$s,task=java,pid=778,uid=0
      [ 200.000003] Out of memory: Killed process 778 (java) total-vm:3000000kB, anon-rss:2055000kB, file-rss:1000kB, shmem-rss:0kB, UID:0 pgtables:900kB oom_score_adj:0
      """
          .formatted(ID);

  Triage triage(ContainerFacts f, String kernel) {
    return new DockerDoctor()
        .triage(
            f,
            "web",
            kernel == null ? List.of() : parse(kernel),
            "kernel ring buffer",
            null,
            List.of(),
            200);
  }

  @Test
  void pathsOfBothCgroupDriversAreTheContainers() {
    assertThat(DockerDoctor.pathOf("/docker/" + ID, ID)).isTrue();
    assertThat(DockerDoctor.pathOf("/system.slice/docker-" + ID + ".scope", ID)).isTrue();
    assertThat(DockerDoctor.pathOf("/system.slice/docker-" + ID + ".scope", ID.substring(0, 12)))
        .isTrue();
    assertThat(DockerDoctor.pathOf("/docker/" + ID, ID.substring(0, 8))).as("too short").isFalse();
    assertThat(DockerDoctor.pathOf("/docker/ffff" + ID.substring(4), ID)).isFalse();
  }

  @Test
  void theVerdictFollowsTheEngineAndTheKernelTogether() {
    assertThat(triage(facts(false, 137, true, 256 * MI, 256 * MI), MEMCG_KILL).verdict)
        .isEqualTo(Triage.Verdict.OomKilledMain);
    assertThat(triage(facts(true, 0, false, 256 * MI, 256 * MI), MEMCG_KILL).verdict)
        .isEqualTo(Triage.Verdict.OomKilledChild);
    assertThat(triage(facts(false, 0, true, 256 * MI, 256 * MI), null).verdict)
        .as("a child killed, then the main process ended by itself")
        .isEqualTo(Triage.Verdict.OomKilledChild);
    assertThat(triage(facts(false, 137, false, 256 * MI, 256 * MI), null).verdict)
        .isEqualTo(Triage.Verdict.KilledNotOom);
    assertThat(triage(facts(false, 137, false, 0, 0), HOST_OOM).verdict)
        .isEqualTo(Triage.Verdict.HostOom);
    assertThat(triage(facts(false, 0, false, 256 * MI, 256 * MI), null).verdict)
        .isEqualTo(Triage.Verdict.NoOomKill);
  }

  @Test
  void aKillBeforeARestartEndedAnEarlierRun() {
    // the report's wall time (2026-…T10:0x from the fixture's boot) against this run's start
    OomKillSpec kill = parse(MEMCG_KILL).get(0);
    kill.report.timestamp = "2026-12-02T10:04:00Z";
    ContainerFacts restarted = facts(true, 0, false, 256 * MI, 256 * MI); // started 10:00:00
    ContainerFacts later =
        new ContainerFacts(
            ID,
            "web",
            "img",
            "running",
            true,
            0L,
            false,
            3,
            "on-failure",
            4242L,
            "2026-12-02T10:05:00Z",
            "2026-12-02T10:04:59Z",
            256 * MI,
            256 * MI,
            0L,
            false,
            0,
            null,
            null,
            List.of("/app/server"),
            Map.of(),
            null);
    Triage t =
        new DockerDoctor()
            .triage(later, "web", List.of(kill), "kernel ring buffer", null, List.of(), 200);
    assertThat(t.verdict).isEqualTo(Triage.Verdict.OomKilledMain);
    assertThat(t.summary).contains("earlier run").contains("restarts: 3").contains("on-failure");
    // a kill during this run of a running container is a child's
    assertThat(
            new DockerDoctor()
                .triage(restarted, "web", List.of(kill), "kernel ring buffer", null, List.of(), 200)
                .verdict)
        .isEqualTo(Triage.Verdict.OomKilledChild);
  }

  @Test
  void aHostOomBlamesTheHostNotTheLimit() {
    Triage t = triage(facts(false, 137, false, 0, 0), HOST_OOM);
    assertThat(t.cause).isEqualTo("HostOom");
    assertThat(t.summary).contains("host ran out of memory");
    assertThat(t.fix).contains("--memory").contains("--oom-score-adj");
    assertThat(t.notes.toString()).contains("No memory limit");
  }

  @Test
  void aKillOfTheMainProcessGetsDockerFlagsComposeKeysAndTheBreakdown() {
    Triage t = triage(facts(false, 137, true, 256 * MI, 256 * MI), MEMCG_KILL);
    assertThat(t.kernelReportFound).isTrue();
    assertThat(t.victimPid).isEqualTo(777);
    assertThat(t.breakdown).containsEntry("anon", 260000000L).containsEntry("file", 1000000L);
    assertThat(t.recommendedLimitBytes).isGreaterThan(256 * MI);
    assertThat(t.dockerRunFlags).anyMatch(f -> f.startsWith("--memory="));
    assertThat(t.compose)
        .containsKeys("mem_limit", "memswap_limit", "deploy.resources.limits.memory");
    assertThat(t.explanation).doesNotContain("scheduler").doesNotContain("request");
  }

  @Test
  void aJvmHeapCapAboveTheLimitGetsItsFlagAsAnEnvironmentVariable() {
    Triage t =
        triage(
            facts(
                false,
                137,
                true,
                256 * MI,
                256 * MI,
                List.of("/usr/bin/java", "-Xmx512m", "-jar", "app.jar")),
            MEMCG_KILL);
    assertThat(t.cause).isEqualTo("RuntimeCapMisconfigured");
    assertThat(t.dockerRunFlags).anyMatch(f -> f.startsWith("--env=JAVA_TOOL_OPTIONS=-X"));
    assertThat(t.compose).containsKey("environment.JAVA_TOOL_OPTIONS");
  }

  @Test
  void swapAndDisabledOomKillerAreSaid() {
    Triage t = triage(facts(true, 0, false, 256 * MI, 512 * MI), null);
    assertThat(t.notes.toString()).contains("Swap is in play").contains("256Mi of swap");
    Triage u = triage(facts(true, 0, false, 256 * MI, -1), null);
    assertThat(u.notes.toString()).contains("unlimited");
  }

  @Test
  void sizesAsDockerTakesThem() {
    assertThat(DockerDoctor.dockerSize(80 * MI)).isEqualTo("80m");
    assertThat(DockerDoctor.dockerSize(80 * MI + 1)).isEqualTo("81m");
    assertThat(DockerDoctor.dockerSize(2048 * MI)).isEqualTo("2g");
  }

  @Test
  void theSparklineIsScaledToTheLimitAndTheBarAddsUp() {
    assertThat(DoctorReport.sparkline(List.of(0L, 32 * MI, 64 * MI, 80 * MI), 64 * MI))
        .isEqualTo("▁▅██");
    List<Long> many = new ArrayList<>();
    for (long i = 0; i < 500; i++) {
      many.add(i * MI / 10);
    }
    assertThat(DoctorReport.sparkline(many, null)).hasSize(DoctorReport.SPARK_WIDTH).endsWith("█");
    Map<String, Long> parts = new LinkedHashMap<>();
    parts.put("anon", 32 * MI);
    parts.put("file", 16 * MI);
    parts.put("shmem", 0L);
    parts.put("kernel", 0L);
    String bar = DoctorReport.bar(parts, 64 * MI);
    assertThat(bar).startsWith("[" + "█".repeat(20) + "▓".repeat(10) + " ".repeat(10) + "]");
    assertThat(bar).contains("anon 32Mi").contains("file cache 16Mi").endsWith("of 64Mi");
  }

  @Test
  void theKillRecordStaysUnderItsBoundAndKeepsTheNewest(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    KillLog log = new KillLog(dir);
    String big = "x".repeat(64 * 1024);
    for (int i = 0; i < 400; i++) {
      String id = String.format("%064x", i + 1);
      log.append(
          "{\"report\":{\"pid\":"
              + i
              + ",\"taskMemcg\":\"/docker/"
              + id
              + "\"},\"nodeName\":\""
              + big
              + "\"}",
          "{}");
      assertThat(java.nio.file.Files.size(log.file()))
          .isLessThanOrEqualTo(KillLog.MAX_BYTES + 70 * 1024);
    }
    assertThat(log.of(String.format("%064x", 400))).hasSize(1);
    assertThat(log.of(String.format("%064x", 1))).as("the oldest went first").isEmpty();
    java.nio.file.Files.writeString(
        log.file(), "{torn line\n", java.nio.file.StandardOpenOption.APPEND);
    assertThat(log.of(String.format("%064x", 400))).hasSize(1);
  }

  @Test
  void killMetricsKeepABoundedSetOfContainers(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    var metrics = new io.oomdoctor.agent.metrics.AgentMetrics();
    var exporter =
        new DockerExporter(
            new java.io.PrintStream(java.io.OutputStream.nullOutputStream()),
            metrics,
            new KillLog(dir));
    for (int i = 0; i < DockerExporter.MAX_SERIES + 100; i++) {
      OomKillSpec spec = parse(MEMCG_KILL).get(0);
      var pod = new io.oomdoctor.model.evidence.PodReference();
      pod.name = "c" + i;
      pod.labels = Map.of("image", "img:" + i);
      spec.pod = pod;
      var kill = new io.oomdoctor.model.OomKill();
      kill.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMeta());
      kill.getMetadata().setName("k" + i);
      kill.setSpec(spec);
      exporter.export(kill, () -> {});
    }
    String scrape = metrics.scrape();
    long series =
        scrape.lines().filter(l -> l.startsWith("oomdoctor_agent_docker_kills_total{")).count();
    assertThat(series).isLessThanOrEqualTo(DockerExporter.MAX_SERIES + 2);
    assertThat(scrape).contains("container=\"other\"");
  }
}
