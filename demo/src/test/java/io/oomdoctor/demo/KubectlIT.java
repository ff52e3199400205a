package io.oomdoctor.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real kubectl of this machine against the demo's API server, as a user tries OOM Doctor with
 * {@code --keep-running}: every command without flags a user would not know, each failing the test
 * when it errors or hangs.
 */
class KubectlIT {
  @TempDir Path state;
  private EndToEnd e2e;
  private Path kubeconfig;

  @BeforeEach
  void setUp() throws Exception {
    if (!io.oomdoctor.agent.Which.onPath("kubectl")) {
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail("kubectl must be installed in CI");
      }
      Assumptions.abort("kubectl is not installed here");
    }
    e2e = new EndToEnd(state, FakeKubelet.Driver.CGROUPFS);
    kubeconfig = e2e.cluster.api().writeKubeconfig(state.resolve("kubeconfig"), EndToEnd.NS);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (e2e != null) {
      e2e.close();
    }
  }

  /** Runs kubectl; fails on a non-zero exit or after 30 s. */
  private String kubectl(String... args) throws Exception {
    return kubectl(Map.of(), args);
  }

  private String kubectl(Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    boolean done = p.waitFor(30, TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly();
      fail("kubectl " + String.join(" ", args) + " hung for 30 s");
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("kubectl " + String.join(" ", args) + ":\n" + out).isZero();
    return out;
  }

  /** A kubectl left running (get -w), its output collected as it comes. */
  private final class Watching {
    private final Process process;
    private final StringBuffer out = new StringBuffer();
    private final String what;

    Watching(Process process, String what) {
      this.process = process;
      this.what = what;
      Thread t =
          new Thread(
              () -> {
                try (var in = process.getInputStream()) {
                  byte[] buf = new byte[4096];
                  int n;
                  while ((n = in.read(buf)) > 0) {
                    out.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                  }
                } catch (java.io.IOException e) {
                  // the process ended
                }
              },
              "kubectl-watch");
      t.setDaemon(true);
      t.start();
    }

    /** Waits until the output shows {@code text}, failing if kubectl exits or 30 s pass. */
    void until(String text) {
      Awaitility.await(what + " shows " + text)
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .untilAsserted(
              () -> {
                assertThat(process.isAlive() || out.toString().contains(text))
                    .as(what + " ended:\n" + out)
                    .isTrue();
                assertThat(out.toString()).as(what).contains(text);
              });
      assertThat(process.isAlive()).as(what + " still watches:\n" + out).isTrue();
    }

    /** Waits until the output names {@code n} different things matching {@code regex}. */
    void untilDistinct(String regex, int n) {
      java.util.regex.Pattern p = java.util.regex.Pattern.compile(regex);
      Awaitility.await(what + " shows " + n + " of " + regex)
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> p.matcher(out).results().map(r -> r.group()).distinct().count() >= n);
      assertThat(process.isAlive()).as(what + " still watches:\n" + out).isTrue();
    }

    void stop() throws InterruptedException {
      process.destroy();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private Watching watch(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    return new Watching(p, "kubectl " + String.join(" ", args));
  }

  private Path file(String name, String yaml) throws Exception {
    return Files.writeString(state.resolve(name), yaml);
  }

  @Test
  void everyCommandAUserTriesWorks() throws Exception {
    Path ns = file("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: tryout\n");
    assertThat(kubectl("apply", "-f", ns.toString())).contains("namespace/tryout created");
    assertThat(kubectl("create", "namespace", "other")).contains("namespace/other created");
    assertThat(kubectl("get", "namespaces")).contains("tryout").contains("other");

    Path deploy =
        file(
            "deploy.yaml",
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: talker
              namespace: tryout
            spec:
              replicas: 1
              selector:
                matchLabels: {app: talker}
              template:
                metadata:
                  labels: {app: talker}
                spec:
                  containers:
                  - name: app
                    image: example.com/talker:1
                    command: ["sh", "-c", "echo hello from stdout; echo and from stderr >&2; sleep 600"]
                    resources:
                      limits: {memory: 32Mi}
            """);
    assertThat(kubectl("apply", "-f", deploy.toString()))
        .contains("deployment.apps/talker created");
    assertThat(kubectl("apply", "-f", deploy.toString())).contains("unchanged");
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> kubectl("get", "pods", "-n", "tryout", "-o", "name").contains("pod/talker"));
    String pod = kubectl("get", "pods", "-n", "tryout", "-o", "name").lines().findFirst().get();
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(kubectl("logs", "-n", "tryout", pod))
                    .contains("hello from stdout")
                    .contains("and from stderr"));
    assertThat(kubectl("get", "pods", "-n", "tryout", "-o", "wide")).contains("talker");
    assertThat(kubectl("get", "deployment", "talker", "-n", "tryout", "-o", "json"))
        .contains("\"kind\": \"Deployment\"");
    assertThat(kubectl("describe", "-n", "tryout", pod)).contains("Name:").contains("talker");

    assertThat(kubectl("scale", "deployment", "talker", "-n", "tryout", "--replicas=2"))
        .contains("scaled");
    assertThat(
            kubectl(
                "get", "deployment", "talker", "-n", "tryout", "-o", "jsonpath={.spec.replicas}"))
        .isEqualTo("2");
    // The patch OOM Doctor recommends: a strategic merge that keeps the container's other fields.
    kubectl(
        "patch",
        "deployment",
        "talker",
        "-n",
        "tryout",
        "-p",
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"app\",\"resources\":{\"limits\":{\"memory\":\"48Mi\"}}}]}}}}");
    String container =
        kubectl(
            "get",
            "deployment",
            "talker",
            "-n",
            "tryout",
            "-o",
            "jsonpath={.spec.template.spec.containers[0]}");
    assertThat(container).contains("48Mi").contains("example.com/talker:1").contains("sleep 600");

    Path policy =
        file(
            "policy.yaml",
            """
            apiVersion: oomdoctor.io/v1alpha1
            kind: OomPolicy
            metadata:
              name: talker
              namespace: tryout
            spec:
              selector:
                matchLabels: {app: talker}
              mode: Recommend
            """);
    assertThat(kubectl("apply", "-f", policy.toString()))
        .contains("oompolicy.oomdoctor.io/talker created");
    kubectl(
        "apply",
        "-f",
        Files.writeString(policy, Files.readString(policy) + "  headroomPercent: 30\n").toString());
    assertThat(
            kubectl(
                "get",
                "oompolicy",
                "talker",
                "-n",
                "tryout",
                "-o",
                "jsonpath={.spec.headroomPercent}"))
        .isEqualTo("30");
    kubectl(
        Map.of("KUBE_EDITOR", "sed -i s/headroomPercent:.*/headroomPercent:\\ 40/"),
        "edit",
        "oompolicy",
        "talker",
        "-n",
        "tryout");
    assertThat(kubectl("get", "oompolicy", "talker", "-n", "tryout", "-o", "yaml"))
        .contains("headroomPercent: 40");
    assertThat(kubectl("describe", "oompolicy", "talker", "-n", "tryout"))
        .contains("Kind:         OomPolicy");
    assertThat(kubectl("explain", "oompolicy.spec")).contains("KIND:       OomPolicy");
    assertThat(kubectl("explain", "oomkill.status.candidates"))
        .contains("evidenceFor")
        .contains("evidenceAgainst");
    assertThat(kubectl("get", "oomkills", "-A")).isNotNull();

    // get -w stays and shows what changes: a policy made while it watches, and its pods
    Watching policies = watch("get", "oompolicies", "-n", "tryout", "-w");
    Watching pods = watch("get", "pods", "-n", "tryout", "--watch");
    policies.until("talker");
    kubectl(
        "apply",
        "-f",
        file("second.yaml", Files.readString(policy).replace("name: talker", "name: watched-later"))
            .toString());
    policies.until("watched-later");
    kubectl("scale", "deployment", "talker", "-n", "tryout", "--replicas=3");
    pods.untilDistinct("talker-[0-9a-f]+-[0-9a-z]{5}", 3);
    policies.stop();
    pods.stop();

    assertThat(kubectl("delete", "oompolicy", "talker", "-n", "tryout")).contains("deleted");
    assertThat(kubectl("delete", "deployment", "talker", "-n", "tryout")).contains("deleted");
    assertThat(kubectl("delete", "namespace", "other")).contains("deleted");
  }
}
