package io.oomdoctor.demo;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomPolicy;
import io.oomdoctor.model.OomPolicySpec;
import io.oomdoctor.model.PodSelector;
import io.oomdoctor.model.Recommendation;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The all-in-one demo: an embedded API server, the operator, the node agent on this host's
 * /dev/kmsg, and a Deployment whose container leaks memory in a real cgroup until the kernel kills
 * it. Prints what a person would look at, then cleans up every cgroup and process it made.
 */
@Command(
    name = "oomdoctor-demo",
    mixinStandardHelpOptions = true,
    description =
        "Runs OOM Doctor on this host against a leaking workload and a real kernel OOM kill.")
public final class Demo implements Callable<Integer> {
  static final String NS = "shop";
  static final String APP = "web";

  @Option(
      names = "--keep-running",
      description = "Leave the API server up (until interrupted) to try kubectl against it")
  boolean keepRunning;

  @Option(
      names = "--state-dir",
      description =
          "Where the kubeconfig, logs and the agent's cursor go (default: a new temp dir)")
  Path stateDir;

  @Option(
      names = "--replay",
      description = "Replay a recorded kernel report even where real kills can be made")
  boolean forceReplay;

  @Option(names = "--verbose", description = "Log what the operator, agent and kubelet do")
  boolean verbose;

