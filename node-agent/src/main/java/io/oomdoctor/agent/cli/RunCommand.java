package io.oomdoctor.agent.cli;

import io.oomdoctor.agent.AgentConfig;
import io.oomdoctor.agent.AgentNode;
import io.oomdoctor.agent.export.KubernetesExporter;
import io.oomdoctor.agent.kube.KubeConnection;
import io.oomdoctor.agent.metrics.AgentMetrics;
import io.oomdoctor.common.HttpEndpoint;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;

/** The daemon. */
final class RunCommand {
  private final HostOptions host;
  private final String nodeName;
  private final Duration interval;
  private final String exporter;
  private final String namespace;
  private final Path stateDir;
  private final int metricsPort;
  private final boolean readEnvironment;
  private final int queueCapacity;
  private final int apiQps;
  private final int apiBurst;
  private final boolean podFieldSelector;
  private final boolean docker;
  private final boolean exporterGiven;
  private final String dockerHost;

  static Options options(Function<String, String> env) {
    return HostOptions.add(
            new Options(
                "run",
                "Follow the kernel log and export every OOM kill (the DaemonSet's command).",
                env))
        .value(
            "--node-name", "NAME", "NODE_NAME", null, "This node's name (default: the host name).")
        .value("--interval", "DURATION", "OOMDOCTOR_INTERVAL", "10s", "Cgroup sampling interval.")
        .value(
            "--exporter",
            "KIND",
            "OOMDOCTOR_EXPORTER",
            "kubernetes",
            "kubernetes (create OomKill resources) or stdout (one JSON line per kill).")
        .flag(
            "--docker",
            "OOMDOCTOR_DOCKER",
            false,
            "A Docker host: attribute each kill to its container through the Docker engine,"
                + " diagnose it here, print it as a JSON line on stdout, count it in the metrics"
                + " and record it in --state-dir for `doctor`. Chosen by itself when there is no"
                + " Kubernetes (no in-cluster service, no kubeconfig) but a Docker engine.")
        .value(
            "--docker-host",
            "URL",
            "DOCKER_HOST",
            io.oomdoctor.agent.docker.DockerEngine.DEFAULT_HOST,
            "The Docker engine: for --docker, and on Kubernetes nodes whose runtime is Docker"
                + " (cri-dockerd) to find a container's pod by its labels.")
        .value(
            "--namespace",
            "NAMESPACE",
            "POD_NAMESPACE",
            "oomdoctor-system",
            "Namespace for kills without a pod.")
        .value(
            "--state-dir",
            "PATH",
            "OOMDOCTOR_STATE_DIR",
            "/var/lib/oomdoctor",
            "Where the kernel log cursor is kept across restarts.")
        .value(
            "--metrics-port",
            "PORT",
            "OOMDOCTOR_METRICS_PORT",
            "9402",
            "Port of /metrics, /healthz and /readyz; 0 turns them off.")
        .flag(
            "--read-environment",
            "OOMDOCTOR_READ_ENVIRONMENT",
            false,
            "Read JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS, NODE_OPTIONS, GOMEMLIMIT and GOGC (and"
                + " nothing else) from each process's environment; needs CAP_SYS_PTRACE.")
        .value(
            "--queue-capacity",
            "N",
            "OOMDOCTOR_QUEUE_CAPACITY",
            "1000",
            "OomKills held while the API server is unreachable (also at most 4 MiB of them).")
        .value(
            "--api-qps",
            "N",
            "OOMDOCTOR_API_QPS",
            "5",
            "OomKills created per second at most, in the long run; while one waits its turn,"
                + " further kills of its container are counted into it (spec.repeats).")
        .value(
            "--api-burst",
            "N",
            "OOMDOCTOR_API_BURST",
            "10",
            "OomKills created at once after a quiet spell.")
        .flag(
            "--pod-field-selector",
            "OOMDOCTOR_POD_FIELD_SELECTOR",
            true,
            "Ask the API server for this node's pods only (spec.nodeName field selector). Turn off"
                + " only for API servers that lack it, such as test doubles; the node is checked"
                + " on each pod either way.");
  }

