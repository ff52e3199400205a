package io.oomdoctor.agent.cgroup;

/**
 * What a memory cgroup path says about its owner, per kubelet's naming for both cgroup drivers and
 * the usual container runtimes.
 *
 * @param podUid pod UID with dashes, or null
 * @param containerId container ID, or null (pod-level or non-pod cgroup)
 * @param runtime containerd, cri-o or docker when the path says so, else null
 * @param qosClass guaranteed, burstable or besteffort for pods, else null
 * @param driver cgroupfs or systemd for pods, else null
 * @param level one of {@link Level}
 */
public record CgroupPathInfo(
    String podUid,
    String containerId,
    String runtime,
    String qosClass,
    String driver,
    Level level) {

  /** How deep in kubelet's hierarchy a cgroup sits. */
  public enum Level {
    /** Not under kubepods: a system service, a plain docker container, the root. */
    OUTSIDE,
    /** kubepods itself or a QoS cgroup (burstable, besteffort): node-allocatable enforcement. */
    NODE,
    /** A pod's cgroup. */
    POD,
    /** A container's cgroup inside a pod. */
    CONTAINER,
    /**
     * A cgroup below a container's, made by the container itself: still that container's. Its name
     * is the container's choice and is never read for attribution.
     */
    INSIDE_CONTAINER
  }

  public static final CgroupPathInfo NONE =
      new CgroupPathInfo(null, null, null, null, null, Level.OUTSIDE);
}
