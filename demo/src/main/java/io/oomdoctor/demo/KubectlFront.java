package io.oomdoctor.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * The address kubectl talks to in the demo: every request is passed to the mock API server as it
 * came, but a watch asked for over plain HTTP ({@code kubectl get -w}) — which the mock serves only
 * as a WebSocket — is served as a real API server does, as a chunked stream of watch events read
 * from the mock's WebSocket while the client stays.
 */
final class KubectlFront implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Headers java.net.http sets itself, and hop-by-hop headers. */
  private static final Set<String> NOT_FORWARDED =
      Set.of(
          "connection",
          "content-length",
          "expect",
          "host",
          "upgrade",
          "transfer-encoding",
          "keep-alive",
          "http2-settings",
          "te");

  /** A watch is closed after this long, as an API server closes its watches. */
  static final Duration WATCH_TIMEOUT = Duration.ofMinutes(30);

  private final HttpServer server;
  private final HttpClient client;
  private final String backend;
  private final ExecutorService pool;
  private final BiFunction<String, JsonNode, JsonNode> asTable;

  /**
   * @param backend the mock's base URL
   * @param asTable turns an object of a resource (by its path) into a Table row set, or null
   */
  KubectlFront(String backend, BiFunction<String, JsonNode, JsonNode> asTable) throws IOException {
    this.backend = backend;
    this.asTable = asTable;
    this.pool =
        new ThreadPoolExecutor(
            2,
            64,
            30,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            r -> {
              Thread t = new Thread(r, "kubectl-front");
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.CallerRunsPolicy());
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.setExecutor(pool);
    server.createContext("/", this::handle);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String query = ex.getRequestURI().getRawQuery();
      boolean watch =
          query != null
              && (query.contains("watch=true") || query.contains("watch=1"))
              && ex.getRequestHeaders().getFirst("Upgrade") == null;
      if (watch && "GET".equals(ex.getRequestMethod())) {
        watch(ex);
      } else {
        forward(ex);
      }
    } catch (IOException | RuntimeException e) {
      // the client went away, or the mock did: nothing more to say to either
    }
  }

  private void forward(HttpExchange ex) throws IOException {
    byte[] body = ex.getRequestBody().readAllBytes();
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(backend + ex.getRequestURI().toString()))
            .timeout(Duration.ofSeconds(60))
            .method(
                ex.getRequestMethod(),
                body.length == 0
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    copyRequestHeaders(ex, b::header);
    HttpResponse<InputStream> r;
    try {
      r = client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    r.headers()
        .map()
        .forEach(
            (k, v) -> {
              if (!NOT_FORWARDED.contains(k.toLowerCase(Locale.ROOT)) && !k.startsWith(":")) {
                ex.getResponseHeaders().put(k, v);
              }
            });
    try (InputStream in = r.body()) {
      byte[] out = in.readAllBytes();
      boolean noBody = r.statusCode() == 204 || r.statusCode() == 304 || out.length == 0;
      ex.sendResponseHeaders(r.statusCode(), noBody ? -1 : out.length);
      if (!noBody) {
        try (OutputStream os = ex.getResponseBody()) {
          os.write(out);
        }
      }
    }
  }

  private static void copyRequestHeaders(
      HttpExchange ex, java.util.function.BiConsumer<String, String> to) {
    ex.getRequestHeaders()
        .forEach(
            (k, vs) -> {
              if (!NOT_FORWARDED.contains(k.toLowerCase(Locale.ROOT))) {
                for (String v : vs) {
                  to.accept(k, v);
                }
              }
            });
  }

  /** One watch: the mock's WebSocket events, written as a chunked stream of JSON lines. */
  private void watch(HttpExchange ex) throws IOException {
    LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>(10_000);
    String closed = "\u0000closed";
    WebSocket.Listener listener =
        new WebSocket.Listener() {
          private final StringBuilder partial = new StringBuilder();

          @Override
          public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
              events.offer(partial.toString());
              partial.setLength(0);
            }
            ws.request(1);
            return null;
          }

          @Override
          public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
            events.offer(closed);
            return null;
          }

          @Override
          public void onError(WebSocket ws, Throwable error) {
            events.offer(closed);
          }
        };
    String path = ex.getRequestURI().getRawPath();
    String ws = backend.replaceFirst("^http", "ws") + ex.getRequestURI().toString();
    WebSocket.Builder b = client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
    copyRequestHeaders(
        ex,
        (k, v) -> {
          String lk = k.toLowerCase(Locale.ROOT);
          if (!lk.startsWith("sec-websocket") && !"accept-encoding".equals(lk)) {
            b.header(k, v);
          }
        });
    WebSocket socket;
    try {
      socket = b.buildAsync(URI.create(ws), listener).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      byte[] msg =
          ("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":503,"
                  + "\"message\":\"the watch could not be opened\"}")
              .getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(503, msg.length);
      ex.getResponseBody().write(msg);
      return;
    }
    String accept = ex.getRequestHeaders().getFirst("Accept");
    boolean table = accept != null && accept.contains("as=Table");
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.getResponseHeaders().set("Transfer-Encoding", "chunked");
    ex.sendResponseHeaders(200, 0);
    long deadline = System.nanoTime() + WATCH_TIMEOUT.toNanos();
    try (OutputStream os = ex.getResponseBody()) {
      os.flush();
      while (System.nanoTime() < deadline) {
        String e = events.poll(5, TimeUnit.SECONDS);
        if (e == null) {
          os.write(new byte[0]); // a write to a client that left fails here
          os.flush();
          continue;
        }
        if (e == closed) {
          break;
        }
        os.write(event(path, e, table).getBytes(StandardCharsets.UTF_8));
        os.write('\n');
        os.flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      socket.abort();
    }
  }

  /** A watch event, its object as a Table when kubectl asked for one and one can be made. */
  private String event(String path, String event, boolean table) {
    if (!table) {
      return event;
    }
    try {
      JsonNode doc = JSON.readTree(event);
      JsonNode object = doc.path("object");
      JsonNode rows = asTable.apply(path, object);
      if (rows == null) {
        return event;
      }
      ObjectNode out = ((ObjectNode) doc).deepCopy();
      out.set("object", rows);
      return JSON.writeValueAsString(out);
    } catch (IOException | RuntimeException e) {
      return event;
    }
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
