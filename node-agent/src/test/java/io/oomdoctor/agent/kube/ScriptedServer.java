package io.oomdoctor.agent.kube;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * An HTTP server that answers each connection's request (head and body as text) with the bytes a
 * test scripts, exactly as given: for the edge cases of the wire format that a real server rarely
 * shows (chunks, no length, interim answers, WebSocket frames).
 */
final class ScriptedServer implements AutoCloseable {
  private final ServerSocket socket;
  private final Thread thread;
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final List<Socket> open = new CopyOnWriteArrayList<>();

  /** A reply: the bytes to send, and whether to keep the connection open afterwards. */
  record Reply(byte[] bytes, boolean keepOpen) {}

  ScriptedServer(Function<String, byte[]> answer) throws IOException {
    this(r -> new Reply(answer.apply(r), false), true);
  }

  ScriptedServer(Function<String, Reply> answer, boolean unused) throws IOException {
    this.socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.thread =
        new Thread(
            () -> {
              while (!socket.isClosed()) {
                try {
                  Socket s = socket.accept();
                  String request = readRequest(s.getInputStream());
                  requests.add(request);
                  Reply reply = answer.apply(request);
                  if (reply.keepOpen()) {
                    open.add(s); // before the reply: the client may answer at once
                  }
                  OutputStream out = s.getOutputStream();
                  out.write(reply.bytes());
                  out.flush();
                  if (!reply.keepOpen()) {
                    s.close();
                  }
                } catch (IOException e) {
                  // closed
                }
              }
            },
            "scripted-http");
    thread.setDaemon(true);
    thread.start();
  }

  int port() {
    return socket.getLocalPort();
  }

  List<String> requests() {
    return requests;
  }

  /** The next {@code n} bytes the client sent on the last connection kept open. */
  byte[] readFromClient(int n) throws IOException {
    Socket s = open.get(open.size() - 1);
    s.setSoTimeout(5000);
    return s.getInputStream().readNBytes(n);
  }

  static byte[] json(int status, String body) {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    return concat(
        ("HTTP/1.1 "
                + status
                + " X\r\nContent-Type: application/json\r\nContent-Length: "
                + b.length
                + "\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1),
        b);
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** One chunk of a chunked body: its size in hex, the data, CRLF. */
  static String chunk(String data, String extension) {
    return Integer.toHexString(data.getBytes(StandardCharsets.UTF_8).length)
        + extension
        + "\r\n"
        + data
        + "\r\n";
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String readRequest(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int c;
    int state = 0;
    while (state < 4 && (c = in.read()) >= 0) {
      head.write(c);
      state =
          (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3))
              ? state + 1
              : 0;
    }
    String h = head.toString(StandardCharsets.ISO_8859_1);
    int at = h.toLowerCase().indexOf("content-length: ");
    if (at >= 0) {
      int n = Integer.parseInt(h.substring(at + 16, h.indexOf('\r', at)).trim());
      return h + new String(in.readNBytes(n), StandardCharsets.UTF_8);
    }
    return h;
  }

  @Override
  public void close() throws IOException {
    socket.close();
    for (Socket s : open) {
      s.close();
    }
  }
}
