package io.oomdoctor.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.HostConfig;
import io.oomdoctor.agent.AgentConfig;
import io.oomdoctor.agent.AgentNode;
import io.oomdoctor.agent.docker.DockerEngine;
import io.oomdoctor.agent.docker.KillLog;
import io.oomdoctor.agent.json.JsonReader;
import io.oomdoctor.agent.metrics.AgentMetrics;
import io.oomdoctor.agent.testing.DockerDaemon;
import io.oomdoctor.testkit.RealKernel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code oomdoctor-agent doctor} and {@code run --docker} against real containers of a real Docker
 * daemon, killed for real by the kernel (or by {@code docker kill}): each triage is checked against
 * what the test did.
 */
class DockerDoctorIT {
  static final long MI = 1L << 20;
  private static DockerDaemon docker;

  @BeforeAll
  static void start() throws Exception {
    docker = DockerDaemon.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (docker != null) {
      docker.close();
    }
  }

  record Run(int code, String out, String err) {}

  static Run doctor(String... args) {
    List<String> argv = new ArrayList<>(List.of("doctor", "--docker-host", docker.host()));
    argv.addAll(List.of(args));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        AgentCli.execute(
            argv,
            name -> null,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static Map<String, Object> json(String container) {
    Run r = doctor("--output", "json", "--sample-seconds", "1", container);
    assertThat(r.code).as(r.err).isZero();
    return JsonReader.object(r.out.strip());
  }

  static String create(String name, HostConfig hc, Map<String, String> labels, String... cmd) {
    DockerClient c = docker.client();
    var create =
        c.createContainerCmd(DockerDaemon.IMAGE)
            .withName(name)
            .withCmd(cmd)
            .withHostConfig(hc.withNetworkMode("none"));
    if (labels != null) {
      create.withLabels(labels);
    }
    String id = create.exec().getId();
    c.startContainerCmd(id).exec();
    return id;
  }

  static int waitExit(String id) {
    return docker.client().waitContainerCmd(id).start().awaitStatusCode(60, TimeUnit.SECONDS);
  }

  /** A container whose memhog takes {@code mb} MiB and holds it. */
  static String holding(String name, HostConfig hc, int mb) {
    return create(
        name,
        hc,
        null,
        "/memhog",
        "--step-mb",
        "4",
        "--max-mb",
        Integer.toString(mb),
        "--interval-ms",
        "10");
  }

  /** A container whose memhog grows by {@code stepMb} every {@code intervalMs} past its limit. */
  static String leaking(
      String name, long limit, Map<String, String> labels, int stepMb, int intervalMs) {
    return create(
        name,
        limit(limit, limit),
        labels,
        "/memhog",
        "--step-mb",
        Integer.toString(stepMb),
        "--interval-ms",
        Integer.toString(intervalMs),
        "--max-mb",
        "300");
  }

  static HostConfig limit(long memory, long memorySwap) {
    return HostConfig.newHostConfig().withMemory(memory).withMemorySwap(memorySwap);
  }

  @Test
  void anOomKillOfTheMainProcessIsDiagnosedWithTheFixAsDockerUsersWriteIt() {
    String id =
        leaking(
            "shop-web-1",
            64 * MI,
            Map.of("com.docker.compose.project", "shop", "com.docker.compose.service", "web"),
            8,
            40);
    assertThat(waitExit(id)).isEqualTo(137);
    Map<String, Object> t = json("shop-web-1");
    assertThat(t.get("id")).isEqualTo(id);
    assertThat(t.get("oomKilled")).isEqualTo(true);
    assertThat(t.get("exitCode")).isEqualTo(137L);
    assertThat(t.get("limitBytes")).isEqualTo(64 * MI);
    assertThat(t.get("swapLimitBytes")).isEqualTo(64 * MI);
    assertThat(t.get("kernelReportFound")).isEqualTo(true);
    assertThat(t.get("verdict")).isEqualTo("OomKilledMain");
    assertThat(t.get("victimProcess")).isEqualTo("memhog");
    assertThat(t.get("cause")).isNotIn("NotOomKill", "NoOomKill", "HostOom", null);
    assertThat((Long) t.get("recommendedLimitBytes")).isGreaterThan(64 * MI);
    assertThat(t.get("composeService")).isEqualTo("web");
    assertThat(t.get("composeProject")).isEqualTo("shop");
    @SuppressWarnings("unchecked")
    Map<String, Object> compose = (Map<String, Object>) t.get("compose");
    assertThat(compose)
        .containsKeys("mem_limit", "memswap_limit", "deploy.resources.limits.memory");
    @SuppressWarnings("unchecked")
    Map<String, Object> parts = (Map<String, Object>) t.get("breakdown");
    assertThat((Long) parts.get("anon")).isGreaterThan(32 * MI);

    String human = doctor("shop-web-1").out;
    assertThat(human)
        .contains("OomKilledMain")
        .contains("docker run --memory=")
        .contains("mem_limit: ")
        .contains("anon")
        .contains("█");
    // by its short ID too
    assertThat(json(id.substring(0, 12)).get("container")).isEqualTo("shop-web-1");
  }

  @Test
  void aDockerKillIsExit137WithoutTheOomKillerAndMemoryIsNotBlamed() {
    String id = holding("killed-by-hand", limit(64 * MI, 64 * MI), 4);
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> docker.client().inspectContainerCmd(id).exec().getState().getRunning());
    docker.client().killContainerCmd(id).exec();
    assertThat(waitExit(id)).isEqualTo(137);
    Map<String, Object> t = json("killed-by-hand");
    assertThat(t.get("exitCode")).isEqualTo(137L);
    assertThat(t.get("oomKilled")).isEqualTo(false);
    assertThat(t.get("kernelReportFound")).isEqualTo(false);
    assertThat(t.get("verdict")).isEqualTo("KilledNotOom");
    assertThat(t.get("cause")).isEqualTo("NotOomKill");
    assertThat(t.get("recommendedLimitBytes")).isNull();
    assertThat((String) t.get("summary")).contains("Memory is not to blame");
  }

  @Test
  void aChildKilledWhileTheContainerLivesOnIsTold() {
    String id =
        create(
            "prefork",
            limit(64 * MI, 64 * MI),
            null,
            "/memhog",
            "--child",
            "--step-mb",
            "8",
            "--interval-ms",
            "40",
            "--max-mb",
            "300");
    Awaitility.await("the kernel's report of the child")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> Boolean.TRUE.equals(json(id).get("kernelReportFound")));
    Map<String, Object> t = json("prefork");
    assertThat(t.get("running")).isEqualTo(true);
    assertThat(t.get("verdict")).isEqualTo("OomKilledChild");
    long mainPid = docker.client().inspectContainerCmd(id).exec().getState().getPidLong();
    assertThat(((Long) t.get("victimPid"))).isNotEqualTo(mainPid);
    @SuppressWarnings("unchecked")
    List<Object> history = (List<Object>) t.get("history");
    assertThat(history).isNotEmpty();
    assertThat(doctor("--sample-seconds", "1", "prefork").out)
        .contains("Memory")
        .containsPattern("[▁▂▃▄▅▆▇█]+┤ limit 64Mi");
    docker.client().removeContainerCmd(id).withForce(true).exec();
  }