  public static void main(String[] args) {
    // Logs would bury what the demo prints; --verbose shows them.
    boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn");
    System.exit(new CommandLine(new Demo()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Instant started = Instant.now();
    Path state = stateDir != null ? stateDir : Files.createTempDirectory("oomdoctor-demo-");
    String why = forceReplay ? "--replay was given" : Host.cannotKill();
    boolean replay = why != null;
    say("OOM Doctor demo");
    if (replay) {
      say("Real kernel OOM kills cannot be made here: " + why + ".");
      say("REPLAY: a kernel OOM report recorded on Linux 6.18 is replayed instead of a live kill.");
    }
    Path replayFile = replay ? state.resolve("replay.kmsg") : null;
    CountDownLatch done = new CountDownLatch(1);
    try (LocalCluster cluster = new LocalCluster(state, replayFile, FakeKubelet.Driver.CGROUPFS)) {
      Thread hook =
          new Thread(
              () -> {
                cluster.close();
                done.countDown();
              },
              "demo-cleanup");
      Runtime.getRuntime().addShutdownHook(hook);
      KubernetesClient k = cluster.api().client();
      Path kubeconfig = cluster.api().writeKubeconfig(state.resolve("kubeconfig"), NS);
      say("API server  " + cluster.api().kubectlUrl() + "  (kubeconfig: " + kubeconfig + ")");
      if (!replay) {
        say("cgroups     " + cluster.cgroupRoot() + "  (kubelet cgroupfs layout)");
      }
      k.namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
          .create();
      k.resource(policy()).create();
      say(
          "Created OomPolicy "
              + NS
              + "/"
              + APP
              + " (mode Recommend) and Deployment "
              + NS
              + "/"
              + APP
              + ": container app leaks 2 MiB every 250 ms under a 64Mi limit.");
      if (!replay) {
        k.resource(deployment()).create();
        cluster.kubelet().restartDelayMs(3000);
        cluster.startAgent();
      } else {
        Pod pod = replayPod(k);
        prepareReplay(replayFile, pod);
        waitFor(Duration.ofSeconds(10), cluster::podsSynced);
        cluster.startAgent();
      }
      OomKill kill =
          waitFor(
              Duration.ofSeconds(45),
              () ->
                  k.resources(OomKill.class).inNamespace(NS).list().getItems().stream()
                      .filter(o -> o.getStatus() != null && o.getStatus().cause != null)
                      .findFirst()
                      .orElse(null));
      if (kill == null) {
        say("No OomKill was diagnosed within 45 s; see the logs in " + state.resolve("logs"));
        return 1;
      }
      Recommendation rec =
          waitFor(
              Duration.ofSeconds(15),
              () -> {
                OomPolicy p = k.resources(OomPolicy.class).inNamespace(NS).withName(APP).get();
                return p == null || p.getStatus() == null || p.getStatus().recommendations.isEmpty()
                    ? null
                    : p.getStatus().recommendations.get(0);
              });
      String pod = kill.getSpec().pod.name;
      waitFor(
          Duration.ofSeconds(10),
          () ->
              k.v1().events().inNamespace(NS).list().getItems().stream()
                  .filter(e -> pod.equals(e.getInvolvedObject().getName()))
                  .findFirst()
                  .orElse(null));
      long seconds = Duration.between(started, Instant.now()).toSeconds();
      say("");
      say(
          "The kernel killed "
              + kill.getSpec().report.process
              + " (pid "
              + kill.getSpec().report.pid
              + ") in pod "
              + pod
              + (replay ? " [REPLAY]" : "")
              + "; OOM Doctor diagnosed it "
              + seconds
              + " s after the demo started.");
      section(
          "kubectl describe pod -n " + NS + " " + pod,
          kubectl(kubeconfig, "describe", "pod", "-n", NS, pod),
          () -> describe(k, pod));
      section(
          "kubectl get oompolicies,oomkills -A",
          kubectl(kubeconfig, "get", "oompolicies,oomkills", "-A"),
          () ->
              cluster.api().print("oompolicies", OomPolicy.class)
                  + "\n"
                  + cluster.api().print("oomkills", OomKill.class));
      section(
          "The OomKill's diagnosis (status)",
          null,
          () -> k.getKubernetesSerialization().asYaml(kill.getStatus()));
      section(
          "The OomPolicy's recommendation",
          null,
          () -> rec == null ? "(none yet)" : k.getKubernetesSerialization().asYaml(rec));
      if (!replay) {
        beforeTheCliff(k, kubeconfig);
      }
      if (keepRunning) {
        say("");
        say("The API server stays up until you press Ctrl-C. Try:");
        say("  export KUBECONFIG=" + kubeconfig);
        say("  kubectl get oompolicies,oomkills -A");
        say("  kubectl describe pod -n " + NS + " " + pod);
        say("  kubectl get oomkill -n " + NS + " " + kill.getMetadata().getName() + " -o yaml");
        say("  kubectl get oompolicy -n " + NS + " " + APP + " -o yaml");
        if (!replay) {
          say("  kubectl get oomrisks -n " + NS);
          say("  kubectl get events -n " + NS + " --field-selector reason=OOMRisk");
          say("  kubectl get oompolicy -n " + NS + " " + GROWER + " -o jsonpath='{.status.risks}'");
        }
        done.await();
        return 0;
      }
      Runtime.getRuntime().removeShutdownHook(hook);
    }
    say("");
    say("Cleaned up: every process, cgroup and the API server the demo made are gone.");
    return 0;
  }

  static final String GROWER = "grower";
  static final String EVENT_COLUMNS =
      "custom-columns=TYPE:.type,REASON:.reason,OBJECT:.involvedObject.name,COUNT:.count,"
          + "MESSAGE:.message";
  static final String JVM = "api";

  /**
   * Before the cliff: a Deployment whose memory grows steadily toward its limit gets an OOMRisk
   * Warning before the kernel kills it, and a JVM whose -Xmx is above its limit gets a
   * MemoryMisconfigured Warning at start, before any kill. The agent's risk windows are those of
   * production divided by 60 here (sustained 10 s instead of 10 min, a horizon of 60 s instead of
   * an hour).
   */
  private static void beforeTheCliff(KubernetesClient k, Path kubeconfig)
      throws InterruptedException {
    say("");
    say(
        "Before the cliff: Deployment "
            + NS
            + "/"
            + GROWER
            + " grows 8 MiB a second toward its"
            + " 160Mi limit; Deployment "
            + NS
            + "/"
            + JVM
            + " runs a JVM with -Xmx256m under a 128Mi"
            + " limit. (Risk windows are compressed 60 times in the demo.)");
    k.resource(policy(GROWER)).create();
    k.resource(deployment(GROWER, "160Mi", "memhog", "--step-mb", "1", "--interval-ms", "250"))
        .create();
    k.resource(
            deployment(
                JVM,
                "128Mi",
                "java",
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                "@demo-classpath",
                JvmWorkload.class.getName(),
                "16"))
        .create();
    Event misconfigured =
        waitFor(Duration.ofSeconds(30), () -> event(k, JVM, "MemoryMisconfigured"));
    Event risk = waitFor(Duration.ofSeconds(45), () -> event(k, GROWER, "OOMRisk"));
    if (misconfigured != null) {
      eventsSection(kubeconfig, misconfigured);
      say("No kill of " + JVM + " so far: " + killsOf(k, JVM).count() + " OomKills.");
    } else {
      say("No MemoryMisconfigured Event within 30 s.");
    }
    if (risk == null) {
      say("No OOMRisk Event for " + GROWER + " within 45 s.");
      return;
    }
    Instant warned = Instant.now();
    long before = killsOf(k, GROWER).count();
    eventsSection(kubeconfig, risk);
    section(
        "kubectl get oomrisks -n " + NS,
        kubectl(kubeconfig, "get", "oomrisks", "-n", NS),
        () -> "(see kubectl get oomrisks)");
    say("OomKills of " + GROWER + " when the warning came: " + before + ".");
    OomKill kill =
        waitFor(Duration.ofSeconds(60), () -> killsOf(k, GROWER).findFirst().orElse(null));
    if (kill != null) {
      say(
          "The kernel killed "
              + GROWER
              + " "
              + Math.max(0, Duration.between(warned, Instant.now()).toSeconds())
              + " s after the OOMRisk warning.");
    }
  }

  /** The Events of one reason, as kubectl lists them (or the one found, without kubectl). */
  private static void eventsSection(Path kubeconfig, Event e) {
    section(
        "kubectl get events -n "
            + NS
            + " --field-selector reason="
            + e.getReason()
            + " -o custom-columns=…",
        kubectl(
            kubeconfig,
            "get",
            "events",
            "-n",
            NS,
            "--field-selector",
            "reason=" + e.getReason(),
            "-o",
            EVENT_COLUMNS),
        () -> line(e));
  }

  private static Event event(KubernetesClient k, String app, String reason) {
    return k.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> reason.equals(e.getReason()))
        .filter(e -> e.getInvolvedObject().getName().startsWith(app + "-"))
        .findFirst()
        .orElse(null);
  }

  /** The OomKills of an app's pods. */
  private static java.util.stream.Stream<OomKill> killsOf(KubernetesClient k, String app) {
    return k.resources(OomKill.class).inNamespace(NS).list().getItems().stream()
        .filter(o -> o.getSpec().pod != null && o.getSpec().pod.name != null)
        .filter(o -> o.getSpec().pod.name.startsWith(app + "-"));
  }

  private static String line(Event e) {
    return e.getType()
        + "  "
        + e.getReason()
        + "  pod/"
        + e.getInvolvedObject().getName()
        + "  "
        + e.getMessage();
  }

  static OomPolicy policy(String app) {
    OomPolicy p = policy();
    p.getMetadata().setName(app);
    p.getSpec().selector.matchLabels = Map.of("app", app);
    return p;
  }

  static io.fabric8.kubernetes.api.model.apps.Deployment deployment(
      String app, String limit, String... command) {
    var d = deployment();
    d.getMetadata().setName(app);
    d.getSpec().getSelector().setMatchLabels(Map.of("app", app));
    d.getSpec().getTemplate().getMetadata().setLabels(Map.of("app", app));
    var c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
    c.setCommand(List.of(command));
    c.setImage("example.com/shop/" + app + ":1.0.0");
    c.getResources().setLimits(Map.of("memory", new Quantity(limit)));
    return d;
  }

  static OomPolicy policy() {
    OomPolicy p = new OomPolicy();
    p.getMetadata().setName(APP);
    p.getMetadata().setNamespace(NS);
    OomPolicySpec s = new OomPolicySpec();
    s.selector = new PodSelector();
    s.selector.matchLabels = Map.of("app", APP);
    s.mode = OomPolicySpec.Mode.Recommend;
    s.minLimit = "64Mi";
    s.maxLimit = "1Gi";
    p.setSpec(s);
    return p;
  }

  static io.fabric8.kubernetes.api.model.apps.Deployment deployment() {
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName(APP)
        .withNamespace(NS)
        .endMetadata()
        .withNewSpec()
        .withReplicas(1)
        .withNewSelector()
        .addToMatchLabels("app", APP)
        .endSelector()
        .withNewTemplate()
        .withNewMetadata()
        .addToLabels("app", APP)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("app")
        .withImage("example.com/shop/web:1.4.2")
        .withCommand("memhog", "--step-mb", "2", "--interval-ms", "250")
        .withNewResources()
        .addToLimits("memory", new Quantity("64Mi"))
        .addToRequests("memory", new Quantity("32Mi"))
        .endResources()
        .endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  /** The pod a kubelet would have made, for a replay (there is no process to run). */
  static Pod replayPod(KubernetesClient k) {
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName(APP + "-7d4b9c-x2x7q")
            .withNamespace(NS)
            .addToLabels("app", APP)
            .endMetadata()
            .withSpec(deployment().getSpec().getTemplate().getSpec())
            .build();
    pod.getSpec().setNodeName(LocalCluster.NODE);
    pod = k.resource(pod).create();
    String cid = (UUID.randomUUID().toString() + UUID.randomUUID()).replace("-", "");
    pod.setStatus(
        new PodStatusBuilder()
            .withPhase("Running")
            .withQosClass("Burstable")
            .withContainerStatuses(
                new ContainerStatusBuilder()
                    .withName("app")
                    .withContainerID("containerd://" + cid)
                    .withRestartCount(0)
                    .withReady(true)
                    .build())
            .build());
    return k.resource(pod).updateStatus();
  }

  /** The recorded report with its pod UID and container ID replaced by the replay pod's. */
  static void prepareReplay(Path file, Pod pod) throws IOException {
    String recorded;
    try (InputStream in =
        Demo.class.getResourceAsStream("replay/6.18-v1-cgroupfs-container-limit.kmsg")) {
      recorded = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
    String cid =
        pod.getStatus().getContainerStatuses().get(0).getContainerID().replace("containerd://", "");
    String text =
        recorded
            .replace("8f3c2a4e-1b7d-4c9a-9e2f-5d6a7b8c9d01", pod.getMetadata().getUid())
            .replace("3aa524735953bba4ebc64dfd3f0080cb4ac9790f83675e0b77ff9414c0165df0", cid);
    Files.writeString(file, text, StandardCharsets.ISO_8859_1);
  }

  /** Runs the real kubectl against the demo's API server; null when kubectl is not installed. */
  static String kubectl(Path kubeconfig, String... args) {
    if (!io.oomdoctor.agent.Which.onPath("kubectl")
        || Boolean.getBoolean("oomdoctor.demo.noKubectl")) {
      return null;
    }
    List<String> cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(30, TimeUnit.SECONDS);
      return out;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** The Events part of {@code kubectl describe pod}, for hosts without kubectl. */
  static String describe(KubernetesClient k, String pod) {
    StringBuilder sb = new StringBuilder("Events:\n  Type     Reason     From       Message\n");
    for (Event e : k.v1().events().inNamespace(NS).list().getItems()) {
      if (pod.equals(e.getInvolvedObject().getName())) {
        sb.append("  ")
            .append(e.getType())
            .append("  ")
            .append(e.getReason())
            .append("  ")
            .append(e.getSource().getComponent())
            .append("  ")
            .append(e.getMessage())
            .append('\n');
      }
    }
    return sb.toString();
  }

  private static void section(String title, String kubectlOutput, Supplier<String> fallback) {
    say("");
    say("$ " + title);
    if (kubectlOutput == null && title.startsWith("kubectl")) {
      say("(kubectl is not installed here: the demo prints the same from the API server)");
    }
    String body = kubectlOutput != null ? kubectlOutput : fallback.get();
    System.out.print(body.endsWith("\n") ? body : body + "\n");
  }

  static void say(String line) {
    System.out.println(line);
    System.out.flush();
  }

  static <T> T waitFor(Duration max, Supplier<T> probe) throws InterruptedException {
    long end = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < end) {
      T v;
      try {
        v = probe.get();
      } catch (RuntimeException e) {
        v = null;
      }
      if (v != null && !Boolean.FALSE.equals(v)) {
        return v;
      }
      Thread.sleep(200);
    }
    return null;
  }
}
