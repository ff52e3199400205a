package io.oomdoctor.operator;

import static io.oomdoctor.operator.Cluster.WAIT;
import static io.oomdoctor.operator.OomKillReconcilerTest.diagnosed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code oomdoctor-operator} as a process: kubeconfig, Lease, endpoints, clean stop. */
class OperatorMainIT {
  @TempDir Path dir;

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static HttpResponse<String> get(int port, String path) {
    try {
      return HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
              HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  @Test
  void runsAgainstAKubeconfigServesEndpointsAndStopsOnSigterm() throws Exception {
    try (Cluster c = new Cluster()) {
      c.allowLeases();
      Path kubeconfig = dir.resolve("kubeconfig");
      Files.writeString(
          kubeconfig,
          """
          apiVersion: v1
          kind: Config
          clusters:
          - name: test
            cluster: {server: "http://127.0.0.1:%d"}
          users:
          - name: test
            user: {token: test}
          contexts:
          - name: test
            context: {cluster: test, user: test, namespace: oomdoctor}
          current-context: test
          """
              .formatted(c.server.getPort()));
      int port = freePort();
      Process p =
          new ProcessBuilder(
                  List.of(
                      Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                      "-cp",
                      System.getProperty("java.class.path"),
                      OperatorMain.class.getName(),
                      "--kubeconfig",
                      kubeconfig.toString(),
                      "--http-port",
                      String.valueOf(port),
                      "--identity",
                      "replica-1"))
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("operator.log").toFile())
              .start();
      boolean stopped;
      try {
        await()
            .atMost(WAIT)
            .until(
                () -> {
                  HttpResponse<String> r = get(port, "/readyz");
                  return r != null && r.statusCode() == 200;
                });
        assertThat(get(port, "/healthz").statusCode()).isEqualTo(200);
        await()
            .atMost(WAIT)
            .until(
                () ->
                    c.client.leases().inNamespace("oomdoctor").withName("oomdoctor-operator").get()
                        != null);
        assertThat(
                c.client
                    .leases()
                    .inNamespace("oomdoctor")
                    .withName("oomdoctor-operator")
                    .get()
                    .getSpec()
                    .getHolderIdentity())
            .isEqualTo("replica-1");

        Pod pod = c.deployment("shop", "web", "app", "64Mi", null);
        diagnosed(c, c.kill(pod, "app", Cluster.evidence("leak")));
        String metrics = get(port, "/metrics").body();
        assertThat(metrics)
            .contains(
                "oomdoctor_kills_total{cause=\"MemoryLeak\",container=\"app\",namespace=\"shop\",workload=\"Deployment/web\"} 1.0")
            .contains(
                "oomdoctor_reconcile_seconds_count{controller=\"oomkill\",outcome=\"success\"}");
      } finally {
        p.destroy();
        stopped = p.waitFor(20, TimeUnit.SECONDS);
        if (!stopped) {
          p.destroyForcibly(); // never leave the process behind, even when the test fails
          p.waitFor(10, TimeUnit.SECONDS);
        }
      }
      assertThat(stopped).as("stops on SIGTERM").isTrue();
      assertThat(Files.readString(dir.resolve("operator.log")))
          .contains("OOM Doctor operator replica-1 started");
    }
  }

  @Test
  void malformedSettingsAreRefusedWithAClearMessage() {
    OperatorMain m = new OperatorMain();
    new CommandLine(m).parseArgs("--retention", "a week");
    assertThatThrownBy(m::settings)
        .hasMessageContaining("--retention must be a duration like 168h, not a week");
    OperatorMain ok = new OperatorMain();
    new CommandLine(ok)
        .parseArgs("--namespaces", "shop, web", "--retention", "24h", "--keep-per-workload", "5");
    OperatorSettings s = ok.settings();
    assertThat(s.namespaces()).containsExactly("shop", "web");
    assertThat(s.retention()).hasHours(24);
    assertThat(s.keepPerWorkload()).isEqualTo(5);
    assertThat(s.eventWindow()).hasMinutes(10);
    assertThat(s.applyEnabled()).as("Apply is off unless the installer turns it on").isFalse();
    assertThat(s.applyExcludedNamespaces()).containsExactly("kube-system");
    assertThat(s.systemNamespace()).isEqualTo("oomdoctor-system");
  }
}
