package io.oomdoctor.agent.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.oomdoctor.agent.pod.PodWatcher;
import io.oomdoctor.agent.pod.PodWatcherTest;
import io.oomdoctor.testkit.MockApiServer;
import io.oomdoctor.testkit.TlsRelay;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The connection a pod makes: HTTPS to the service address, its token, only the cluster's CA. */
class KubeConnectionTest {
  @TempDir Path dir;

  @Test
  void inClusterOverTlsWithTheServiceAccountsTokenAndCa() throws Exception {
    try (MockApiServer api = MockApiServer.start();
        TlsRelay relay = new TlsRelay(api.port(), dir)) {
      Path sa = Files.createDirectories(dir.resolve("serviceaccount"));
      Files.copy(relay.caCertificate(), sa.resolve("ca.crt"));
      Files.writeString(sa.resolve("token"), "token-1\n");
      KubeConnection c = KubeConnection.inCluster("localhost", Integer.toString(relay.port()), sa);
      assertThat(c.baseUrl()).isEqualTo("https://localhost:" + relay.port());

      KubeConnection.Response r = c.send("GET", "/api/v1/namespaces/default/pods", null);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("\"items\"");

      // The list and the WebSocket watch both go through TLS.
      api.client()
          .resource(PodWatcherTest.pod("web-1", "node-a", "c0ffee00000000000000000000000001"))
          .create();
      PodWatcher watcher = new PodWatcher(c, "node-a", false);
      Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> watcher.size() == 1);
      api.client()
          .resource(PodWatcherTest.pod("web-2", "node-a", "c0ffee00000000000000000000000002"))
          .create();
      Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> watcher.size() == 2);
      // Closing while the watch waits on the TLS socket: the read is cut, not waited out.
      long start = System.nanoTime();
      watcher.close();
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
    }
  }

  @Test
  void aServerWithAnotherCertificateIsRefused() throws Exception {
    try (MockApiServer api = MockApiServer.start();
        TlsRelay relay = new TlsRelay(api.port(), dir)) {
      Path other = Files.createDirectories(dir.resolve("other"));
      try (TlsRelay stranger = new TlsRelay(api.port(), other)) {
        Path sa = Files.createDirectories(dir.resolve("sa"));
        Files.copy(stranger.caCertificate(), sa.resolve("ca.crt"));
        Files.writeString(sa.resolve("token"), "t");
        KubeConnection c =
            KubeConnection.inCluster("localhost", Integer.toString(relay.port()), sa);
        assertThatThrownBy(() -> c.send("GET", "/api/v1/pods", null))
            .isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
      }
    }
  }

  @Test
  void aRotatedTokenIsReadAgainAfter401() throws Exception {
    Path sa = Files.createDirectories(dir.resolve("rotating"));
    Files.writeString(sa.resolve("token"), "token-1\n");
    try (ScriptedServer server =
        new ScriptedServer(
            request ->
                request.contains("Authorization: Bearer token-2\r\n")
                    ? ScriptedServer.json(200, "{\"kind\":\"PodList\",\"items\":[]}")
                    : ScriptedServer.json(401, "{\"kind\":\"Status\",\"code\":401}"))) {
      KubeConnection c =
          KubeConnection.fromToken("http://127.0.0.1:" + server.port(), sa.resolve("token"));
      Files.writeString(sa.resolve("token"), "token-2\n"); // the kubelet rotated it
      KubeConnection.Response r = c.send("GET", "/api/v1/pods", null);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(server.requests()).hasSize(2);
      assertThat(server.requests().get(0)).contains("Authorization: Bearer token-1\r\n");
      assertThat(server.requests().get(1)).contains("Authorization: Bearer token-2\r\n");
    }
  }

  @Test
  void aServerThatRefusesWebSocketIsWatchedAsAStream() throws Exception {
    byte[] events =
        ScriptedServer.ascii(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + ScriptedServer.chunk("{\"type\":\"ADDED\"}\n", "")
                + "0\r\n\r\n");
    try (ScriptedServer server =
        new ScriptedServer(
            request ->
                request.contains("Upgrade: websocket")
                    ? ScriptedServer.json(400, "{\"message\":\"websocket not supported\"}")
                    : events)) {
      KubeConnection c = KubeConnection.forUrl("http://127.0.0.1:" + server.port());
      try (KubeConnection.WatchStream w = c.watch("/api/v1/pods?watch=true")) {
        assertThat(w.next()).isEqualTo("{\"type\":\"ADDED\"}");
        assertThat(w.next()).isNull();
      }
      try (KubeConnection.WatchStream w = c.watch("/api/v1/pods?watch=true")) {
        assertThat(w.next()).isEqualTo("{\"type\":\"ADDED\"}");
      }
      assertThat(server.requests()).hasSize(3);
      assertThat(server.requests().get(2))
          .as("once streamed, no more upgrade attempts")
          .doesNotContain("Upgrade");
    }
  }

  @Test
  void aMissingCaIsAClearError() {
    assertThatThrownBy(() -> KubeConnection.inCluster("localhost", "443", dir))
        .hasMessageContaining("cannot load the cluster CA from");
  }
}
