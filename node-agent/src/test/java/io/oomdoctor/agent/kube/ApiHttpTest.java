package io.oomdoctor.agent.kube;

import static io.oomdoctor.agent.kube.ScriptedServer.ascii;
import static io.oomdoctor.agent.kube.ScriptedServer.concat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The agent's HTTP/1.1 and WebSocket client on the wire, byte for byte. */
class ApiHttpTest {
  private static ApiHttp http(ScriptedServer s) {
    return new ApiHttp("http://127.0.0.1:" + s.port(), null);
  }

  @Test
  void aPostSendsItsJsonWithLengthAndAuthorization() throws Exception {
    try (ScriptedServer s = new ScriptedServer(r -> ScriptedServer.json(201, "{\"ok\":true}"))) {
      KubeConnection.Response r =
          http(s).exchange("POST", "/apis/x", "Bearer t", "{\"name\":\"µ\"}", 5000);
      assertThat(r.statusCode()).isEqualTo(201);
      assertThat(r.body()).isEqualTo("{\"ok\":true}");
      String req = s.requests().get(0);
      assertThat(req)
          .startsWith("POST /apis/x HTTP/1.1\r\n")
          .contains("Host: 127.0.0.1:" + s.port() + "\r\n")
          .contains("Authorization: Bearer t\r\n")
          .contains("Content-Type: application/json\r\n")
          .contains("Content-Length: 13\r\n") // µ is two bytes in UTF-8
          .endsWith("\r\n\r\n{\"name\":\"µ\"}");
    }
  }

