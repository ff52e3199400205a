package io.oomdoctor.agent.kube;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The client end of a WebSocket (RFC 6455), as the API server streams a watch on it: reads text
 * messages (bounded at {@link HttpFraming#HttpFraming.MAX_BODY}), answers pings, closes; every
 * frame it sends is masked.
 */
final class WebSocketStream implements KubeConnection.WatchStream {
  private static final String WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final ApiHttp.Connection connection;
  private final InputStream in;
  private final OutputStream out;
  private volatile boolean closed;

  WebSocketStream(ApiHttp.Connection connection, InputStream in, OutputStream out) {
    this.connection = connection;
    this.in = in;
    this.out = out;
  }

  /**
   * The next text (or binary, as UTF-8) message, or null when the server closed the socket. Throws
   * on a broken connection, a protocol error or {@link SocketTimeoutException}.
   */
  @Override
  public String next() throws IOException {
    ByteArrayOutputStream message = null;
    while (true) {
      int b0 = in.read();
      if (b0 < 0) {
        return null;
      }
      int b1 = HttpFraming.read(in);
      boolean fin = (b0 & 0x80) != 0;
      int opcode = b0 & 0x0F;
      long len = b1 & 0x7F;
      if (len == 126) {
        len = (HttpFraming.read(in) << 8) | HttpFraming.read(in);
      } else if (len == 127) {
        len = 0;
        for (int i = 0; i < 8; i++) {
          len = (len << 8) | HttpFraming.read(in);
        }
      }
      byte[] mask = null;
      if ((b1 & 0x80) != 0) {
        mask = HttpFraming.readFully(in, 4);
      }
      if (len < 0 || len > HttpFraming.MAX_BODY) {
        throw new IOException("WebSocket frame of " + len + " bytes is too large");
      }
      byte[] payload = HttpFraming.readFully(in, (int) len);
      if (mask != null) {
        for (int i = 0; i < payload.length; i++) {
          payload[i] ^= mask[i & 3];
        }
      }
      switch (opcode) {
        case 0x8 -> { // close: answer and end
          send(0x8, payload.length >= 2 ? new byte[] {payload[0], payload[1]} : new byte[0]);
          return null;
        }
        case 0x9 -> send(0xA, payload); // ping
        case 0xA -> {} // pong
        case 0x0, 0x1, 0x2 -> {
          if (opcode != 0 && message != null) {
            throw new IOException("WebSocket message started inside another");
          }
          if (message == null) {
            if (opcode == 0) {
              throw new IOException("WebSocket continuation without a message");
            }
            message = new ByteArrayOutputStream(Math.max(256, payload.length));
          }
          if (message.size() + payload.length > HttpFraming.MAX_BODY) {
            throw new IOException(
                "WebSocket message larger than " + HttpFraming.MAX_BODY + " bytes");
          }
          message.write(payload);
          if (fin) {
            return message.toString(StandardCharsets.UTF_8);
          }
        }
        default -> throw new IOException("unknown WebSocket opcode " + opcode);
      }
    }
  }

  /** A client frame: always masked (RFC 6455 5.3). */
  private synchronized void send(int opcode, byte[] payload) throws IOException {
    if (closed) {
      return;
    }
    byte[] mask = new byte[4];
    RANDOM.nextBytes(mask);
    ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
    f.write(0x80 | opcode);
    if (payload.length < 126) {
      f.write(0x80 | payload.length);
    } else {
      f.write(0x80 | 126);
      f.write(payload.length >>> 8);
      f.write(payload.length);
    }
    f.write(mask);
    for (int i = 0; i < payload.length; i++) {
      f.write(payload[i] ^ mask[i & 3]);
    }
    out.write(f.toByteArray());
    out.flush();
  }

  /** Sends a normal close and drops the connection (a blocked {@link #next()} returns). */
  @Override
  public void close() {
    try {
      send(0x8, new byte[] {0x03, (byte) 0xE8}); // 1000 normal closure
    } catch (IOException | RuntimeException e) {
      // the connection is already gone
    }
    closed = true;
    connection.drop();
  }

  /** The Sec-WebSocket-Accept a server must answer to {@code key} (RFC 6455 4.2.2). */
  static String accept(String key) {
    try {
      byte[] sha1 =
          MessageDigest.getInstance("SHA-1")
              .digest((key + WEBSOCKET_GUID).getBytes(StandardCharsets.ISO_8859_1));
      return Base64.getEncoder().encodeToString(sha1);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is missing from this JDK", e);
    }
  }
}
