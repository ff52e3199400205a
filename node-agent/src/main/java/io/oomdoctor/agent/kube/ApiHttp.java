package io.oomdoctor.agent.kube;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * HTTP/1.1 to the API server over a plain or TLS socket: one request per connection, and the
 * WebSocket a watch streams its events on (RFC 6455, client side).
 *
 * <p>The agent makes three kinds of call — create an OomKill, list its node's pods, watch them — so
 * it speaks this much HTTP itself: the JDK's HTTP client loads some 400 classes and three threads
 * into every node's agent for them (docs/benchmarks.md). TLS is the JDK's, with the host name
 * checked against the server's certificate as HTTPS does.
 */
final class ApiHttp {
  /** Largest response or WebSocket message read (the API server caps an object at 1.5 MiB). */
  static final int MAX_BODY = 16 << 20;

  private static final String WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  private static final int CONNECT_TIMEOUT_MS = 10_000;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String scheme;
  private final String host;
  private final int port;
  private final SSLContext tls;

  /**
   * @param tls the trust (and client keys) for an https address; null for a plain http one
   */
  ApiHttp(String baseUrl, SSLContext tls) {
    URI u = URI.create(baseUrl);
    this.scheme = u.getScheme() == null ? "http" : u.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("not an http(s) address: " + baseUrl);
    }
    String h = u.getHost();
    if (h == null) {
      throw new IllegalArgumentException("no host in " + baseUrl);
    }
    this.host = h.startsWith("[") ? h.substring(1, h.length() - 1) : h;
    this.port = u.getPort() > 0 ? u.getPort() : scheme.equals("https") ? 443 : 80;
    if (scheme.equals("https") && tls == null) {
      throw new IllegalArgumentException("no TLS set up for " + baseUrl);
    }
    this.tls = tls;
  }

  /** Closes the connections of requests that outlive their deadline. */
  private static final ScheduledExecutorService DEADLINES =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "http-deadlines");
            t.setDaemon(true);
            return t;
          });

  /**
   * Sends one request and reads the whole response, within {@code timeoutMs} for each read and
   * twice that for the whole exchange: a server that trickles its answer cannot hold the caller.
   */
  KubeConnection.Response exchange(
      String method, String path, String authorization, String jsonBody, int timeoutMs)
      throws IOException {
    Connection c = connect(timeoutMs);
    long deadlineMs = 2L * timeoutMs;
    ScheduledFuture<?> guard = DEADLINES.schedule(c::drop, deadlineMs, TimeUnit.MILLISECONDS);
    try {
      return exchange(c, method, path, authorization, jsonBody);
    } catch (IOException e) {
      if (guard.isDone()) {
        throw new SocketTimeoutException(
            method + " " + path + ": no whole answer within " + deadlineMs + " ms");
      }
      throw e;
    } finally {
      guard.cancel(false);
    }
  }

  private KubeConnection.Response exchange(
      Connection c, String method, String path, String authorization, String jsonBody)
      throws IOException {
    try (Socket s = c.socket()) {
      byte[] body = jsonBody == null ? null : jsonBody.getBytes(StandardCharsets.UTF_8);
      StringBuilder head = requestHead(method, path, authorization);
      head.append("Accept: application/json\r\n");
      if (body != null) {
        head.append("Content-Type: application/json\r\n");
        head.append("Content-Length: ").append(body.length).append("\r\n");
      } else if (!method.equals("GET")) {
        head.append("Content-Length: 0\r\n");
      }
      head.append("Connection: close\r\n\r\n");
      OutputStream out = s.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      if (body != null) {
        out.write(body);
      }
      out.flush();
      InputStream in = new BufferedInputStream(s.getInputStream(), 8192);
      int status = statusLine(in);
      Map<String, String> headers = headers(in);
      return new KubeConnection.Response(
          status, new String(body(in, headers), StandardCharsets.UTF_8));
    }
  }

  /**
   * Opens a WebSocket on {@code path} (the API server streams watch events on it as text messages).
   * A read that waits longer than {@code idleTimeoutMs} fails, so a connection lost without a word
   * is noticed.
   */
  WebSocket webSocket(String path, String authorization, int idleTimeoutMs) throws IOException {
    Connection c = connect(CONNECT_TIMEOUT_MS);
    Socket s = c.socket();
    try {
      byte[] nonce = new byte[16];
      RANDOM.nextBytes(nonce);
      String key = Base64.getEncoder().encodeToString(nonce);
      StringBuilder head = requestHead("GET", path, authorization);
      // The API server serves watches with Go's x/net/websocket handler, which refuses a handshake
      // without an Origin ("null origin", 403).
      head.append("Origin: ")
          .append(scheme)
          .append("://")
          .append(hostAndPort())
          .append("\r\n")
          .append("Upgrade: websocket\r\n")
          .append("Connection: Upgrade\r\n")
          .append("Sec-WebSocket-Key: ")
          .append(key)
          .append("\r\n")
          .append("Sec-WebSocket-Version: 13\r\n\r\n");
      OutputStream out = s.getOutputStream();
      InputStream in = new BufferedInputStream(s.getInputStream(), 8192);
      Map<String, String> headers = open(out, in, head, 101);
      if (!accept(key).equals(headers.get("sec-websocket-accept"))) {
        throw new IOException("the server did not accept the WebSocket handshake");
      }
      s.setSoTimeout(idleTimeoutMs);
      return new WebSocket(c, in, out);
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  /**
   * Opens a watch as a plain HTTP stream (newline-delimited JSON events in a chunked or
   * to-the-close body), the way most Kubernetes clients watch.
   */
  KubeConnection.WatchStream stream(String path, String authorization, int idleTimeoutMs)
      throws IOException {
    Connection c = connect(CONNECT_TIMEOUT_MS);
    Socket s = c.socket();
    try {
      StringBuilder head = requestHead("GET", path, authorization);
      head.append("Accept: application/json\r\nConnection: close\r\n\r\n");
      InputStream in = new BufferedInputStream(s.getInputStream(), 8192);
      Map<String, String> headers = open(s.getOutputStream(), in, head, 200);
      s.setSoTimeout(idleTimeoutMs);
      return new EventStream(c, isChunked(headers) ? new Chunked(in, Long.MAX_VALUE) : in);
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  /** The events of a streamed watch: one JSON object per line of the (decoded) body. */
  static final class EventStream implements KubeConnection.WatchStream {
    private final Connection connection;
    private final InputStream body;

    private EventStream(Connection connection, InputStream body) {
      this.connection = connection;
      this.body = body;
    }

    @Override
    public String next() throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream(1024);
      while (true) {
        int b = body.read();
        if (b < 0) {
          // The server ended the watch; a last event without its newline still counts.
          return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
        }
        if (b == '\n') {
          if (line.size() > 0) {
            return line.toString(StandardCharsets.UTF_8);
          }
          continue; // blank line between events
        }
        if (line.size() >= MAX_BODY) {
          throw new IOException("watch event larger than " + MAX_BODY + " bytes");
        }
        line.write(b);
      }
    }

    /** Drops the connection, so that a {@link #next()} blocked in another thread returns. */
    @Override
    public void close() {
      connection.drop();
    }
  }

  /**
   * Sends a request head that opens a stream and reads the answer's headers; any status but {@code
   * expected} is an {@link HttpStatusException} with what the server said.
   */
  private static Map<String, String> open(
      OutputStream out, InputStream in, CharSequence head, int expected) throws IOException {
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    int status = statusLine(in);
    Map<String, String> headers = headers(in);
    if (status != expected) {
      String body = "";
      try {
        body = new String(body(in, headers), StandardCharsets.UTF_8);
      } catch (IOException e) {
        // the status says enough
      }
      throw new HttpStatusException(status, body);
    }
    return headers;
  }

  /** An answer other than the one that opens the stream (101 for a WebSocket, 200 for a watch). */
  static final class HttpStatusException extends IOException {
    final int status;

    HttpStatusException(int status, String body) {
      super(
          "HTTP "
              + status
              + (body == null || body.isBlank()
                  ? ""
                  : ": " + (body.length() > 300 ? body.substring(0, 300) + "..." : body)));
      this.status = status;
    }
  }

  /** The client end of a WebSocket: reads text messages, answers pings, closes. */
  static final class WebSocket implements KubeConnection.WatchStream {
    private final Connection connection;
    private final InputStream in;
    private final OutputStream out;
    private volatile boolean closed;

    private WebSocket(Connection connection, InputStream in, OutputStream out) {
      this.connection = connection;
      this.in = in;
      this.out = out;
    }

    /**
     * The next text (or binary, as UTF-8) message, or null when the server closed the socket.
     * Throws on a broken connection, a protocol error or {@link SocketTimeoutException}.
     */
    @Override
    public String next() throws IOException {
      ByteArrayOutputStream message = null;
      while (true) {
        int b0 = in.read();
        if (b0 < 0) {
          return null;
        }
        int b1 = read(in);
        boolean fin = (b0 & 0x80) != 0;
        int opcode = b0 & 0x0F;
        long len = b1 & 0x7F;
        if (len == 126) {
          len = (read(in) << 8) | read(in);
        } else if (len == 127) {
          len = 0;
          for (int i = 0; i < 8; i++) {
            len = (len << 8) | read(in);
          }
        }
        byte[] mask = null;
        if ((b1 & 0x80) != 0) {
          mask = readFully(in, 4);
        }
        if (len < 0 || len > MAX_BODY) {
          throw new IOException("WebSocket frame of " + len + " bytes is too large");
        }
        byte[] payload = readFully(in, (int) len);
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
            if (message.size() + payload.length > MAX_BODY) {
              throw new IOException("WebSocket message larger than " + MAX_BODY + " bytes");
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
  }

  /** A connected socket (TLS when the address is https) and the TCP socket under it. */
  private record Connection(Socket socket, Socket tcp) {
    /**
     * Closes the TCP socket itself, so that a read blocked in another thread returns at once, TLS
     * or not; then the socket over it.
     */
    void drop() {
      try {
        tcp.close();
        socket.close();
      } catch (IOException e) {
        // nothing left to release
      }
    }
  }

  private Connection connect(int readTimeoutMs) throws IOException {
    Socket plain = new Socket();
    try {
      plain.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
      plain.setSoTimeout(readTimeoutMs);
      if (!scheme.equals("https")) {
        return new Connection(plain, plain);
      }
      SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(plain, host, port, true);
      SSLParameters p = s.getSSLParameters();
      p.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name this host
      s.setSSLParameters(p);
      s.startHandshake();
      return new Connection(s, plain);
    } catch (IOException | RuntimeException e) {
      plain.close();
      throw e;
    }
  }

  private StringBuilder requestHead(String method, String path, String authorization) {
    StringBuilder head = new StringBuilder(256);
    head.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
    head.append("Host: ").append(hostAndPort()).append("\r\n");
    head.append("User-Agent: oomdoctor-agent\r\n");
    if (authorization != null) {
      head.append("Authorization: ").append(authorization).append("\r\n");
    }
    return head;
  }

  private String hostAndPort() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

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

  /** "HTTP/1.1 200 OK" → 200 (interim 1xx answers other than 101 are skipped). */
  private static int statusLine(InputStream in) throws IOException {
    while (true) {
      String line = line(in);
      if (line == null) {
        throw new EOFException("the server closed the connection without answering");
      }
      String[] parts = line.split(" ", 3);
      if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
        throw new IOException("not an HTTP response: " + abbreviate(line));
      }
      int status;
      try {
        status = Integer.parseInt(parts[1]);
      } catch (NumberFormatException e) {
        throw new IOException("not an HTTP status: " + abbreviate(line));
      }
      if (status >= 200 || status == 101) {
        return status;
      }
      headers(in); // 100 Continue and the like
    }
  }

  /** Header lines up to the empty one, names in lower case. */
  private static Map<String, String> headers(InputStream in) throws IOException {
    Map<String, String> h = new LinkedHashMap<>();
    String line;
    int count = 0;
    while ((line = line(in)) != null && !line.isEmpty()) {
      if (++count > 200) {
        throw new IOException("more than 200 response headers");
      }
      int colon = line.indexOf(':');
      if (colon > 0) {
        h.put(
            line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
            line.substring(colon + 1).trim());
      }
    }
    if (line == null) {
      throw new EOFException("the response ended inside its headers");
    }
    return h;
  }

  private static byte[] body(InputStream in, Map<String, String> headers) throws IOException {
    if (isChunked(headers)) {
      return readToEnd(new Chunked(in, MAX_BODY));
    }
    String cl = headers.get("content-length");
    if (cl != null) {
      long n;
      try {
        n = Long.parseLong(cl.trim());
      } catch (NumberFormatException e) {
        throw new IOException("bad Content-Length: " + abbreviate(cl));
      }
      if (n < 0 || n > MAX_BODY) {
        throw new IOException("response of " + n + " bytes is too large");
      }
      return readFully(in, (int) n);
    }
    return readToEnd(in); // to the end of the connection
  }

  private static byte[] readToEnd(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    byte[] buf = new byte[8192];
    int r;
    while ((r = in.read(buf)) > 0) {
      if (out.size() + r > MAX_BODY) {
        throw new IOException("response larger than " + MAX_BODY + " bytes");
      }
      out.write(buf, 0, r);
    }
    return out.toByteArray();
  }

  private static boolean isChunked(Map<String, String> headers) {
    String te = headers.get("transfer-encoding");
    return te != null && te.toLowerCase(Locale.ROOT).contains("chunked");
  }

  /**
   * A chunked body, decoded: it ends at the last chunk, whose trailers are read with it. A chunk
   * that would take the body past its cap is refused before it is read.
   */
  private static final class Chunked extends InputStream {
    private final InputStream in;
    private final long cap;
    private long left;
    private long total;
    private boolean started;
    private boolean ended;

    /**
     * @param cap the most the whole body may hold: {@link #MAX_BODY} for a response; none for a
     *     watch, whose events are capped one by one
     */
    Chunked(InputStream in, long cap) {
      this.in = in;
      this.cap = cap;
    }

    @Override
    public int read() throws IOException {
      if (!inChunk()) {
        return -1;
      }
      int b = in.read();
      if (b < 0) {
        throw new EOFException("the response ended inside a chunk");
      }
      left--;
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (!inChunk()) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n < 0) {
        throw new EOFException("the response ended inside a chunk");
      }
      left -= n;
      return n;
    }

    /** Moves to the next chunk when this one is read; false at the end of the body. */
    private boolean inChunk() throws IOException {
      if (ended) {
        return false;
      }
      if (left > 0) {
        return true;
      }
      if (started) {
        line(in); // the CRLF after the previous chunk's data
      }
      started = true;
      String sizeLine = line(in);
      if (sizeLine == null) {
        throw new EOFException("the response ended inside a chunk");
      }
      int semi = sizeLine.indexOf(';');
      try {
        left = Long.parseLong((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
      } catch (NumberFormatException e) {
        throw new IOException("bad chunk size: " + abbreviate(sizeLine));
      }
      if (left < 0 || left > cap - total) {
        throw new IOException("response larger than " + cap + " bytes");
      }
      total += left;
      if (left == 0) {
        headers(in); // trailers
        ended = true;
        return false;
      }
      return true;
    }
  }

  /** A line ended by LF (CR dropped), or null at the end of the stream. */
  private static String line(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder(64);
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        int n = sb.length();
        if (n > 0 && sb.charAt(n - 1) == '\r') {
          sb.setLength(n - 1);
        }
        return sb.toString();
      }
      if (sb.length() >= 16384) {
        throw new IOException("response line longer than 16 KiB");
      }
      sb.append((char) c);
    }
    return sb.length() == 0 ? null : sb.toString();
  }

  private static int read(InputStream in) throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new EOFException("the connection ended inside a WebSocket frame");
    }
    return b;
  }

  private static byte[] readFully(InputStream in, int n) throws IOException {
    byte[] b = in.readNBytes(n);
    if (b.length < n) {
      throw new EOFException("the connection ended after " + b.length + " of " + n + " bytes");
    }
    return b;
  }

  private static String abbreviate(String s) {
    return s.length() <= 120 ? s : s.substring(0, 120) + "...";
  }
}
