package io.oomdoctor.agent.export;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.agent.EvidenceAssembler;
import io.oomdoctor.agent.kube.KubeConnection;
import io.oomdoctor.agent.metrics.AgentMetrics;
import io.oomdoctor.agent.pod.PodResolver;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.evidence.OomReport;
import io.oomdoctor.model.evidence.Repeats;
import io.oomdoctor.testkit.MockApiServer;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The exporter against the CRUD mock API server: create, conflict, outage, overflow. */
class KubernetesExporterTest {
  private static final Duration FAST = Duration.ofMillis(50);

  static OomKill kill(long seq, String ns) {
    OomReport r = new OomReport();
    r.kind = "cgroup";
    r.complete = true;
    r.bootId = "b00t";
    r.seq = seq;
    r.pid = 4000 + (int) seq;
    r.process = "app";
    r.limitKb = 65536L;
    // One pod per seq: kills of one container would be coalesced (see the storm test).
    r.oomMemcg = String.format("/kubepods/burstable/pod0b5b2e9c-54b5-4b2f-9a5c-%012d/abc", seq);
    OomKill k =
        new EvidenceAssembler("node-a", ns, null, null, PodResolver.NONE, null).assemble(r, 0);
    return k;
  }

  @Test
  void createsTheResourceAndTreatsAConflictAsDelivered() {
    try (MockApiServer api = MockApiServer.start()) {
      AgentMetrics metrics = new AgentMetrics();
      AtomicInteger delivered = new AtomicInteger();
      try (KubernetesExporter exporter =
          new KubernetesExporter(
              io.oomdoctor.agent.kube.KubeConnection.forUrl(api.url()),
              "oomdoctor-system",
              10,
              FAST,
              FAST,
              metrics)) {
        exporter.export(kill(7, "shop"), delivered::incrementAndGet);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> delivered.get() == 1);
        exporter.export(
            kill(7, "shop"), delivered::incrementAndGet); // an agent restart re-reads it
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> delivered.get() == 2);
      }
      List<OomKill> stored =
          api.client().resources(OomKill.class).inNamespace("shop").list().getItems();
      assertThat(stored).hasSize(1);
      OomKill k = stored.get(0);
      assertThat(k.getMetadata().getName()).startsWith("node-a-7-");
      assertThat(k.getMetadata().getLabels()).containsEntry(OomKill.LABEL_NODE, "node-a");
      assertThat(k.getSpec().report.pid).isEqualTo(4007);
      assertThat(k.getSpec().limit).isEqualTo("64Mi");
      assertThat(k.getSpec().report.oomMemcg).endsWith("/abc");
      assertThat(k.getKind()).isEqualTo("OomKill");
      assertThat(metrics.count("oomdoctor.agent.exports")).isEqualTo(2);
      assertThat(metrics.count("oomdoctor.agent.exports", "result", "already-exists")).isEqualTo(1);
    }
  }

  @Test
  void holdsKillsWhileTheApiServerIsDownAndDeliversThemInOrderWhenItIsBack() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    KubeConnection down = KubeConnection.forUrl("http://127.0.0.1:" + port);
    AgentMetrics metrics = new AgentMetrics();
    List<Long> deliveredSeqs = new CopyOnWriteArrayList<>();
    try (KubernetesExporter exporter =
        new KubernetesExporter(
            down, "oomdoctor-system", 100, FAST, Duration.ofMillis(200), metrics)) {
      for (long seq = 1; seq <= 3; seq++) {
        long s = seq;
        exporter.export(kill(seq, "oomdoctor-system"), () -> deliveredSeqs.add(s));
      }
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> metrics.count("oomdoctor.agent.exports.failed") >= 3);
      assertThat(deliveredSeqs).isEmpty();
      assertThat(exporter.pending()).isGreaterThanOrEqualTo(2);

      try (MockApiServer api = MockApiServer.startOn(port)) {
        Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> deliveredSeqs.size() == 3);
        assertThat(deliveredSeqs).containsExactly(1L, 2L, 3L);
        assertThat(
                api.client()
                    .resources(OomKill.class)
                    .inNamespace("oomdoctor-system")
                    .list()
                    .getItems())
            .hasSize(3);
        assertThat(exporter.pending()).isZero();
      }
    }
  }

  @Test
  void aFullQueueRefusesKillsAndCountsThem() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    KubeConnection down = KubeConnection.forUrl("http://127.0.0.1:" + port);
    AgentMetrics metrics = new AgentMetrics();
    try (KubernetesExporter exporter =
        new KubernetesExporter(down, "oomdoctor-system", 2, FAST, Duration.ofSeconds(5), metrics)) {
      exporter.export(kill(1, "x"), () -> {});
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> metrics.count("oomdoctor.agent.exports.failed") >= 1); // the first is in flight
      for (long seq = 2; seq <= 5; seq++) {
        exporter.export(kill(seq, "x"), () -> {});
      }
      assertThat(exporter.pending()).as("two queued and the one in flight").isEqualTo(3);
      assertThat(metrics.count("oomdoctor.agent.exports.dropped", "reason", "queue-full"))
          .isEqualTo(2);
    }
  }

  @Test
  void theQueueIsBoundedInBytesToo() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    KubeConnection down = KubeConnection.forUrl("http://127.0.0.1:" + port);
    AgentMetrics metrics = new AgentMetrics();
    long one = Json.body(kill(1, "x")).length();
    try (KubernetesExporter exporter =
        new KubernetesExporter(
            down,
            "oomdoctor-system",
            1000,
            3 * one + one / 2,
            KubernetesExporter.DEFAULT_QPS,
            KubernetesExporter.DEFAULT_BURST,
            FAST,
            Duration.ofSeconds(5),
            metrics)) {
      exporter.export(kill(1, "x"), () -> {});
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> metrics.count("oomdoctor.agent.exports.failed") >= 1); // in flight
      for (long seq = 2; seq <= 6; seq++) {
        exporter.export(kill(seq, "x"), () -> {});
      }
      assertThat(exporter.pending()).as("the one in flight counts until delivered").isEqualTo(3);
      assertThat(metrics.count("oomdoctor.agent.exports.dropped", "reason", "queue-full"))
          .as("three fit in the bytes allowed, with room for half another")
          .isEqualTo(3);
    }
  }

  /**
   * An API server that refuses some kills for their size, as etcd and the API server do (413, or
   * 500 "etcdserver: request is too large"), the whole object or also its essentials.
   */
  static com.sun.net.httpserver.HttpServer refusingServer(
      java.util.function.Function<String, Integer> answer, List<String> bodies) throws Exception {
    var server =
        com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 8);
    server.createContext(
        "/",
        ex -> {
          String body =
              new String(
                  ex.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
          bodies.add(body);
          int code = answer.apply(body);
          byte[] out =
              (code == 500
                      ? "{\"kind\":\"Status\",\"message\":\"etcdserver: request is too large\"}"
                      : code == 403
                          ? "{\"kind\":\"Status\",\"message\":\"oomkills.oomdoctor.io is"
                              + " forbidden: exceeded quota: oomkills\"}"
                          : "{}")
                  .getBytes(java.nio.charset.StandardCharsets.UTF_8);
          ex.sendResponseHeaders(code, out.length);
          ex.getResponseBody().write(out);
          ex.close();
        });
    server.start();
    return server;
  }

  @Test
  void theQueueRetriesAWriterThatFailsOrBreaksAndKeepsTheOrder() {
    // The queue behind its seam: a writer that first breaks (a bug), then fails, then writes.
    AtomicInteger calls = new AtomicInteger();
    List<String> written = new CopyOnWriteArrayList<>();
    OomKillWriter flaky =
        kill ->
            switch (calls.incrementAndGet()) {
              case 1 -> throw new IllegalStateException("a bug in the writer");
              case 2 -> new OomKillWriter.Failed("503", "HTTP 503");
              default -> {
                written.add(kill.getMetadata().getName());
                yield new OomKillWriter.Written("created");
              }
            };
    AgentMetrics metrics = new AgentMetrics();
    List<Long> delivered = new CopyOnWriteArrayList<>();
    try (KubernetesExporter exporter =
        new KubernetesExporter(
            flaky, "oomdoctor-system", 10, 1 << 20, 100, 100, FAST, FAST, metrics)) {
      OomKill first = kill(1, "shop");
      OomKill second = kill(2, "shop");
      exporter.export(first, () -> delivered.add(1L));
      exporter.export(second, () -> delivered.add(2L));
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> delivered.size() == 2);
      assertThat(exporter.liveProblem()).isNull();
      assertThat(written)
          .containsExactly(first.getMetadata().getName(), second.getMetadata().getName());
    }
    assertThat(delivered).containsExactly(1L, 2L);
    assertThat(calls).hasValue(4);
    assertThat(metrics.count("oomdoctor.agent.exports.failed", "reason", "error")).isEqualTo(1);
    assertThat(metrics.count("oomdoctor.agent.exports.failed", "reason", "503")).isEqualTo(1);
  }

  @Test
  void anOomKillThatStandsForSeveralKillsCountsThemAllWhenFolded() throws Exception {
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    List<OomKill> written = new CopyOnWriteArrayList<>();
    OomKillWriter held =
        kill -> {
          release.await();
          written.add(kill);
          return new OomKillWriter.Written("created");
        };
    AgentMetrics metrics = new AgentMetrics();
    OomKill first = kill(1, "shop");
    try (KubernetesExporter exporter =
        new KubernetesExporter(
            held, "oomdoctor-system", 10, 1 << 20, 100, 100, FAST, FAST, metrics)) {
      exporter.export(kill(9, "shop"), () -> {}); // the worker holds this one
      OomKill storm = kill(1, "shop"); // the same container: five kills counted into one already
      storm.getSpec().report.pid = 5001;
      storm.getSpec().repeats = new Repeats();
      storm.getSpec().repeats.count = 5;
      storm.getSpec().repeats.pids =
          new java.util.ArrayList<>(List.of(5001, 5002, 5003, 5004, 5005));
      exporter.export(first, () -> {});
      exporter.export(storm, () -> {});
      release.countDown();
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> written.size() == 2);
    }
    Repeats r = written.get(1).getSpec().repeats;
    assertThat(r.count).as("1 + 5").isEqualTo(6);
    assertThat(r.pids).startsWith(first.getSpec().report.pid, 5001, 5002);
  }

  @Test
  void aKillTooLargeForTheApiServerIsShrunkOnceThenDroppedAndBlocksNothing() throws Exception {
    List<String> bodies = new CopyOnWriteArrayList<>();
    // Seq 1: refused whole, taken shrunk. Seq 2: refused even shrunk (500, too large). Seq 3: over
    // the namespace's quota. Seq 4: fine.
    var server =
        refusingServer(
            body ->
                body.contains("\"seq\":1,")
                    ? body.contains("shrunk to its essentials") ? 201 : 413
                    : body.contains("\"seq\":2,") ? 500 : body.contains("\"seq\":3,") ? 403 : 201,
            bodies);
    AgentMetrics metrics = new AgentMetrics();
    List<Long> delivered = new CopyOnWriteArrayList<>();
    try (KubernetesExporter exporter =
        new KubernetesExporter(
            KubeConnection.forUrl("http://127.0.0.1:" + server.getAddress().getPort()),
            "oomdoctor-system",
            10,
            FAST,
            Duration.ofSeconds(30),
            metrics)) {
      for (long seq = 1; seq <= 4; seq++) {
        long s = seq;
        OomKill k = kill(seq, "shop");
        k.getSpec().report.memcgStats().put("anon", 1L);
        exporter.export(k, () -> delivered.add(s));
      }
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> delivered.size() == 4);
    } finally {
      server.stop(0);
    }
    assertThat(delivered).containsExactly(1L, 2L, 3L, 4L);
    assertThat(bodies).hasSize(7); // 1 whole, 1 shrunk; 2 whole, 2 shrunk; 3 twice; 4
    assertThat(bodies.get(1)).contains("shrunk to its essentials").doesNotContain("\"anon\"");
    assertThat(metrics.count("oomdoctor.agent.exports", "result", "created")).isEqualTo(2);
    assertThat(metrics.count("oomdoctor.agent.exports.dropped", "reason", "refused")).isEqualTo(2);
  }

  @Test
  void anOomStormGivesFewOomKillsPerContainerAtABoundedRateAndCountsEveryKill() {
    try (MockApiServer api = MockApiServer.start()) {
      AgentMetrics metrics = new AgentMetrics();
      AtomicInteger delivered = new AtomicInteger();
      int kills = 600;
      long started = System.nanoTime();
      try (KubernetesExporter exporter =
          new KubernetesExporter(
              io.oomdoctor.agent.kube.KubeConnection.forUrl(api.url()),
              "oomdoctor-system",
              100,
              4L << 20,
              4,
              2,
              FAST,
              FAST,
              metrics)) {
        for (int i = 0; i < kills; i++) {
          OomKill k = kill(1000 + i, "shop");
          int container = i % 3; // three containers, killed over and over
          k.getSpec().report.oomMemcg =
              String.format("/kubepods/burstable/pod0b5b2e9c-54b5-4b2f-9a5c-%012d/abc", container);
          k.getSpec().attribution =
              io.oomdoctor.agent.cgroup.PathAttribution.of(k.getSpec().report);
          k.getSpec().report.timestamp = "2026-12-02T06:00:" + String.format("%02d", i % 60) + "Z";
          exporter.export(k, delivered::incrementAndGet);
        }
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> delivered.get() == kills);
        assertThat(exporter.pending()).isZero();
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      List<OomKill> stored =
          api.client().resources(OomKill.class).inNamespace("shop").list().getItems();
      assertThat(stored.stream().mapToInt(k -> Repeats.count(k.getSpec().repeats)).sum())
          .as("every kill counted")
          .isEqualTo(kills);
      assertThat(stored.stream().map(k -> k.getSpec().attribution.podUid).distinct())
          .as("every container has its OomKill")
          .hasSize(3);
      assertThat(stored.size())
          .as("at most the burst and the rate: %d OomKills in %.1f s", stored.size(), seconds)
          .isLessThanOrEqualTo((int) (2 + 4 * seconds) + 1);
      assertThat(metrics.count("oomdoctor.agent.exports.coalesced"))
          .isEqualTo(kills - stored.size());
      OomKill repeated =
          stored.stream().filter(k -> k.getSpec().repeats != null).findFirst().orElseThrow();
      assertThat(repeated.getSpec().repeats.pids).hasSizeLessThanOrEqualTo(Repeats.MAX_PIDS);
      assertThat(repeated.getSpec().repeats.firstTimestamp)
          .isEqualTo(repeated.getSpec().report.timestamp);
    }
  }

  @Test
  void killsCountedIntoOneReportedBeforeARestartGetAnOomKillOfTheirOwn() {
    try (MockApiServer api = MockApiServer.start()) {
      AgentMetrics metrics = new AgentMetrics();
      AtomicInteger delivered = new AtomicInteger();
      try (KubernetesExporter exporter =
          new KubernetesExporter(
              io.oomdoctor.agent.kube.KubeConnection.forUrl(api.url()),
              "oomdoctor-system",
              10,
              FAST,
              FAST,
              metrics)) {
        exporter.export(kill(7, "shop"), delivered::incrementAndGet);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> delivered.get() == 1);
        // After a restart the agent reads kill 7 again, and two more of its container are counted
        // into it while it waits: the API server has kill 7 already.
        OomKill again = kill(7, "shop");
        again.getSpec().repeats = new Repeats();
        again.getSpec().repeats.count = 3;
        again.getSpec().repeats.pids = new java.util.ArrayList<>(List.of(4007, 4100, 4101));
        exporter.export(again, delivered::incrementAndGet);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> delivered.get() == 2);
      }
      List<OomKill> stored =
          api.client().resources(OomKill.class).inNamespace("shop").list().getItems();
      assertThat(stored).hasSize(2);
      OomKill more =
          stored.stream()
              .filter(k -> k.getMetadata().getName().endsWith(KubernetesExporter.MORE))
              .findFirst()
              .orElseThrow();
      assertThat(more.getSpec().repeats.count).isEqualTo(2);
      assertThat(more.getSpec().repeats.pids).containsExactly(4100, 4101);
    }
  }

  /** Creates OomKills only when let, and records the order they came in. */
  static final class GatedWriter implements OomKillWriter {
    final java.util.concurrent.Semaphore permits = new java.util.concurrent.Semaphore(0);
    final List<String> written = new CopyOnWriteArrayList<>();

    @Override
    public Outcome write(OomKill kill) throws InterruptedException {
      permits.acquire();
      written.add(kill.getSpec().report.process);
      return new Written("created");
    }
  }

  static OomKill killAt(long seq, long kernelTimeUs, String process) {
    OomKill k = kill(seq, "shop");
    k.getSpec().report.kernelTimeUs = kernelTimeUs;
    k.getSpec().report.process = process;
    return k;
  }

  @Test
  void theFirstKillOfAContainerGoesAheadOfRepeatsEarliestKillFirst() throws Exception {
    GatedWriter writer = new GatedWriter();
    AtomicInteger delivered = new AtomicInteger();
    try (KubernetesExporter exporter =
        new KubernetesExporter(
            writer, "oomdoctor-system", 100, 1 << 20, 1000, 1000, FAST, FAST, new AgentMetrics())) {
      // Container 1 was reported a moment ago.
      exporter.export(killAt(1, 1_000, "one-earlier"), delivered::incrementAndGet);
      writer.permits.release();
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> delivered.get() == 1);
      // The worker now waits at the writer with the next item in hand: a kill of container 9.
      exporter.export(killAt(9, 2_000, "nine"), delivered::incrementAndGet);
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> writer.permits.hasQueuedThreads());
      // A storm: container 1 again (a repeat), then two containers never reported, the one
      // killed earlier read later (its full report took longer to read than the other's line).
      exporter.export(killAt(1, 3_000, "one-again"), delivered::incrementAndGet);
      exporter.export(killAt(3, 5_000, "three"), delivered::incrementAndGet);
      exporter.export(killAt(2, 4_000, "two"), delivered::incrementAndGet);
      writer.permits.release(4);
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> delivered.get() == 5);
      assertThat(writer.written)
          .containsExactly("one-earlier", "nine", "two", "three", "one-again");
    }
  }

  @Test
  void firstKillsCannotStarveTheRepeatsBehindThem() throws Exception {
    GatedWriter writer = new GatedWriter();
    AtomicInteger delivered = new AtomicInteger();
    try (KubernetesExporter exporter =
        new KubernetesExporter(
            writer, "oomdoctor-system", 100, 1 << 20, 1000, 1000, FAST, FAST, new AgentMetrics())) {
      exporter.export(killAt(1, 1_000, "one"), delivered::incrementAndGet);
      writer.permits.release();
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> delivered.get() == 1);
      exporter.export(killAt(50, 1_500, "held"), delivered::incrementAndGet);
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> writer.permits.hasQueuedThreads());
      exporter.export(killAt(1, 2_000, "repeat"), delivered::incrementAndGet);
      for (int i = 0; i < 10; i++) {
        exporter.export(killAt(100 + i, 3_000 + i, "new-" + i), delivered::incrementAndGet);
      }
      writer.permits.release(12);
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> delivered.get() == 13);
      assertThat(writer.written.indexOf("repeat"))
          .as("after at most four firsts in a row")
          .isLessThanOrEqualTo(2 + KubernetesExporter.MAX_FIRSTS_IN_A_ROW);
    }
  }
}
