package io.oomdoctor.agent.docker;

import java.util.List;
import java.util.Map;

/**
 * What the Docker Engine says of one container: its state, its memory settings, how it was started.
 * Sizes in bytes; null where the engine did not say.
 *
 * @param memorySwapBytes {@code --memory-swap}: memory plus swap; -1 unlimited swap, null or 0 when
 *     unset (then twice the memory limit where swap is accounted)
 * @param runtimeEnv only the whitelisted variables that set language runtime caps
 * @param podUid the pod's UID from Docker's io.kubernetes.pod.uid label (cri-dockerd), or null
 */
public record ContainerFacts(
    String id,
    String name,
    String image,
    String status,
    boolean running,
    Long exitCode,
    Boolean oomKilled,
    Integer restartCount,
    String restartPolicy,
    Long pid,
    String startedAt,
    String finishedAt,
    Long memoryBytes,
    Long memorySwapBytes,
    Long reservationBytes,
    Boolean oomKillDisable,
    Integer oomScoreAdj,
    String composeProject,
    String composeService,
    List<String> command,
    Map<String, String> runtimeEnv,
    String podUid) {

  public String shortId() {
    return id == null ? null : id.substring(0, Math.min(12, id.length()));
  }

  /** A memory limit is set (Docker's 0 means none). */
  public boolean limited() {
    return memoryBytes != null && memoryBytes > 0;
  }
}
