package io.oomdoctor.agent;

import io.oomdoctor.agent.docker.DockerContainers;
import io.oomdoctor.agent.docker.DockerEngine;
import io.oomdoctor.agent.docker.DockerExporter;
import io.oomdoctor.agent.docker.KillLog;
import io.oomdoctor.agent.export.Exporter;
import io.oomdoctor.agent.export.KubernetesExporter;
import io.oomdoctor.agent.export.StdoutExporter;
import io.oomdoctor.agent.kube.KubeConnection;
import io.oomdoctor.agent.metrics.AgentMetrics;
import io.oomdoctor.agent.pod.PodResolver;
import io.oomdoctor.agent.pod.PodWatcher;
import io.oomdoctor.agent.risk.ApiRiskExporter;
import io.oomdoctor.agent.risk.StdoutRiskExporter;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;

/**
 * One node's agent, wired: the kernel-log reader and sampler ({@link Agent}), the watch of the
 * node's pods and the exporter of OomKills. {@code oomdoctor-agent run} and the demo both build the
 * agent here, so that what the demo shows is what a node runs.
 */
public final class AgentNode implements AutoCloseable {
  /**
   * How kills go to the API server.
   *
   * @param queueCapacity OomKills waiting at most
   * @param maxQueuedBytes bytes of OomKill bodies waiting at most
   * @param qps OomKills created per second in the long run
   * @param burst OomKills created at once after a quiet spell
   * @param initialBackoff the first wait after a failed write
   * @param maxBackoff the longest wait between attempts
   */
  public record Export(
      int queueCapacity,
      long maxQueuedBytes,
      double qps,
      int burst,
      Duration initialBackoff,
      Duration maxBackoff) {

    public static Export defaults() {
      return new Export(
          1000,
          KubernetesExporter.DEFAULT_MAX_QUEUED_BYTES,
          KubernetesExporter.DEFAULT_QPS,
          KubernetesExporter.DEFAULT_BURST,
          Duration.ofSeconds(1),
          Duration.ofMinutes(1));
    }
  }

  /** OomRisk writes per second at most (risks change slowly; kills go first). */
  static final double RISK_QPS = 2;

  private final Agent agent;
  private final Exporter exporter;
  private final PodResolver pods;

  private AgentNode(Agent agent, Exporter exporter, PodResolver pods, AgentMetrics metrics) {
    this.agent = agent;
    this.exporter = exporter;
    this.pods = pods;
    metrics.gauge(
        "oomdoctor.agent.live",
        "1 while the kernel-log reader, the sampler, the exporter and the pod watch all make"
            + " progress (what /healthz checks), else 0",
        () -> liveProblem() == null ? 1 : 0);
  }

  /** An agent that knows the node's pods and writes OomKills to the API server. */
  public static AgentNode kubernetes(
      AgentConfig config,
      KubeConnection api,
      Export export,
      boolean podFieldSelector,
      AgentMetrics metrics,
      Clock clock) {
    return kubernetes(config, api, export, podFieldSelector, null, metrics, clock);
  }

  /**
   * As above; with {@code docker} (a node whose runtime is Docker), a container whose cgroup path
   * names no pod is found by Docker's io.kubernetes.* labels.
   */
  public static AgentNode kubernetes(
      AgentConfig config,
      KubeConnection api,
      Export export,
      boolean podFieldSelector,
      DockerEngine docker,
      AgentMetrics metrics,
      Clock clock) {
    PodResolver watcher = new PodWatcher(api, config.nodeName(), podFieldSelector);
    PodResolver pods =
        docker == null ? watcher : withDockerLabels(watcher, new DockerContainers(docker).start());
    Exporter out =
        new KubernetesExporter(
            api,
            config.namespace(),
            export.queueCapacity(),
            export.maxQueuedBytes(),
            export.qps(),
            export.burst(),
            export.initialBackoff(),
            export.maxBackoff(),
            metrics);
    Agent agent = new Agent(config, out, pods, metrics, clock);
    agent.risks().exporter(new ApiRiskExporter(api, metrics, RISK_QPS));
    return new AgentNode(agent, out, pods, metrics);
  }

  /**
   * An agent on a Docker host: each kill attributed to its container through the engine, diagnosed
   * here, printed as one JSON line on {@code out}, counted in the metrics by container, image and
   * cause, and recorded in the state directory for {@code doctor}.
   */
  public static AgentNode docker(
      AgentConfig config, DockerEngine engine, PrintStream out, AgentMetrics metrics, Clock clock) {
    DockerContainers containers = new DockerContainers(engine).start();
    Exporter exporter = new DockerExporter(out, metrics, new KillLog(config.stateDir()));
    return new AgentNode(
        new Agent(config, exporter, containers, metrics, clock), exporter, containers, metrics);
  }

  /**
   * The pods of a Kubernetes node, and, for a container whose cgroup path names no pod (the node's
   * runtime is Docker through cri-dockerd), the pod from Docker's labels.
   */
  public static PodResolver withDockerLabels(PodResolver pods, DockerContainers docker) {
    return new PodResolver() {
      @Override
      public io.oomdoctor.model.evidence.PodReference resolve(String podUid, String containerId) {
        return pods.resolve(podUid, containerId);
      }

      @Override
      public String podUidOfContainer(String containerId) {
        return docker.podUidOfContainer(containerId);
      }

      @Override
      public String runtimeOf(String podUid, String containerId) {
        return pods.runtimeOf(podUid, containerId);
      }

      @Override
      public String liveProblem() {
        return pods.liveProblem();
      }

      @Override
      public boolean synced() {
        return pods.synced();
      }

      @Override
      public void close() {
        pods.close();
        docker.close();
      }
    };
  }

  /** An agent without Kubernetes: each kill is one JSON line on {@code out}. */
  public static AgentNode stdout(
      AgentConfig config, PrintStream out, AgentMetrics metrics, Clock clock) {
    Exporter exporter = new StdoutExporter(out, metrics);
    Agent agent = new Agent(config, exporter, PodResolver.NONE, metrics, clock);
    agent.risks().exporter(new StdoutRiskExporter(out));
    return new AgentNode(agent, exporter, PodResolver.NONE, metrics);
  }

  public AgentNode start() {
    agent.start();
    return this;
  }

  /** What has stopped making progress — the reader, the sampler, the exporter, the pod watch. */
  public String liveProblem() {
    for (String p :
        new String[] {agent.liveProblem(), exporter.liveProblem(), pods.liveProblem()}) {
      if (p != null) {
        return p;
      }
    }
    return null;
  }

  public boolean ready() {
    return agent.ready();
  }

  public Agent agent() {
    return agent;
  }

  public PodResolver pods() {
    return pods;
  }

  public Exporter exporter() {
    return exporter;
  }

  /** Stops reading, then delivers what it can, then stops watching pods. */
  @Override
  public void close() {
    agent.close();
    exporter.close();
    pods.close();
  }
}
