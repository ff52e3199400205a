package io.oomdoctor.demo;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;

/**
 * An API server on localhost for the demo and the end-to-end tests: the fabric8 CRUD mock server
 * with OOM Doctor's CRDs registered, behind {@link KubectlCompat} so that the real kubectl works
 * against it, and a kubeconfig file written for it.
 */
public final class EmbeddedApiServer implements AutoCloseable {
  private final KubernetesMockServer server;
  private final KubernetesClient client;
  private final KubectlCompat compat;
  private final KubectlFront front;

  /** The mock logs every request at INFO through java.util.logging: keep only its warnings. */
  private static final java.util.logging.Logger MOCK_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  public EmbeddedApiServer() {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    compat = new KubectlCompat(new KubernetesMixedDispatcher(responses));
    server = new KubernetesMockServer(new Context(), new MockWebServer(), responses, compat, false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    client = server.createClient();
    for (String name : io.oomdoctor.model.Crds.FILES) {
      try (InputStream in = io.oomdoctor.model.Crds.open(name)) {
        CustomResourceDefinition crd =
            client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
        client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
        compat.register(crd);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the generated CRD " + name, e);
      }
    }
    try {
      front = new KubectlFront(url(), compat::tableOf);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen for kubectl on localhost", e);
    }
  }

  public KubernetesClient client() {
    return client;
  }

  public KubernetesMockServer server() {
    return server;
  }

  /** {@code kubectl get <plural> -A} as kubectl would print it (for hosts without kubectl). */
  public String print(
      String plural, Class<? extends io.fabric8.kubernetes.api.model.HasMetadata> type) {
    var list = client.resources(type).inAnyNamespace().list();
    return compat.print(
        plural,
        client
            .getKubernetesSerialization()
            .convertValue(list, com.fasterxml.jackson.databind.JsonNode.class));
  }

  /** The mock API server itself: what the agent and the operator of the demo talk to. */
  public String url() {
    return "http://127.0.0.1:" + server.getPort();
  }

  /**
   * Where kubectl (and the kubeconfig) points: the same API, with watches over plain HTTP ({@code
   * kubectl get -w}) served as streams.
   */
  public String kubectlUrl() {
    return front.url();
  }

  /** Writes a kubeconfig for this server (plain HTTP, no credentials needed) and returns it. */
  public Path writeKubeconfig(Path file, String namespace) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(
        file,
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: oomdoctor-demo
          cluster:
            server: %s
        users:
        - name: demo
          user:
            token: demo
        contexts:
        - name: oomdoctor-demo
          context:
            cluster: oomdoctor-demo
            user: demo
            namespace: %s
        current-context: oomdoctor-demo
        """
            .formatted(kubectlUrl(), namespace));
    return file;
  }

  /** Serves {@code kubectl logs} from the kubelet's {@code <pod>_<container>.log} files here. */
  public void serveLogsFrom(java.nio.file.Path dir) {
    compat.logs(dir);
  }

  @Override
  public void close() {
    front.close();
    client.close();
    server.destroy();
  }
}
