package io.oomdoctor.agent.kube;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.internal.SSLUtils;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The agent's connection to the API server: the JDK HTTP client with the pod's service account
 * (token and cluster CA) or, outside a cluster, a kubeconfig read by fabric8's {@link Config}.
 *
 * <p>The agent makes two kinds of call — create an OomKill, list and watch its node's pods — so it
 * does without a full Kubernetes client: on every node, that saves the tens of MiB that the
 * client's model classes and their JSON introspection would cost (docs/benchmarks.md).
 */
public final class KubeConnection {
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

  /** Overrides where the service account's token and ca.crt are (custom projected volumes). */
  public static final String SA_ENV = "OOMDOCTOR_SERVICE_ACCOUNT_DIR";

  /** Where the kubelet mounts a pod's service account credentials. */
  public static final Path SERVICE_ACCOUNT =
      Paths.get("/var/run/secrets/kubernetes.io/serviceaccount");

  private final String base;
  private final HttpClient http;

  /** The Authorization header value (re-read on 401), or null. */
  private final Supplier<String> credentials;

  private volatile String authorization;

  private KubeConnection(String url, SSLContext tls, Supplier<String> credentials) {
    this.base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    this.credentials = credentials;
    this.authorization = credentials.get();
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            // Always an explicit context: the default one would load the JDK's whole public CA
            // store, which the agent never needs (it talks to its own cluster only).
            .sslContext(tls)
            .build();
  }

  /**
   * In a pod: the service account's token and CA (from {@value #SA_ENV} when set, else the standard
   * mount) and the API server's address from the environment; otherwise $KUBECONFIG or
   * ~/.kube/config, as kubectl finds them.
   */
  public static KubeConnection autoConfigure() {
    String host = System.getenv("KUBERNETES_SERVICE_HOST");
    String port = System.getenv("KUBERNETES_SERVICE_PORT");
    String dir = System.getenv(SA_ENV);
    Path sa = dir == null || dir.isBlank() ? SERVICE_ACCOUNT : Paths.get(dir);
    if (host != null && port != null && Files.isReadable(sa.resolve("token"))) {
      return inCluster(host, port, sa);
    }
    return fromConfig(Config.autoConfigure(null));
  }

  /**
   * A pod's connection: {@code https://host:port}, trusting only the cluster's CA, with the
   * projected token (re-read when the API server answers 401, as the kubelet rotates it).
   */
  public static KubeConnection inCluster(String host, String port, Path serviceAccount) {
    String h = host.contains(":") ? "[" + host + "]" : host; // IPv6 service address
    Path token = serviceAccount.resolve("token");
    return new KubeConnection(
        "https://" + h + ":" + port,
        trustOnly(serviceAccount.resolve("ca.crt")),
        () -> {
          try {
            return "Bearer " + Files.readString(token, StandardCharsets.US_ASCII).trim();
          } catch (IOException e) {
            throw new IllegalStateException("cannot read the service account token " + token, e);
          }
        });
  }

  /** From a fabric8 {@link Config} (kubeconfig: certificates, tokens, exec plugins). */
  public static KubeConnection fromConfig(Config config) {
    Config[] current = {config};
    boolean[] first = {true};
    return new KubeConnection(
        config.getMasterUrl(),
        config.getMasterUrl().startsWith("https:") ? sslContext(config) : plainOnly(),
        () -> {
          // Called again after a 401: refresh() reloads the kubeconfig and any exec credentials.
          if (!first[0]) {
            current[0] = current[0].refresh();
          }
          first[0] = false;
          return authorization(current[0]);
        });
  }

  /** An API server at a plain address, without credentials (tests, the demo's local server). */
  public static KubeConnection forUrl(String url) {
    return new KubeConnection(url, plainOnly(), () -> null);
  }

  /** TLS trusting one CA file and nothing else. */
  static SSLContext trustOnly(Path caFile) {
    try (InputStream in = Files.newInputStream(caFile)) {
      KeyStore ks = emptyKeyStore();
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        ks.setCertificateEntry("ca-" + i++, c);
      }
      return trusting(ks);
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot load the cluster CA from " + caFile + ": " + e.getMessage(), e);
    }
  }

  /** A context for plain-HTTP connections: trusts nothing, loads nothing. */
  static SSLContext plainOnly() {
    try {
      return trusting(emptyKeyStore());
    } catch (Exception e) {
      throw new IllegalStateException("cannot set up a TLS context", e);
    }
  }

  private static KeyStore emptyKeyStore() throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    return ks;
  }

  private static SSLContext trusting(KeyStore trusted) throws Exception {
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusted);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  public String baseUrl() {
    return base;
  }

  private static SSLContext sslContext(Config config) {
    try {
      return SSLUtils.sslContext(config);
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot set up TLS to " + config.getMasterUrl() + ": " + e.getMessage(), e);
    }
  }

  private static String authorization(Config c) {
    String token = c.getAutoOAuthToken() != null ? c.getAutoOAuthToken() : c.getOauthToken();
    if (token != null && !token.isBlank()) {
      return "Bearer " + token.trim();
    }
    if (c.getUsername() != null && c.getPassword() != null) {
      return "Basic "
          + Base64.getEncoder()
              .encodeToString(
                  (c.getUsername() + ":" + c.getPassword()).getBytes(StandardCharsets.UTF_8));
    }
    return null;
  }

  /**
   * Sends a request; on 401 reloads the credentials once (service account tokens are rotated on
   * disk) and retries.
   */
  public HttpResponse<String> send(String method, String path, String jsonBody)
      throws IOException, InterruptedException {
    HttpResponse<String> r = sendOnce(method, path, jsonBody);
    if (r.statusCode() == 401) {
      authorization = credentials.get();
      r = sendOnce(method, path, jsonBody);
    }
    return r;
  }

  private HttpResponse<String> sendOnce(String method, String path, String jsonBody)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(REQUEST_TIMEOUT)
            .header("Accept", "application/json")
            .method(
                method,
                jsonBody == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(jsonBody, StandardCharsets.UTF_8));
    if (jsonBody != null) {
      b.header("Content-Type", "application/json");
    }
    String auth = authorization;
    if (auth != null) {
      b.header("Authorization", auth);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  /** Opens a watch over WebSocket (what the API server and its test doubles all serve). */
  public CompletableFuture<WebSocket> webSocket(String path, WebSocket.Listener listener) {
    String ws = base.replaceFirst("^http", "ws") + path;
    WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
    String auth = authorization;
    if (auth != null) {
      b.header("Authorization", auth);
    }
    return b.buildAsync(URI.create(ws), listener);
  }
}
