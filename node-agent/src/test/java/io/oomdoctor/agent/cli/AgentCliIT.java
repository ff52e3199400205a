package io.oomdoctor.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.oomdoctor.agent.kmsg.Cursor;
import io.oomdoctor.testkit.CgroupSandbox;
import io.oomdoctor.testkit.RealKernel;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as people and the DaemonSet use it. */
class AgentCliIT {
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();
  static final Path FIXTURES = io.oomdoctor.testkit.Fixtures.of("kernel");

  record Result(int code, String out, String err) {}

  static Result cli(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int code = AgentCli.execute(args);
      return new Result(
          code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  static List<JsonNode> json(String out) throws Exception {
    List<JsonNode> l = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (!line.isBlank()) {
        l.add(JSON.readTree(line));
      }
    }
    return l;
  }

  @Test
  void parsePrintsOneJsonObjectPerKillWithEveryFieldAndCountsGarbage(@TempDir Path tmp)
      throws Exception {
    Path garbled = tmp.resolve("garbled.log");
    Files.writeString(garbled, "6,abc,1,-;not a record\n\u0000\u0001binary junk\n6,12;\n");
    Result r =
        cli(
            "parse",
            FIXTURES.resolve("6.18-v1-cgroupfs-container-limit.kmsg").toString(),
            FIXTURES.resolve("5.x-global-oom.journal").toString(),
            garbled.toString());
    assertThat(r.code()).isZero();
    List<JsonNode> kills = json(r.out());
    assertThat(kills).hasSize(2);
    JsonNode k = kills.get(0);
    for (String field :
        List.of(
            "kind",
            "complete",
            "bootId",
            "seq",
            "kernelTimeUs",
            "timestamp",
            "pid",
            "process",
            "uid",
            "constraint",
            "oomMemcg",
            "taskMemcg",
            "totalVmKb",
            "anonRssKb",
            "fileRssKb",
            "shmemRssKb",
            "pgtablesKb",
            "oomScoreAdj",
            "usageKb",
            "limitKb",
            "failcnt",
            "swapUsageKb",
            "swapLimitKb",
            "invoker",
            "memcgStats",
            "tasks",
            "attribution")) {
      assertThat(k.has(field)).as("field %s is always present (null when unknown)", field).isTrue();
    }
    for (String field :
        List.of(
            "method",
            "podUid",
            "containerId",
            "containerRuntime",
            "qosClass",
            "cgroupDriver",
            "limitScope")) {
      assertThat(k.get("attribution").has(field))
          .as("what the agent inferred, %s, is apart from the kernel's fields", field)
          .isTrue();
      assertThat(k.has(field)).as("%s is not a field of the kernel's report", field).isFalse();
    }
    assertThat(k.get("attribution").get("containerRuntime").isNull()).isTrue();
    assertThat(k.get("attribution").get("method").asText()).isEqualTo("reportPath");
    assertThat(k.get("invoker").get("gfpMask").asText()).isEqualTo("0xcc0(GFP_KERNEL)");
    assertThat(k.get("tasks").get(0).get("rssAnonPages").asLong()).isEqualTo(16320);
    assertThat(kills.get(1).get("kind").asText()).isEqualTo("global");
    assertThat(r.err()).contains("skipped 2 garbled line(s)");

    Result missing = cli("parse", tmp.resolve("nope.log").toString());
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).contains("cannot read").contains("nope.log: no such file");
  }

  @Test
  void explainSaysWhyAndWhatToDo() {
    Result r =
        cli(
            "explain",
            FIXTURES.resolve("6.18-v1-tmpfs-shmem.kmsg").toString(),
            FIXTURES.resolve("5.x-global-oom.journal").toString());
    assertThat(r.code()).isZero();
    assertThat(r.out())
        .contains("OOM kill of memhog (pid 4580)")
        .contains("cause: PageCacheOrShmem")
        .contains("was shared memory")
        .contains("Recommended limit: 60Mi.")
        .contains("OOM kill of uvicorn (pid 1306511)")
        .contains("cause: HostOom");
  }

  @Test
  void unknownOptionsAndBadDurationsAreClearErrors() {
    Result r = cli("run", "--interval", "soon");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("'soon' is not a duration");
  }

