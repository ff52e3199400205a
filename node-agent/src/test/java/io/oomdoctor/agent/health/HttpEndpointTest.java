package io.oomdoctor.agent.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.common.HttpEndpoint;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The probes' endpoint tells the truth, and a silent client cannot starve it. */
class HttpEndpointTest {
  record Answer(int code, String body) {}

  static Answer get(int port, String path) throws Exception {
    HttpURLConnection c =
        (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL().openConnection();
    c.setConnectTimeout(2000);
    c.setReadTimeout(2000); // the kubelet's probe timeout is one second by default
    int code = c.getResponseCode();
    try (InputStream in = code < 400 ? c.getInputStream() : c.getErrorStream()) {
      return new Answer(code, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void silentClientsDoNotBlockTheProbes() throws Exception {
    List<Socket> silent = new ArrayList<>();
    try (HttpEndpoint http = new HttpEndpoint(0, () -> "m 1\n", () -> true)) {
      for (int i = 0; i < 3; i++) {
        Socket s = new Socket("127.0.0.1", http.port()); // connects, never sends a request
        silent.add(s);
      }
      Socket half = new Socket("127.0.0.1", http.port());
      half.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n".getBytes()); // no end
      silent.add(half);
      for (int i = 0; i < 5; i++) {
        assertThat(get(http.port(), "/healthz")).isEqualTo(new Answer(200, "ok\n"));
        assertThat(get(http.port(), "/readyz").code()).isEqualTo(200);
      }
    } finally {
      for (Socket s : silent) {
        s.close();
      }
    }
  }

  @Test
  void healthFailsWithTheReasonWhenAPartStopsMakingProgress() throws Exception {
    AtomicReference<String> problem = new AtomicReference<>();
    try (HttpEndpoint http = new HttpEndpoint(0, () -> "", () -> true, problem::get)) {
      assertThat(get(http.port(), "/healthz").code()).isEqualTo(200);
      problem.set("no memory sampling pass for 95 s");
      assertThat(get(http.port(), "/healthz"))
          .isEqualTo(new Answer(503, "no memory sampling pass for 95 s\n"));
    }
  }
}