  @Test
  void aContainerWithoutALimitAndOneWithSwapAreSaidSo() {
    String free = holding("no-limit", HostConfig.newHostConfig(), 8);
    String swapping = holding("with-swap", limit(64 * MI, 128 * MI), 8);
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> docker.client().inspectContainerCmd(swapping).exec().getState().getRunning());
    Map<String, Object> a = json("no-limit");
    assertThat(a.get("limitBytes")).isNull();
    assertThat(a.get("verdict")).isEqualTo("NoOomKill");
    assertThat(a.get("notes").toString()).contains("No memory limit");
    Map<String, Object> b = json("with-swap");
    assertThat(b.get("swapLimitBytes")).isEqualTo(128 * MI);
    assertThat(b.get("notes").toString()).contains("Swap is in play");
    docker.client().removeContainerCmd(free).withForce(true).exec();
    docker.client().removeContainerCmd(swapping).withForce(true).exec();
  }

  @Test
  void aRemovedContainerIsTriagedFromWhatTheKernelStillHolds() {
    String id = leaking("short-lived", 48 * MI, null, 8, 40);
    assertThat(waitExit(id)).isEqualTo(137);
    docker.client().removeContainerCmd(id).exec();
    Map<String, Object> t = json(id);
    assertThat(t.get("containerExists")).isEqualTo(false);
    assertThat(t.get("kernelReportFound")).isEqualTo(true);
    assertThat(t.get("id")).isEqualTo(id);
    assertThat(t.get("limitBytes")).isEqualTo(48 * MI);
    assertThat(t.get("verdict")).isEqualTo("OomKilledMain");
    // by a name the engine no longer knows: a clear message, exit 1
    Run r = doctor("short-lived");
    assertThat(r.code).isEqualTo(1);
    assertThat(r.err).contains("knows no container short-lived");
  }

  @Test
  void theAgentOnADockerHostReportsDiagnosesCountsAndRecordsEachKill(@TempDir Path state)
      throws Exception {
    AgentMetrics metrics = new AgentMetrics();
    ByteArrayOutputStream lines = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(lines, true, StandardCharsets.UTF_8);
    AgentConfig config =
        new AgentConfig(
            "docker-host",
            RealKernel.KMSG,
            RealKernel.MEMORY_MOUNT,
            RealKernel.MEMORY_MOUNT,
            Paths.get("/proc"),
            Duration.ofMillis(200),
            state,
            false,
            "oomdoctor-system");
    String id;
    try (AgentNode agent =
        AgentNode.docker(
                config, DockerEngine.connect(docker.host()), out, metrics, Clock.systemUTC())
            .start()) {
      Awaitility.await("the agent is ready").atMost(Duration.ofSeconds(30)).until(agent::ready);
      id =
          leaking(
              "shop-worker-1",
              64 * MI,
              Map.of("com.docker.compose.project", "shop", "com.docker.compose.service", "worker"),
              4,
              150);
      assertThat(waitExit(id)).isEqualTo(137);
      String mine =
          Awaitility.await("the kill's JSON line")
              .atMost(Duration.ofSeconds(30))
              .until(
                  () ->
                      lines
                          .toString(StandardCharsets.UTF_8)
                          .lines()
                          .filter(l -> l.contains(id))
                          .findFirst()
                          .orElse(null),
                  l -> l != null);
      Map<String, Object> kill = JsonReader.object(mine);
      @SuppressWarnings("unchecked")
      Map<String, Object> pod = (Map<String, Object>) kill.get("pod");
      assertThat(pod.get("name")).isEqualTo("shop-worker-1");
      assertThat(pod.get("namespace")).isEqualTo("shop");
      assertThat(pod.get("container")).isEqualTo("worker");
      assertThat(pod.get("containerLimitBytes")).isEqualTo(64 * MI);
      assertThat(pod.get("labels").toString()).contains(DockerDaemon.IMAGE);
      @SuppressWarnings("unchecked")
      Map<String, Object> attribution = (Map<String, Object>) kill.get("attribution");
      assertThat(attribution.get("containerId")).isEqualTo(id);
      @SuppressWarnings("unchecked")
      Map<String, Object> diagnosis = (Map<String, Object>) kill.get("diagnosis");
      assertThat(diagnosis.get("cause")).isNotNull().isNotEqualTo("HostOom");
      assertThat(metrics.scrape())
          .containsPattern(
              "oomdoctor_agent_docker_kills_total\\{cause=\"\\w+\",container=\"shop-worker-1\","
                  + "image=\"oomdoctor-memhog:test\"\\} 1\\.0");
    }
    assertThat(Files.readString(state.resolve(KillLog.FILE))).contains(id);
    // gone from the engine, and (as far as doctor is told) from the kernel: the agent's record
    docker.client().removeContainerCmd(id).exec();
    Path emptyKmsg = Files.createFile(state.resolve("empty-kmsg"));
    Run r =
        doctor(
            "--state-dir",
            state.toString(),
            "--kmsg",
            emptyKmsg.toString(),
            "--output",
            "json",
            id);
    assertThat(r.code).as(r.err).isZero();
    Map<String, Object> t = JsonReader.object(r.out.strip());
    assertThat(t.get("kernelReportFound")).isEqualTo(true);
    assertThat((String) t.get("kernelReportSource")).contains("agent's record");
    assertThat(t.get("verdict")).isEqualTo("OomKilledMain");
    assertThat((List<?>) t.get("history")).as("the curve before the kill").hasSizeGreaterThan(1);
    assertThat(doctor("--state-dir", state.toString(), "--kmsg", emptyKmsg.toString(), id).out)
        .containsPattern("[▁▂▃▄▅▆▇█]{2,}┤ limit 64Mi");
  }

  @Test
  void onANodeWhoseRuntimeIsDockerThePodIsFoundByDockersLabels() throws Exception {
    String podUid = java.util.UUID.randomUUID().toString();
    String id =
        leaking(
            "k8s_app_web-0_shop_" + podUid + "_0",
            48 * MI,
            Map.of(
                "io.kubernetes.pod.uid", podUid,
                "io.kubernetes.pod.namespace", "shop",
                "io.kubernetes.pod.name", "web-0",
                "io.kubernetes.container.name", "app"),
            8,
            40);
    assertThat(waitExit(id)).isEqualTo(137);
    // the kubelet's pods, as the pod watch knows them
    io.oomdoctor.agent.pod.PodResolver pods =
        (uid, cid) -> {
          if (!podUid.equals(uid)) {
            return null;
          }
          var p = new io.oomdoctor.model.evidence.PodReference();
          p.namespace = "shop";
          p.name = "web-0";
          p.uid = uid;
          p.container = "app";
          return p;
        };
    var resolver =
        AgentNode.withDockerLabels(
            pods,
            new io.oomdoctor.agent.docker.DockerContainers(DockerEngine.connect(docker.host())));
    var assembler =
        new io.oomdoctor.agent.EvidenceAssembler(
            "node-a", "oomdoctor-system", null, null, resolver, null);
    List<io.oomdoctor.model.evidence.OomReport> reports = new ArrayList<>();
    HostOptions host =
        new HostOptions(HostOptions.add(new Options("scan", "", k -> null)).parse(List.of()));
    ScanCommand.collect(
        host,
        "node-a",
        k -> {
          if (io.oomdoctor.agent.docker.DockerDoctor.reportOf(k.getSpec().report, id)) {
            reports.add(k.getSpec().report);
          }
        },
        System.err);
    assertThat(reports).isNotEmpty();
    var kill = assembler.assemble(reports.get(reports.size() - 1), System.currentTimeMillis());
    assertThat(kill.getSpec().attribution.containerId).isEqualTo(id);
    assertThat(kill.getSpec().attribution.podUid).isEqualTo(podUid);
    assertThat(kill.getSpec().attribution.method).isEqualTo("runtimeLabels");
    assertThat(kill.getSpec().pod.name).isEqualTo("web-0");
    assertThat(kill.getMetadata().getNamespace()).isEqualTo("shop");
    resolver.close();
  }
}
