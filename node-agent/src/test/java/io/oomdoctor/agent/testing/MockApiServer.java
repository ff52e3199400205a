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
 * The fabric8 CRUD mock server as the API server of tests, with the generated OomKill CRD
 * registered (only then does it honour the status subresource as a real API server does).
 */
public final class MockApiServer implements AutoCloseable {
  public static final String OOMKILL_CRD = "META-INF/fabric8/oomkills.oomdoctor.io-v1.yml";

  private final KubernetesMockServer server;
  private final KubernetesClient client;

  private MockApiServer(int port) {
    server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(List.of()),
            false);
    if (port > 0) {
      server.init(InetAddress.getLoopbackAddress(), port);
    } else {
      server.init();
    }
    client = server.createClient();
    try (InputStream in = MockApiServer.class.getClassLoader().getResourceAsStream(OOMKILL_CRD)) {
      CustomResourceDefinition crd =
          client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
      client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
    } catch (java.io.IOException e) {
      throw new IllegalStateException("the generated CRD is not on the classpath", e);
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
