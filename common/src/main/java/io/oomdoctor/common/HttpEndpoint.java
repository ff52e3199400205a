package io.oomdoctor.common;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * /metrics (Prometheus text), /healthz and /readyz on one small JDK HTTP server, for the agent and
 * the operator. Requests are served by a few threads, and a request must arrive, and its answer be
 * taken, within a few seconds: a client that connects and sends nothing (or reads nothing) holds
 * one thread for that long, never the probes of the kubelet.
 */
public final class HttpEndpoint implements AutoCloseable {
  /** Threads serving requests: one slow client leaves the others free. */
  static final int THREADS = 4;

  static {
    // Read once, when the JDK's server first starts: seconds a request may take to arrive, and its
    // answer to be taken. Without them a silent client holds a thread for good.
    if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
      System.setProperty("sun.net.httpserver.maxReqTime", "5");
    }
    if (System.getProperty("sun.net.httpserver.maxRspTime") == null) {
      System.setProperty("sun.net.httpserver.maxRspTime", "10");
    }
  }

  private final HttpServer server;
  private final java.util.concurrent.ExecutorService executor;

  /** No liveness check: /healthz answers ok while the process serves. */
  public HttpEndpoint(int port, Supplier<String> metrics, BooleanSupplier ready)
      throws IOException {
    this(port, metrics, ready, () -> null);
  }

  /**
   * @param liveProblem what keeps the process from doing its work (a part that stopped making
   *     progress), or null when it is fine; /healthz answers 503 with it
   */
  public HttpEndpoint(
      int port, Supplier<String> metrics, BooleanSupplier ready, Supplier<String> liveProblem)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(port), 64);
    server.createContext(
        "/metrics", ex -> reply(ex, 200, "text/plain; version=0.0.4", metrics.get()));
    server.createContext(
        "/healthz",
        ex -> {
          String problem = liveProblem.get();
          reply(
              ex,
              problem == null ? 200 : 503,
              "text/plain",
              problem == null ? "ok\n" : problem + "\n");
        });
    server.createContext(
        "/readyz",
        ex -> {
          boolean ok = ready.getAsBoolean();
          reply(ex, ok ? 200 : 503, "text/plain", ok ? "ready\n" : "not ready\n");
        });
    executor =
        Executors.newFixedThreadPool(
            THREADS,
            r -> {
              Thread t = new Thread(r, "http-endpoint");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void reply(HttpExchange ex, int code, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(code, bytes.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
