package io.oomdoctor.agent.kube;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
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
 * HTTP/1.1 to the API server over a plain or TLS socket: connections (TLS, host name checked,
 * deadlines), up to two connections kept for the next request, and the opening of the two kinds of
 * watch stream — a {@link WebSocketStream} or an {@link EventStream}. The wire format itself is
 * {@link HttpFraming}.
 *
 * <p>The agent makes three kinds of call — create an OomKill, list its node's pods, watch them — so
 * it speaks this much HTTP itself: the JDK's HTTP client loads some 400 classes and three threads
 * into every node's agent for them (docs/benchmarks.md). TLS is the JDK's, with the host name
 * checked against the server's certificate as HTTPS does.
 */
final class ApiHttp {
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

  /** Idle connections kept for the next request, at most (the exporter's and the pod list's). */
  static final int MAX_IDLE = 2;

  /** An idle connection older than this is closed rather than used (servers close idle ones). */
  static final long IDLE_MS = 30_000;

  /** Connections kept open after a request, newest first, with the time they became idle. */
  private final java.util.Deque<Idle> idle = new java.util.ArrayDeque<>(MAX_IDLE);

  private record Idle(Connection connection, InputStream in, long sinceMs) {}

  /**
   * Sends one request and reads the whole response, within {@code timeoutMs} for each read and
   * twice that for the whole exchange: a server that trickles its answer cannot hold the caller.
   * The connection is kept for the next request when the answer allows (HTTP/1.1 keep-alive: no TLS
   * handshake per OomKill under a storm); a kept connection that the server closed meanwhile is
   * replaced by a new one, once, before any answer was read (every request the agent sends is safe
   * to repeat: a create is refused as a duplicate by name).
   */
  KubeConnection.Response exchange(
      String method, String path, String authorization, String jsonBody, int timeoutMs)
      throws IOException {
    Idle kept = takeIdle();
    if (kept != null) {
      try {
        kept.connection().socket().setSoTimeout(timeoutMs);
        return exchange(
            kept.connection(), kept.in(), method, path, authorization, jsonBody, timeoutMs);
      } catch (StaleConnection e) {
        // closed by the server while idle: a new connection below
      }
    }
    Connection c = connect(timeoutMs);
    try {
      return exchange(
          c,
          new BufferedInputStream(c.socket().getInputStream(), 8192),
          method,
          path,
          authorization,
          jsonBody,
          timeoutMs);
    } catch (StaleConnection e) {
      throw (IOException) e.getCause(); // a new connection: nothing to retry
    }
  }

  /** A kept connection that gave no answer at all: the server had closed it. */
  private static final class StaleConnection extends IOException {
    StaleConnection(IOException cause) {
      super(cause);
    }
  }

  private Idle takeIdle() {
    long now = System.currentTimeMillis();
    synchronized (idle) {
      Idle i;
      while ((i = idle.pollFirst()) != null) {
        if (now - i.sinceMs() < IDLE_MS && !i.connection().socket().isClosed()) {
          return i;
        }
        i.connection().drop();
      }
      return null;
    }
  }

  private void keep(Connection c, InputStream in) {
    synchronized (idle) {
      idle.addFirst(new Idle(c, in, System.currentTimeMillis()));
      while (idle.size() > MAX_IDLE) {
        idle.pollLast().connection().drop();
      }
    }
  }

  private KubeConnection.Response exchange(
      Connection c,
      InputStream in,
      String method,
      String path,
      String authorization,
      String jsonBody,
      int timeoutMs)
      throws IOException {
    long deadlineMs = 2L * timeoutMs;
    ScheduledFuture<?> guard = DEADLINES.schedule(c::drop, deadlineMs, TimeUnit.MILLISECONDS);
    boolean reusable = false;
    try {
      byte[] body = jsonBody == null ? null : jsonBody.getBytes(StandardCharsets.UTF_8);
      StringBuilder head = requestHead(method, path, authorization);
      head.append("Accept: application/json\r\n");
      if (body != null) {
        // The agent's only PATCH is a JSON patch (an OomRisk's spec replaced whole).
        head.append(
            method.equals("PATCH")
                ? "Content-Type: application/json-patch+json\r\n"
                : "Content-Type: application/json\r\n");
        head.append("Content-Length: ").append(body.length).append("\r\n");
      } else if (!method.equals("GET")) {
        head.append("Content-Length: 0\r\n");
      }
      head.append("\r\n");
      int status;
      try {
        OutputStream out = c.socket().getOutputStream();
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (body != null) {
          out.write(body);
        }
        out.flush();
        in.mark(1);
        if (in.read() < 0) {
          throw new java.io.EOFException("the server closed the connection without answering");
        }
        in.reset();
      } catch (SocketTimeoutException e) {
        throw e; // a slow server, not a closed connection
      } catch (IOException e) {
        if (guard.isDone()) {
          throw e;
        }
        throw new StaleConnection(e);
      }
      status = HttpFraming.statusLine(in);
      Map<String, String> headers = HttpFraming.headers(in);
      byte[] answer = HttpFraming.body(in, headers);
      String connection = headers.getOrDefault("connection", "").toLowerCase(java.util.Locale.ROOT);
      reusable =
          !connection.contains("close")
              && (headers.containsKey("content-length") || HttpFraming.isChunked(headers));
      return new KubeConnection.Response(status, new String(answer, StandardCharsets.UTF_8));
    } catch (IOException e) {
      if (guard.isDone()) {
        throw new SocketTimeoutException(
            method + " " + path + ": no whole answer within " + deadlineMs + " ms");
      }
      throw e;
    } finally {
      boolean fired = !guard.cancel(false);
      if (reusable && !fired) {
        keep(c, in);
      } else {
        c.drop();
      }
    }
  }

  /**
   * Opens a WebSocket on {@code path} (the API server streams watch events on it as text messages).
   * A read that waits longer than {@code idleTimeoutMs} fails, so a connection lost without a word
   * is noticed.
   */
  WebSocketStream webSocket(String path, String authorization, int idleTimeoutMs)
      throws IOException {
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
      Map<String, String> headers = HttpFraming.open(out, in, head, 101);
      if (!WebSocketStream.accept(key).equals(headers.get("sec-websocket-accept"))) {
        throw new IOException("the server did not accept the WebSocket handshake");
      }
      s.setSoTimeout(idleTimeoutMs);
      return new WebSocketStream(c, in, out);
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
      Map<String, String> headers = HttpFraming.open(s.getOutputStream(), in, head, 200);
      s.setSoTimeout(idleTimeoutMs);
      return new EventStream(
          c, HttpFraming.isChunked(headers) ? new HttpFraming.Chunked(in, Long.MAX_VALUE) : in);
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  /** A connected socket (TLS when the address is https) and the TCP socket under it. */
  record Connection(Socket socket, Socket tcp) {
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
}
