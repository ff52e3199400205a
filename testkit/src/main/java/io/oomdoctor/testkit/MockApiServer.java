package io.oomdoctor.agent.testing;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.InputStream;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;

/**
 * The fabric8 CRUD mock server as the API server of tests, with the project's generated CRDs
 * registered (only then does it honour the status subresource as a real API server does).
 */
public final class MockApiServer implements AutoCloseable {
  public static final String OOMKILL_CRD = "META-INF/fabric8/oomkills.oomdoctor.io-v1.yml";

  /** The project's generated CRDs (the model module's). */
  public static final List<String> CRDS =
      List.of(
          OOMKILL_CRD,
          "META-INF/fabric8/oompolicies.oomdoctor.io-v1.yml",
          "META-INF/fabric8/oomrisks.oomdoctor.io-v1.yml");

  private final KubernetesMockServer server;
  private final KubernetesClient client;

  private MockApiServer(int port) {
    server =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), new PagingCrudDispatcher(), false);
    if (port > 0) {
      server.init(InetAddress.getLoopbackAddress(), port);
    } else {
      server.init();
    }
    client = server.createClient();
    // Every CRD of the project, so that the operator runs against this server too.
    for (String name : CRDS) {
      try (InputStream in = MockApiServer.class.getClassLoader().getResourceAsStream(name)) {
        CustomResourceDefinition crd =
            client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
        client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
      } catch (java.io.IOException | RuntimeException e) {
        throw new IllegalStateException(
            "the generated CRD " + name + " is not on the classpath", e);
      }
    }
  }

  /**
   * The CRUD dispatcher, answering a list with {@code limit} in pages ({@code continue}: the offset
   * of the next one), as the API server does; the mock itself ignores both.
   */
  static final class PagingCrudDispatcher extends KubernetesCrudDispatcher {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
        new com.fasterxml.jackson.databind.ObjectMapper();

    PagingCrudDispatcher() {
      super(List.of());
    }

    @Override
    public io.fabric8.mockwebserver.http.MockResponse dispatch(
        io.fabric8.mockwebserver.http.RecordedRequest request) {
      String full = request.getPath();
      int q = full.indexOf('?');
      if (!"GET".equals(request.getMethod()) || q < 0 || full.contains("watch=true")) {
        return super.dispatch(request);
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
        return super.dispatch(request);
      }
      String path = full.substring(0, q) + (rest.isEmpty() ? "" : "?" + String.join("&", rest));
      var whole =
          super.dispatch(
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

  /** The agent's own connection to this server. */
  public io.oomdoctor.agent.kube.KubeConnection connection() {
    return io.oomdoctor.agent.kube.KubeConnection.forUrl("http://127.0.0.1:" + port());
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
