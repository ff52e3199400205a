package io.oomdoctor.agent.kube;

import io.fabric8.kubernetes.client.Config;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Base64;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The agent's connection to the API server, with the pod's service account (token and cluster CA)
 * or, outside a cluster, a kubeconfig read by fabric8's {@link Config}.
 *
 * <p>The agent makes two kinds of call — create an OomKill, list and watch its node's pods — so it
 * does without a full Kubernetes client, and without a general HTTP client ({@link ApiHttp}): on
 * every node, that saves the tens of MiB that the client's model classes and their JSON
 * introspection would cost (docs/benchmarks.md).
 */
public final class KubeConnection {
  private static final int REQUEST_TIMEOUT_MS = 30_000;

  /**
   * A watch that brings nothing for this long is taken as lost (the API server ends watches after
   * their timeoutSeconds, at most 10 minutes, and sends bookmarks in between).
   */
  private static final int WATCH_IDLE_TIMEOUT_MS = 11 * 60_000;

  /** A response: status code and body. */
  public record Response(int statusCode, String body) {}

  /** Overrides where the service account's token and ca.crt are (custom projected volumes). */
  public static final String SA_ENV = "OOMDOCTOR_SERVICE_ACCOUNT_DIR";

  /** Where the kubelet mounts a pod's service account credentials. */
  public static final Path SERVICE_ACCOUNT =
      Paths.get("/var/run/secrets/kubernetes.io/serviceaccount");

  private final String base;
  private final ApiHttp http;

  /** The Authorization header value (re-read on 401), or null. */
  private final Supplier<String> credentials;

  private volatile String authorization;

  /** Set once the server refused a WebSocket upgrade but served a streamed watch. */
  private volatile boolean streamWatches;

  private KubeConnection(String url, SSLContext tls, Supplier<String> credentials) {
    this.base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    this.credentials = credentials;
    this.authorization = credentials.get();
    this.http = new ApiHttp(this.base, tls);
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
    return new KubeConnection(
        "https://" + h + ":" + port,
        trustOnly(serviceAccount.resolve("ca.crt")),
        tokenFile(serviceAccount.resolve("token")));
  }

  /** An API server at {@code url} with the bearer token in a file (re-read on 401). */
  static KubeConnection fromToken(String url, Path token) {
    return new KubeConnection(url, null, tokenFile(token));
  }

  private static Supplier<String> tokenFile(Path token) {
    return () -> {
      try {
        return "Bearer " + Files.readString(token, StandardCharsets.US_ASCII).trim();
      } catch (IOException e) {
        throw new IllegalStateException("cannot read the service account token " + token, e);
      }
    };
  }

  /** From a fabric8 {@link Config} (kubeconfig: certificates, tokens, exec plugins). */
  public static KubeConnection fromConfig(Config config) {
    Config[] current = {config};
    boolean[] first = {true};
    return new KubeConnection(
        config.getMasterUrl(),
        config.getMasterUrl().startsWith("https:") ? sslContext(config) : null,
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
    return new KubeConnection(url, null, () -> null);
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
      return KubeTls.of(config);
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
  public Response send(String method, String path, String jsonBody) throws IOException {
    Response r = http.exchange(method, path, authorization, jsonBody, REQUEST_TIMEOUT_MS);
    if (r.statusCode() == 401) {
      authorization = credentials.get();
      r = http.exchange(method, path, authorization, jsonBody, REQUEST_TIMEOUT_MS);
    }
    return r;
  }

  /**
   * Opens a watch: over WebSocket (what the API server and its test doubles all serve), or, once a
   * server has refused the upgrade and answered a plain streamed watch instead (a proxy without
   * WebSocket, say), as such a stream from then on. On 401 the credentials are reloaded once, as
   * {@link #send} does.
   */
  public WatchStream watch(String path) throws IOException {
    if (!streamWatches) {
      try {
        return withCredentials(() -> http.webSocket(path, authorization, WATCH_IDLE_TIMEOUT_MS));
      } catch (HttpFraming.HttpStatusException refused) {
        WatchStream stream;
        try {
          stream = withCredentials(() -> http.stream(path, authorization, WATCH_IDLE_TIMEOUT_MS));
        } catch (IOException | RuntimeException e) {
          refused.addSuppressed(e);
          throw refused; // the upgrade's answer says more
        }
        streamWatches = true;
        return stream;
      }
    }
    return withCredentials(() -> http.stream(path, authorization, WATCH_IDLE_TIMEOUT_MS));
  }

  private interface Open {
    WatchStream open() throws IOException;
  }

  private WatchStream withCredentials(Open open) throws IOException {
    try {
      return open.open();
    } catch (HttpFraming.HttpStatusException e) {
      if (e.status != 401) {
        throw e;
      }
      authorization = credentials.get();
      return open.open();
    }
  }

  /** The events of a watch, one JSON text each. */
  public interface WatchStream extends java.io.Closeable {
    /** The next event, or null when the server ended the watch. */
    String next() throws IOException;

    @Override
    void close();
  }
}
