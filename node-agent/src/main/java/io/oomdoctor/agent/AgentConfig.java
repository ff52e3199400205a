package io.oomdoctor.agent;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything the daemon touches on the host is a path here, so tests point it at real cgroups made
 * for them, or at fixture trees.
 *
 * @param nodeName this node's name (spec.nodeName of its pods)
 * @param kmsg the kernel log device
 * @param cgroupRoot the directory holding kubepods or kubepods.slice
 * @param hierarchyRoot the memory hierarchy's mount point (for paths outside kubepods)
 * @param procRoot /proc
 * @param interval sampling interval
 * @param stateDir where the kmsg cursor is kept; null keeps none
 * @param readEnvironment read the whitelisted runtime variables from /proc/PID/environ
 * @param namespace the agent's namespace, for kills without a pod
 */
public record AgentConfig(
    String nodeName,
    Path kmsg,
    Path cgroupRoot,
    Path hierarchyRoot,
    Path procRoot,
    Duration interval,
    Path stateDir,
    boolean readEnvironment,
    String namespace) {

  /** File name of the cursor inside the state directory. */
  public static final String CURSOR_FILE = "kmsg-cursor";

  public Path cursorFile() {
    return stateDir == null ? null : stateDir.resolve(CURSOR_FILE);
  }
}
