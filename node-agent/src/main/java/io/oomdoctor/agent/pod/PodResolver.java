package io.oomdoctor.agent.pod;

import io.oomdoctor.model.evidence.PodReference;

/** Finds the pod and container of a kill on this node. */
public interface PodResolver extends AutoCloseable {
  /**
   * The pod with this UID, with the container whose ID matches (current or last state); null when
   * the pod is not known. {@code containerId} may be null (pod-level cgroup).
   */
  PodReference resolve(String podUid, String containerId);

  /**
   * A container that no pod UID leads to (a plain Docker container, or a Kubernetes one whose
   * cgroup path does not carry its pod): what is known of it, or null.
   */
  default PodReference resolveContainer(String containerId) {
    return null;
  }

  /** The pod UID a container runtime's own labels give the container, or null. */
  default String podUidOfContainer(String containerId) {
    return null;
  }

  /** The runtime named by the pod's container status (containerd://, cri-o://, docker://). */
  default String runtimeOf(String podUid, String containerId) {
    return null;
  }

  /** What keeps pods from being known (a stopped watch), or null when nothing does. */
  default String liveProblem() {
    return null;
  }

  /**
   * Whether the pods of the node have been listed once (always, for a resolver that lists none).
   */
  default boolean synced() {
    return true;
  }

  @Override
  default void close() {}

  /** For hosts without Kubernetes, and for `parse`/`scan`. */
  PodResolver NONE = (uid, cid) -> null;
}