  @Test
  void scanReadsTheRingBufferOnceWithLiveCgroupFigures() throws Exception {
    RealKernel.require();
    try (CgroupSandbox sandbox = CgroupSandbox.create()) {
      String cid = CgroupSandbox.containerId();
      Path container = sandbox.cgroupfsContainer("burstable", CgroupSandbox.podUid(), cid);
      sandbox.limit(container, 32L << 20);
      sandbox
          .start(container, List.of(RealKernel.memhog().toString()))
          .waitFor(30, TimeUnit.SECONDS);

      Result r = cli("scan", "--cgroup-root", sandbox.root().toString(), "--node-name", "host-1");
      assertThat(r.code()).isZero();
      JsonNode kill =
          json(r.out()).stream()
              .filter(j -> cid.equals(j.get("attribution").get("containerId").asText()))
              .findFirst()
              .orElseThrow();
      assertThat(kill.get("node").asText()).isEqualTo("host-1");
      assertThat(kill.get("bootId").asText())
          .isEqualTo(Files.readString(Paths.get("/proc/sys/kernel/random/boot_id")).trim());
      assertThat(kill.get("timestamp").isNull()).isFalse();
      JsonNode live = kill.get("cgroups").get(0);
      assertThat(live.get("limitBytes").asLong()).isEqualTo(32L << 20);
      assertThat(live.get("oomKills").asLong()).as("memory.oom_control oom_kill").isEqualTo(1);
      assertThat(live.get("failcnt").asLong()).isPositive();
    }
  }

  @Test
  void runDaemonWithStdoutExporterMetricsAndCleanStop(@TempDir Path state) throws Exception {
    RealKernel.require();
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    try (CgroupSandbox sandbox = CgroupSandbox.create()) {
      List<String> cmd =
          List.of(
              Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
              "-cp",
              System.getProperty("java.class.path"),
              AgentCli.class.getName(),
              "run",
              "--exporter",
              "stdout",
              "--node-name",
              "node-x",
              "--cgroup-root",
              sandbox.root().toString(),
              "--state-dir",
              state.toString(),
              "--interval",
              "500ms",
              "--metrics-port",
              Integer.toString(port));
      Process agent =
          new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      List<String> lines = new CopyOnWriteArrayList<>();
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(
                        new InputStreamReader(agent.getInputStream(), StandardCharsets.UTF_8))) {
                  String l;
                  while ((l = in.readLine()) != null) {
                    lines.add(l);
                  }
                } catch (Exception e) {
                  // process ended
                }
              });
      reader.start();
      try {
        HttpClient http = HttpClient.newHttpClient();
        URI ready = URI.create("http://127.0.0.1:" + port + "/readyz");
        Awaitility.await()
            .atMost(Duration.ofSeconds(30))
            .ignoreExceptions()
            .until(
                () ->
                    http.send(
                                HttpRequest.newBuilder(ready).build(),
                                HttpResponse.BodyHandlers.ofString())
                            .statusCode()
                        == 200);

        String cid = CgroupSandbox.containerId();
        Path container = sandbox.cgroupfsContainer("burstable", CgroupSandbox.podUid(), cid);
        sandbox.limit(container, 32L << 20);
        sandbox
            .start(container, List.of(RealKernel.memhog().toString(), "--interval-ms", "100"))
            .waitFor(30, TimeUnit.SECONDS);
        Awaitility.await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> lines.stream().anyMatch(l -> l.contains(cid)));
        JsonNode kill =
            JSON.readTree(lines.stream().filter(l -> l.contains(cid)).findFirst().orElseThrow());
        assertThat(kill.get("node").asText()).isEqualTo("node-x");
        assertThat(kill.get("limitKb").asLong()).isEqualTo(32 * 1024);

        String metrics =
            http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(metrics)
            .contains("oomdoctor_agent_kills_total{")
            .contains("oomdoctor_agent_kmsg_records_read_total")
            .contains("oomdoctor_agent_kmsg_records_lost_total")
            .contains("oomdoctor_agent_exports_total{result=\"stdout\"")
            .contains("oomdoctor_agent_sampling_duration_seconds_count");
      } finally {
        agent.destroy(); // SIGTERM, as the kubelet stops a pod
        assertThat(agent.waitFor(10, TimeUnit.SECONDS)).as("stops promptly on SIGTERM").isTrue();
        reader.join(5000);
      }
      assertThat(Cursor.load(state.resolve("kmsg-cursor")))
          .as("cursor kept for the next start")
          .isNotNull();
    }
  }
}