  RunCommand(Options o) throws Options.UsageException {
    this.host = new HostOptions(o);
    this.nodeName = o.string("--node-name");
    this.interval = o.duration("--interval");
    this.exporter = o.choice("--exporter", "kubernetes", "stdout");
    this.namespace = o.string("--namespace");
    this.stateDir = o.path("--state-dir");
    this.metricsPort = o.integer("--metrics-port");
    this.readEnvironment = o.bool("--read-environment");
    this.queueCapacity = o.integer("--queue-capacity");
    this.apiQps = o.integer("--api-qps");
    this.apiBurst = o.integer("--api-burst");
    this.podFieldSelector = o.bool("--pod-field-selector");
    this.docker = o.bool("--docker");
    this.exporterGiven = o.given("--exporter");
    this.dockerHost = o.string("--docker-host");
  }

  /** Where the Docker engine listens, when it is a socket file here that exists. */
  private boolean dockerSocketHere() {
    return dockerHost.startsWith("unix://")
        && java.nio.file.Files.exists(Path.of(dockerHost.substring("unix://".length())));
  }

  /** No sign of Kubernetes: no in-cluster service and no kubeconfig. */
  private static boolean noKubernetes() {
    if (System.getenv("KUBERNETES_SERVICE_HOST") != null || System.getenv("KUBECONFIG") != null) {
      return false;
    }
    String home = System.getProperty("user.home");
    return home == null || !java.nio.file.Files.exists(Path.of(home, ".kube", "config"));
  }

  int call() throws Exception {
    String problem = host.check();
    if (problem != null) {
      System.err.println("oomdoctor-agent: " + problem);
      return 2;
    }
    if (apiQps < 1 || apiBurst < 1) {
      System.err.println("oomdoctor-agent: --api-qps and --api-burst must be at least 1");
      return 2;
    }
    if (interval.isNegative() || interval.isZero()) {
      System.err.println("oomdoctor-agent: --interval must be positive");
      return 2;
    }
    String node = nodeName != null && !nodeName.isBlank() ? nodeName : hostName();
    AgentMetrics metrics = new AgentMetrics();
    AgentConfig config =
        new AgentConfig(
            node,
            host.kmsg,
            host.cgroupRoot(),
            host.hierarchyRoot(),
            host.procRoot,
            interval,
            stateDir,
            readEnvironment,
            namespace);
    boolean dockerMode = docker || (!exporterGiven && noKubernetes() && dockerSocketHere());
    if (dockerMode && !docker) {
      System.err.println(
          "oomdoctor-agent: no Kubernetes here, but a Docker engine at "
              + dockerHost
              + ": following its containers (--docker)");
    }
    AgentNode agent =
        dockerMode
            ? AgentNode.docker(
                config,
                io.oomdoctor.agent.docker.DockerEngine.connect(dockerHost),
                System.out,
                metrics,
                Clock.systemUTC())
            : exporter.equals("kubernetes")
                ? AgentNode.kubernetes(
                    config,
                    KubeConnection.autoConfigure(),
                    new AgentNode.Export(
                        queueCapacity,
                        KubernetesExporter.DEFAULT_MAX_QUEUED_BYTES,
                        apiQps,
                        apiBurst,
                        Duration.ofSeconds(1),
                        Duration.ofMinutes(1)),
                    podFieldSelector,
                    dockerSocketHere()
                        ? io.oomdoctor.agent.docker.DockerEngine.connect(dockerHost)
                        : null,
                    metrics,
                    Clock.systemUTC())
                : AgentNode.stdout(config, System.out, metrics, Clock.systemUTC());
    HttpEndpoint http =
        metricsPort > 0
            ? new HttpEndpoint(metricsPort, metrics::scrape, agent::ready, agent::liveProblem)
            : null;
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  agent.close();
                  if (http != null) {
                    http.close();
                  }
                  stopped.countDown();
                },
                "shutdown"));
    agent.start();
    stopped.await();
    return 0;
  }

  private static String hostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      return "localhost";
    }
  }
}