  @Test
  void chunkedBodiesWithExtensionsAndTrailersAreJoined() throws Exception {
    byte[] reply =
        ascii(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;ext=1\r\n{\"a\":\r\n"
                + "3\r\n42}\r\n"
                + "0\r\nX-Trailer: y\r\n\r\n");
    try (ScriptedServer s = new ScriptedServer(r -> reply)) {
      assertThat(http(s).exchange("GET", "/", null, null, 5000).body()).isEqualTo("{\"a\":42}");
    }
  }

  @Test
  void aBodyWithoutLengthRunsToTheEndOfTheConnectionAndInterimAnswersAreSkipped() throws Exception {
    byte[] reply =
        ascii("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\n\r\n{\"code\":404}");
    try (ScriptedServer s = new ScriptedServer(r -> reply)) {
      KubeConnection.Response r = http(s).exchange("GET", "/", null, null, 5000);
      assertThat(r.statusCode()).isEqualTo(404);
      assertThat(r.body()).isEqualTo("{\"code\":404}");
    }
  }

  @Test
  void garbledAndOversizedResponsesAreClearErrors() throws Exception {
    try (ScriptedServer s = new ScriptedServer(r -> ascii("SSH-2.0-OpenSSH_9.2\r\n"))) {
      assertThatThrownBy(() -> http(s).exchange("GET", "/", null, null, 5000))
          .isInstanceOf(IOException.class)
          .hasMessage("not an HTTP response: SSH-2.0-OpenSSH_9.2");
    }
    try (ScriptedServer s =
        new ScriptedServer(r -> ascii("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n"))) {
      assertThatThrownBy(() -> http(s).exchange("GET", "/", null, null, 5000))
          .hasMessage("response of 99999999999 bytes is too large");
    }
    try (ScriptedServer s =
        new ScriptedServer(
            r ->
                ascii(
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + ScriptedServer.chunk("{}", "")
                        + "1000000\r\n"))) { // a 16 MiB chunk after 2 bytes
      assertThatThrownBy(() -> http(s).exchange("GET", "/", null, null, 5000))
          .hasMessage("response larger than 16777216 bytes");
    }
    try (ScriptedServer s =
        new ScriptedServer(r -> ascii("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"))) {
      assertThatThrownBy(() -> http(s).exchange("GET", "/", null, null, 5000))
          .hasMessage("the connection ended after 5 of 10 bytes");
    }
    try (ScriptedServer s = new ScriptedServer(r -> new byte[0])) {
      assertThatThrownBy(() -> http(s).exchange("GET", "/", null, null, 5000))
          .hasMessage("the server closed the connection without answering");
    }
  }

  @Test
  void theWebSocketAcceptValueIsTheRfcs() {
    assertThat(WebSocketStream.accept("dGhlIHNhbXBsZSBub25jZQ=="))
        .isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  }

  @Test
  void aWebSocketReadsFragmentedAndLongMessagesAnswersPingsAndEndsOnClose() throws Exception {
    String longText = "{\"type\":\"ADDED\",\"object\":\"" + "x".repeat(300) + "\"}";
    byte[] longBytes = longText.getBytes(StandardCharsets.UTF_8);
    byte[] frames =
        concat(
            new byte[] {(byte) 0x89, 2, 'h', 'i'}, // ping
            new byte[] {0x01, 3}, // text, not final
            ascii("{\"a"),
            new byte[] {(byte) 0x80, 4}, // continuation, final
            ascii("\":1}"),
            new byte[] {(byte) 0x81, 126, (byte) (longBytes.length >> 8), (byte) longBytes.length},
            longBytes,
            new byte[] {(byte) 0x88, 2, 0x03, (byte) 0xE8}); // close 1000
    try (ScriptedServer s =
        new ScriptedServer(r -> new ScriptedServer.Reply(switching(r, frames), true), true)) {
      WebSocketStream ws = http(s).webSocket("/api/v1/pods?watch=true", "Bearer t", 5000);
      assertThat(ws.next()).isEqualTo("{\"a\":1}");
      byte[] pong = s.readFromClient(8); // FIN|pong, MASK|2, mask key, masked "hi"
      assertThat(pong[0] & 0xFF).isEqualTo(0x8A);
      assertThat(pong[1] & 0xFF).as("a client frame is masked").isEqualTo(0x82);
      assertThat(new byte[] {(byte) (pong[6] ^ pong[2]), (byte) (pong[7] ^ pong[3])})
          .isEqualTo(ascii("hi"));
      assertThat(ws.next()).isEqualTo(longText);
      assertThat(ws.next()).as("closed by the server").isNull();
      ws.close();
      assertThat(s.requests().get(0))
          .startsWith("GET /api/v1/pods?watch=true HTTP/1.1\r\n")
          .contains("Upgrade: websocket\r\n")
          .as("the API server's WebSocket handler refuses a handshake without an Origin")
          .contains("Origin: http://127.0.0.1:" + s.port() + "\r\n")
          .contains("Sec-WebSocket-Version: 13\r\n")
          .contains("Authorization: Bearer t\r\n");
    }
  }

  @Test
  void aRefusedOrForgedHandshakeIsAnError() throws Exception {
    try (ScriptedServer s =
        new ScriptedServer(r -> ScriptedServer.json(403, "{\"reason\":\"Forbidden\"}"))) {
      assertThatThrownBy(() -> http(s).webSocket("/w", null, 5000))
          .isInstanceOfSatisfying(
              HttpFraming.HttpStatusException.class, e -> assertThat(e.status).isEqualTo(403))
          .hasMessageContaining("Forbidden");
    }
    try (ScriptedServer s =
        new ScriptedServer(
            r ->
                ascii(
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                        + "Sec-WebSocket-Accept: wrong\r\n\r\n"))) {
      assertThatThrownBy(() -> http(s).webSocket("/w", null, 5000))
          .hasMessage("the server did not accept the WebSocket handshake");
    }
  }

  @Test
  void aFrameTooLargeForTheAgentIsRefusedWithoutReadingIt() throws Exception {
    byte[] huge = new byte[] {(byte) 0x81, 127, 0, 0, 0, 1, 0, 0, 0, 0}; // 4 GiB
    try (ScriptedServer s =
        new ScriptedServer(r -> new ScriptedServer.Reply(switching(r, huge), true), true)) {
      WebSocketStream ws = http(s).webSocket("/w", null, 5000);
      assertThatThrownBy(ws::next).hasMessage("WebSocket frame of 4294967296 bytes is too large");
      ws.close();
    }
  }

  @Test
  void aStreamedWatchReadsOneEventPerLineAcrossChunks() throws Exception {
    byte[] reply =
        ascii(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + ScriptedServer.chunk("{\"type\":\"ADD", "") // part of an event
                + ScriptedServer.chunk("ED\"}\n\n", ";x=y") // its end, and a blank line
                + ScriptedServer.chunk("{\"type\":\"BOOK\"}", "") // without its newline...
                + ScriptedServer.chunk("\n", "") // ...which comes in the next chunk
                + "0\r\n\r\n");
    try (ScriptedServer s = new ScriptedServer(r -> reply)) {
      KubeConnection.WatchStream w = http(s).stream("/api/v1/pods?watch=true", "Bearer t", 5000);
      assertThat(w.next()).isEqualTo("{\"type\":\"ADDED\"}");
      assertThat(w.next()).isEqualTo("{\"type\":\"BOOK\"}");
      assertThat(w.next()).as("the server ended the watch").isNull();
      w.close();
      assertThat(s.requests().get(0))
          .startsWith("GET /api/v1/pods?watch=true HTTP/1.1\r\n")
          .doesNotContain("Upgrade");
    }
  }

  @Test
  void aStreamedWatchWithoutChunksEndsWithTheConnection() throws Exception {
    byte[] reply = ascii("HTTP/1.1 200 OK\r\n\r\n{\"a\":1}\n{\"a\":2}");
    try (ScriptedServer s = new ScriptedServer(r -> reply)) {
      KubeConnection.WatchStream w = http(s).stream("/w", null, 5000);
      assertThat(w.next()).isEqualTo("{\"a\":1}");
      assertThat(w.next()).as("the last event, cut by the close").isEqualTo("{\"a\":2}");
      assertThat(w.next()).isNull();
      w.close();
    }
    try (ScriptedServer s =
        new ScriptedServer(r -> ScriptedServer.json(410, "{\"reason\":\"Expired\"}"))) {
      assertThatThrownBy(() -> http(s).stream("/w", null, 5000))
          .isInstanceOfSatisfying(
              HttpFraming.HttpStatusException.class, e -> assertThat(e.status).isEqualTo(410));
    }
  }

  /** A 101 answer to the request's key, followed by {@code frames}. */
  private static byte[] switching(String request, byte[] frames) {
    String key =
        Arrays.stream(request.split("\r\n"))
            .filter(l -> l.startsWith("Sec-WebSocket-Key: "))
            .findFirst()
            .orElseThrow()
            .substring("Sec-WebSocket-Key: ".length());
    return concat(
        ascii(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: "
                + WebSocketStream.accept(key)
                + "\r\n\r\n"),
        frames);
  }
}
