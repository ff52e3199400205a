package io.oomdoctor.agent.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Under an OOM storm the agent creates OomKills back to back: a TLS handshake per create costs more
 * CPU than the create. A connection is kept for the next request when the answer allows, and one
 * the server closed while idle is replaced without the caller seeing it.
 */
class ApiHttpKeepAliveTest {
  /** Answers requests on a connection until it has answered {@code perConnection} of them. */
  static final class KeepAliveServer implements AutoCloseable {
    final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger requests = new AtomicInteger();

    KeepAliveServer(int perConnection, String connectionHeader) throws IOException {
      Thread t =
          new Thread(
              () -> {
                while (!socket.isClosed()) {
                  try (Socket s = socket.accept()) {
                    connections.incrementAndGet();
                    InputStream in = new BufferedInputStream(s.getInputStream());
                    OutputStream out = s.getOutputStream();
                    for (int i = 0; i < perConnection; i++) {
                      if (!readRequest(in)) {
                        break;
                      }
                      int n = requests.incrementAndGet();
                      byte[] body = ("{\"n\":" + n + "}").getBytes(StandardCharsets.UTF_8);
                      out.write(
                          ("HTTP/1.1 200 OK\r\nContent-Length: "
                                  + body.length
                                  + "\r\n"
                                  + connectionHeader
                                  + "\r\n")
                              .getBytes(StandardCharsets.ISO_8859_1));
                      out.write(body);
                      out.flush();
                    }
                  } catch (IOException e) {
                    // closed
                  }
                }
              },
              "keep-alive-server");
      t.setDaemon(true);
      t.start();
    }

    /** Reads one request, head and body; false at the end of the connection. */
    private static boolean readRequest(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int c;
      while ((c = in.read()) >= 0) {
        head.write(c);
        String h = head.toString(StandardCharsets.ISO_8859_1);
        if (h.endsWith("\r\n\r\n")) {
          for (String line : h.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
              in.readNBytes(Integer.parseInt(line.substring(15).trim()));
            }
          }
          return true;
        }
      }
      return false;
    }

    String url() {
      return "http://127.0.0.1:" + socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  @Test
  void requestsBackToBackShareOneConnection() throws Exception {
    try (KeepAliveServer s = new KeepAliveServer(1000, "")) {
      ApiHttp http = new ApiHttp(s.url(), null);
      for (int i = 1; i <= 20; i++) {
        KubeConnection.Response r = http.exchange("POST", "/apis/x", null, "{\"i\":1}", 5000);
        assertThat(r.body()).isEqualTo("{\"n\":" + i + "}");
      }
      assertThat(s.connections.get()).isEqualTo(1);
    }
  }

  @Test
  void aConnectionTheServerClosedWhileIdleIsReplacedUnseen() throws Exception {
    try (KeepAliveServer s = new KeepAliveServer(2, "")) {
      ApiHttp http = new ApiHttp(s.url(), null);
      for (int i = 1; i <= 7; i++) {
        assertThat(http.exchange("GET", "/api/v1/pods", null, null, 5000).statusCode())
            .isEqualTo(200);
      }
      assertThat(s.requests.get()).as("each request answered once").isEqualTo(7);
      assertThat(s.connections.get()).isEqualTo(4);
    }
  }

  @Test
  void anAnswerThatSaysCloseIsNotKept() throws Exception {
    try (KeepAliveServer s = new KeepAliveServer(1000, "Connection: close\r\n")) {
      ApiHttp http = new ApiHttp(s.url(), null);
      for (int i = 0; i < 3; i++) {
        http.exchange("GET", "/", null, null, 5000);
      }
      assertThat(s.connections.get()).isEqualTo(3);
    }
  }
}
