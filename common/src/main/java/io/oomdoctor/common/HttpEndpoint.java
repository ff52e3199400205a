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
 * the operator.
 */
public final class HttpEndpoint implements AutoCloseable {
  private final HttpServer server;

  public HttpEndpoint(int port, Supplier<String> metrics, BooleanSupplier ready)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(port), 8);
    server.createContext(
        "/metrics", ex -> reply(ex, 200, "text/plain; version=0.0.4", metrics.get()));
    server.createContext("/healthz", ex -> reply(ex, 200, "text/plain", "ok\n"));
    server.createContext(
        "/readyz",
        ex -> {
          boolean ok = ready.getAsBoolean();
          reply(ex, ok ? 200 : 503, "text/plain", ok ? "ready\n" : "not ready\n");
        });
    server.setExecutor(
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "http-endpoint");
              t.setDaemon(true);
              return t;
            }));
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
  }
}
