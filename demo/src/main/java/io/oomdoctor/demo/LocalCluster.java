package io.oomdoctor.demo;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.oomdoctor.agent.AgentConfig;
import io.oomdoctor.agent.AgentNode;
import io.oomdoctor.agent.export.KubernetesExporter;
import io.oomdoctor.agent.kmsg.Cursor;
import io.oomdoctor.agent.kube.KubeConnection;
import io.oomdoctor.agent.metrics.AgentMetrics;
import io.oomdoctor.diagnosis.DiagnosisSettings;
import io.oomdoctor.diagnosis.risk.RiskSettings;
import io.oomdoctor.operator.OomDoctorOperator;
import io.oomdoctor.operator.OperatorMetrics;
import io.oomdoctor.operator.OperatorSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/**
 * All of OOM Doctor on this host: the embedded API server, the operator, the node agent on the real
 * /dev/kmsg (or on a recorded report, for a replay), and the fake kubelet running workloads in real
 * cgroups. Used by the demo and by the end-to-end tests.
 */
public final class LocalCluster implements AutoCloseable {
  public static final String NODE = "demo-node";
  public static final String AGENT_NAMESPACE = "oomdoctor-system";

  /**
   * The diagnosis windows of the demo: a workload lives through in seconds what a real one does in
   * hours, so a leak is judged over 4 s, a startup over 3 s.
   */
  public static final DiagnosisSettings DEMO_DIAGNOSIS =
      DiagnosisSettings.DEFAULT.withWindows(4, 3, 600);

  /** The agent's risk windows divided by 60: sustained 10 s, a horizon of 60 s. */
  public static final RiskSettings DEMO_RISK = RiskSettings.defaults().compressed(60);

  private final EmbeddedApiServer api;
  private final Path state;
  private final Path cgroupRoot;
  private final OomDoctorOperator operator;
  private final AgentNode agent;
  private final FakeKubelet kubelet;
  private final SimpleMeterRegistry operatorMetrics = new SimpleMeterRegistry();
  private final AgentMetrics agentMetrics = new AgentMetrics();

  /**
   * @param state a directory for the agent's cursor, the workload logs and memhog
   * @param replay a recorded kmsg file to read instead of /dev/kmsg; null for real kills
   */
  public LocalCluster(Path state, Path replay, FakeKubelet.Driver driver)
      throws IOException, InterruptedException {
    this.state = state;
    Files.createDirectories(state);
    api = new EmbeddedApiServer();
    api.client()
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(AGENT_NAMESPACE)
                .endMetadata()
                .build())
        .create();
    api.client()
        .nodes()
        .resource(
            new NodeBuilder()
                .withNewMetadata()
                .withName(NODE)
                .endMetadata()
                .withNewStatus()
                .addToCapacity(
                    "memory", new Quantity(Long.toString(Runtime.getRuntime().maxMemory())))
                .endStatus()
                .build())
        .create();

    OperatorSettings settings =
        OperatorSettings.defaults()
            .withIdentity("oomdoctor-operator-0")
            .withApplyEnabled(true)
            .withDiagnosis(DEMO_DIAGNOSIS);
    operator =
        new OomDoctorOperator(
                api.client(),
                settings,
                new OperatorMetrics(operatorMetrics),
                Clock.systemUTC(),
                null,
                false)
            .start();

    Path agentState = Files.createDirectories(state.resolve("agent"));
    boolean live = replay == null;
    if (live) {
      Cursor end = Host.cursorAtEnd();
      end.store(agentState.resolve(AgentConfig.CURSOR_FILE));
      cgroupRoot =
          Host.selfMemcg()
              .resolve("oomdoctor-demo-" + UUID.randomUUID().toString().substring(0, 8));
      Files.createDirectories(cgroupRoot);
      Path memhog = Host.buildMemhog(state.resolve("bin"));
      Path java = Path.of(System.getProperty("java.home"), "bin", "java");
      api.serveLogsFrom(state.resolve("logs"));
      kubelet =
          new FakeKubelet(
                  api.client(),
                  NODE,
                  cgroupRoot,
                  driver,
                  Map.of("memhog", memhog, "java", java),
                  state.resolve("logs"))
              .start();
    } else {
      cgroupRoot = Files.createDirectories(state.resolve("no-cgroups"));
      kubelet = null;
    }
    AgentConfig config =
        new AgentConfig(
            NODE,
            live ? Host.KMSG : replay,
            cgroupRoot,
            live ? Host.MEMORY_MOUNT : cgroupRoot,
            Host.PROC,
            Duration.ofMillis(250),
            agentState,
            false,
            AGENT_NAMESPACE);
    // The node's wiring, as `oomdoctor-agent run` has it; only the backoff is shorter here.
    agent =
        AgentNode.kubernetes(
            config,
            KubeConnection.forUrl(api.url()),
            new AgentNode.Export(
                1000,
                KubernetesExporter.DEFAULT_MAX_QUEUED_BYTES,
                KubernetesExporter.DEFAULT_QPS,
                KubernetesExporter.DEFAULT_BURST,
                Duration.ofMillis(500),
                Duration.ofSeconds(10)),
            false,
            agentMetrics,
            Clock.systemUTC());
    agent.agent().risks().settings(DEMO_RISK);
  }

  /** Starts the agent (after the workloads' pods exist, for a replay). */
  public LocalCluster startAgent() {
    agent.start();
    return this;
  }

  public EmbeddedApiServer api() {
    return api;
  }

  public FakeKubelet kubelet() {
    return kubelet;
  }

  public Path cgroupRoot() {
    return cgroupRoot;
  }

  public boolean podsSynced() {
    return agent.pods().synced();
  }

  public AgentMetrics agentMetrics() {
    return agentMetrics;
  }

  public Path state() {
    return state;
  }

  @Override
  public void close() {
    if (kubelet != null) {
      kubelet.close();
    }
    agent.close();
    operator.close();
    api.close();
    FakeKubelet.removeCgroup(cgroupRoot);
  }
}
