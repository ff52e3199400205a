package io.oomdoctor.agent.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.oomdoctor.agent.proc.RuntimeFlags;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The Docker Engine API over its socket (docker-java; no Docker CLI needed). */
public final class DockerEngine implements AutoCloseable {
  /** Where the engine listens unless DOCKER_HOST or --docker-host says otherwise. */
  public static final String DEFAULT_HOST = "unix:///var/run/docker.sock";

  private final DockerClient client;
  private final String host;

  private DockerEngine(DockerClient client, String host) {
    this.client = client;
    this.host = host;
  }

  /** Connects (lazily: the first call talks to the engine). */
  public static DockerEngine connect(String host) {
    DefaultDockerClientConfig config =
        DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(host).build();
    DockerHttpClient http =
        new ZerodepDockerHttpClient.Builder()
            .dockerHost(config.getDockerHost())
            .sslConfig(config.getSSLConfig())
            .maxConnections(4)
            .connectionTimeout(Duration.ofSeconds(5))
            .responseTimeout(Duration.ofSeconds(30))
            .build();
    return new DockerEngine(DockerClientImpl.getInstance(config, http), host);
  }

  public String host() {
    return host;
  }

  public DockerClient client() {
    return client;
  }

  /**
   * The container by name or ID (a unique prefix will do), or null when the engine knows none.
   *
   * @throws RuntimeException when the engine cannot be reached
   */
  public ContainerFacts inspect(String nameOrId) {
    InspectContainerResponse r;
    try {
      r = client.inspectContainerCmd(nameOrId).exec();
    } catch (NotFoundException e) {
      return null;
    }
    return facts(r);
  }

  static ContainerFacts facts(InspectContainerResponse r) {
    var state = r.getState();
    HostConfig hc = r.getHostConfig();
    var config = r.getConfig();
    Map<String, String> labels =
        config == null || config.getLabels() == null ? Map.of() : config.getLabels();
    List<String> command = new ArrayList<>();
    if (r.getPath() != null) {
      command.add(r.getPath());
    }
    if (r.getArgs() != null) {
      command.addAll(List.of(r.getArgs()));
    }
    Map<String, String> env = new LinkedHashMap<>();
    if (config != null && config.getEnv() != null) {
      for (String e : config.getEnv()) {
        int eq = e.indexOf('=');
        if (eq > 0 && RuntimeFlags.ENV_WHITELIST.contains(e.substring(0, eq))) {
          env.put(e.substring(0, eq), e.substring(eq + 1));
        }
      }
    }
    String name = r.getName() == null ? null : r.getName().replaceFirst("^/", "");
    return new ContainerFacts(
        r.getId(),
        name,
        config == null ? null : config.getImage(),
        state == null ? null : state.getStatus(),
        state != null && Boolean.TRUE.equals(state.getRunning()),
        state == null ? null : state.getExitCodeLong(),
        state == null ? null : state.getOOMKilled(),
        r.getRestartCount(),
        hc == null || hc.getRestartPolicy() == null ? null : hc.getRestartPolicy().getName(),
        state == null ? null : state.getPidLong(),
        state == null ? null : state.getStartedAt(),
        state == null ? null : state.getFinishedAt(),
        hc == null ? null : hc.getMemory(),
        hc == null ? null : hc.getMemorySwap(),
        hc == null ? null : hc.getMemoryReservation(),
        hc == null ? null : hc.getOomKillDisable(),
        hc == null ? null : hc.getOomScoreAdj(),
        labels.get("com.docker.compose.project"),
        labels.get("com.docker.compose.service"),
        command,
        env,
        labels.get("io.kubernetes.pod.uid"));
  }

  @Override
  public void close() throws IOException {
    client.close();
  }
}
