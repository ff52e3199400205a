package io.oomdoctor.testkit;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.oomdoctor.model.Crds;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;

/**
 * The fabric8 CRUD mock server as the API server of tests, with the project's generated CRDs
 * registered (only then does it honour the status subresource as a real API server does).
 */
public final class MockApiServer implements AutoCloseable {
  private final KubernetesMockServer server;
  private final KubernetesClient client;

  /** The mock logs every request at INFO through java.util.logging: keep only its warnings. */
  private static final java.util.logging.Logger MOCK_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  private MockApiServer(int port) {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    // CRUD behaviour, plus one-off expectations (server().expect()) that take precedence: API
    // errors, or what the mock does not implement.
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            responses,
            new PagingDispatcher(new KubernetesMixedDispatcher(responses)),
            false);
    if (port > 0) {
      server.init(InetAddress.getLoopbackAddress(), port);
    } else {
      server.init();
    }
    client = server.createClient();
    // Every CRD of the project, so that status is written only through /status, as on a real
    // server, and the operator runs against this server too.
    registerCrds(client);
  }

  /** Creates every CRD of the project on the server behind {@code client}. */
  public static void registerCrds(KubernetesClient client) {
    for (String file : Crds.FILES) {
      try (java.io.InputStream in = Crds.open(file)) {
        client
            .apiextensions()
            .v1()
            .customResourceDefinitions()
            .resource(
                client
                    .getKubernetesSerialization()
                    .unmarshal(
                        in,
                        io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition
                            .class))
            .create();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  /**
   * Answers a list with {@code limit} in pages ({@code continue}: the offset of the next one), as
   * the API server does (the mock itself ignores both); everything else as the dispatcher it wraps.
   */
  static final class PagingDispatcher extends io.fabric8.mockwebserver.http.Dispatcher {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
        new com.fasterxml.jackson.databind.ObjectMapper();

    private final io.fabric8.mockwebserver.http.Dispatcher all;

    PagingDispatcher(io.fabric8.mockwebserver.http.Dispatcher whole) {
      this.all = whole;
    }

    @Override
    public io.fabric8.mockwebserver.http.MockResponse dispatch(
        io.fabric8.mockwebserver.http.RecordedRequest request) {
      String full = request.getPath();
      int q = full.indexOf('?');
      if (!"GET".equals(request.getMethod()) || q < 0 || full.contains("watch=true")) {
        return all.dispatch(request);
      }
      int limit = 0;
      int offset = 0;
      List<String> rest = new java.util.ArrayList<>();
      for (String p : full.substring(q + 1).split("&")) {
        if (p.startsWith("limit=")) {
          limit = Integer.parseInt(p.substring(6));
        } else if (p.startsWith("continue=")) {
          offset = Integer.parseInt(p.substring(9));
        } else {
          rest.add(p);
        }
      }
      if (limit <= 0) {
        return all.dispatch(request);
      }
      String path = full.substring(0, q) + (rest.isEmpty() ? "" : "?" + String.join("&", rest));
      var whole =
          all.dispatch(
              new io.fabric8.mockwebserver.http.RecordedRequest(
                  request.getRequestLine().replace(full, path),
                  request.method(),
                  path,
                  request.getHeaders(),
                  request.getBody()));
      try {
        var doc =
            (com.fasterxml.jackson.databind.node.ObjectNode)
                JSON.readTree(
                    new String(
                        whole.getBody().getBytes(), java.nio.charset.StandardCharsets.UTF_8));
        var items = (com.fasterxml.jackson.databind.node.ArrayNode) doc.get("items");
        if (items == null) {
          return whole;
        }
        var page = JSON.createArrayNode();
        for (int i = offset; i < Math.min(items.size(), offset + limit); i++) {
          page.add(items.get(i));
        }
        doc.set("items", page);
        var meta = doc.with("metadata");
        if (offset + limit < items.size()) {
          meta.put("continue", Integer.toString(offset + limit));
        }
        return new io.fabric8.mockwebserver.http.MockResponse()
            .setResponseCode(whole.code())
            .setHeader("Content-Type", "application/json")
            .setBody(JSON.writeValueAsString(doc));
      } catch (Exception e) {
        return whole;
      }
    }
  }

  /** Starts on a free port. */
  public static MockApiServer start() {
    return new MockApiServer(0);
  }

  /** Starts on the given port (to bring an API server "back"). */
  public static MockApiServer startOn(int port) {
    return new MockApiServer(port);
  }

  public KubernetesClient client() {
    return client;
  }

  /** The server's address, for clients of the project's own (the agent's connection). */
  public String url() {
    return "http://127.0.0.1:" + port();
  }

  /** The mock itself: for expectations ({@code expect()}) that take precedence over CRUD. */
  public KubernetesMockServer server() {
    return server;
  }

  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }
}
