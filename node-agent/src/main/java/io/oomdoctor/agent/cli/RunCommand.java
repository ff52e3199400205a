package io.oomdoctor.agent.cli;

import io.oomdoctor.agent.Agent;
import io.oomdoctor.agent.AgentConfig;
import io.oomdoctor.agent.export.Exporter;
import io.oomdoctor.agent.export.KubernetesExporter;
import io.oomdoctor.agent.export.StdoutExporter;
import io.oomdoctor.agent.kube.KubeConnection;
import io.oomdoctor.agent.metrics.AgentMetrics;
import io.oomdoctor.agent.pod.PodResolver;
import io.oomdoctor.agent.pod.PodWatcher;
import io.oomdoctor.common.HttpEndpoint;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The daemon. */
@Command(
    name = "run",
    description = "Follow the kernel log and export every OOM kill (the DaemonSet's command).")
final class RunCommand implements Callable<Integer> {
  enum ExporterKind {
    kubernetes,
    stdout
  }

  @Mixin HostOptions host;

  @Option(
      names = "--node-name",
      defaultValue = "${env:NODE_NAME}",
      description = "This node's name (env NODE_NAME; default: the host name).")
  String nodeName;

  @Option(
      names = "--interval",
      defaultValue = "${env:OOMDOCTOR_INTERVAL:-10s}",
      description = "Cgroup sampling interval (env OOMDOCTOR_INTERVAL; default ${DEFAULT-VALUE}).")
  Duration interval;

  @Option(
      names = "--exporter",
      defaultValue = "${env:OOMDOCTOR_EXPORTER:-kubernetes}",
      description =
          "kubernetes (create OomKill resources) or stdout (one JSON line per kill); env OOMDOCTOR_EXPORTER, default ${DEFAULT-VALUE}.")
  ExporterKind exporter;

  @Option(
      names = "--namespace",
      defaultValue = "${env:POD_NAMESPACE:-oomdoctor-system}",
      description =
          "Namespace for kills without a pod (env POD_NAMESPACE; default ${DEFAULT-VALUE}).")
  String namespace;

  @Option(
      names = "--state-dir",
      defaultValue = "${env:OOMDOCTOR_STATE_DIR:-/var/lib/oomdoctor}",
      description =
          "Where the kernel log cursor is kept across restarts (env OOMDOCTOR_STATE_DIR; default ${DEFAULT-VALUE}).")
  Path stateDir;

  @Option(
      names = "--metrics-port",
      defaultValue = "${env:OOMDOCTOR_METRICS_PORT:-9402}",
      description =
          "Port of /metrics, /healthz and /readyz; 0 turns them off (env OOMDOCTOR_METRICS_PORT; default ${DEFAULT-VALUE}).")
  int metricsPort;

  @Option(
      names = "--read-environment",
      defaultValue = "${env:OOMDOCTOR_READ_ENVIRONMENT:-false}",
      description =
          "Read JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS, NODE_OPTIONS, GOMEMLIMIT and GOGC (and nothing else) from each process's environment; needs CAP_SYS_PTRACE (env OOMDOCTOR_READ_ENVIRONMENT; default ${DEFAULT-VALUE}).")
  boolean readEnvironment;

  @Option(
      names = "--queue-capacity",
      defaultValue = "${env:OOMDOCTOR_QUEUE_CAPACITY:-1000}",
      description =
          "Kills held while the API server is unreachable (env OOMDOCTOR_QUEUE_CAPACITY; default ${DEFAULT-VALUE}).")
  int queueCapacity;

  @Option(
      names = "--pod-field-selector",
      defaultValue = "${env:OOMDOCTOR_POD_FIELD_SELECTOR:-true}",
      arity = "1",
      description =
          "Ask the API server for this node's pods only (spec.nodeName field selector). Turn off only for API servers that lack it, such as test doubles; the node is checked on each pod either way (env OOMDOCTOR_POD_FIELD_SELECTOR; default ${DEFAULT-VALUE}).")
  boolean podFieldSelector;

  @Override
  public Integer call() throws Exception {
    String problem = host.check();
    if (problem != null) {
      System.err.println("oomdoctor-agent: " + problem);
      return 2;
    }
    if (interval.isNegative() || interval.isZero()) {
      System.err.println("oomdoctor-agent: --interval must be positive");
      return 2;
    }
    String node = nodeName != null && !nodeName.isBlank() ? nodeName : hostName();
    AgentMetrics metrics = new AgentMetrics();
    PodResolver pods = PodResolver.NONE;
    Exporter out;
    if (exporter == ExporterKind.kubernetes) {
      KubeConnection api = KubeConnection.autoConfigure();
      pods = new PodWatcher(api, node, podFieldSelector);
      out =
          new KubernetesExporter(
              api, namespace, queueCapacity, Duration.ofSeconds(1), Duration.ofMinutes(1), metrics);
    } else {
      out = new StdoutExporter(System.out, metrics);
    }
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
    Agent agent = new Agent(config, out, pods, metrics, Clock.systemUTC());
    HttpEndpoint http =
        metricsPort > 0 ? new HttpEndpoint(metricsPort, metrics::scrape, agent::ready) : null;
    CountDownLatch stopped = new CountDownLatch(1);
    PodResolver podsToClose = pods;
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  agent.close();
                  out.close();
                  podsToClose.close();
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
