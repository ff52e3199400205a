package io.oomdoctor.operator;

/**
 * Why the operator does or does not vouch for an OomKill. Only {@link #Verified} kills are acted on
 * (Events on the Pod, recommendations, Apply); the rest are recorded and counted.
 */
public enum TrustReason {
  /** The pod exists with the reported UID, on the reporting node, with the reported container. */
  Verified(true, true),
  /** The kill names no pod (a host process, a static pod, an unknown cgroup). */
  NoPod(true, false),
  /** The pod named is gone: diagnosed from the kernel's report, never acted on. */
  PodGone(true, false),
  /** The OomKill lives in another namespace than the pod it names. */
  NamespaceMismatch(false, false),
  /** A pod of that name exists, but with another UID: not the pod that was killed. */
  PodUidMismatch(false, false),
  /** The pod runs on another node than the one that reported the kill. */
  NodeMismatch(false, false),
  /** The reported container ID is not one of the pod's containers (current or last state). */
  ContainerNotInPod(false, false),
  /** An OomRisk whose figures do not show the risk it names (nothing is said on the pod). */
  NotSupported(false, false);

  private final boolean diagnosed;
  private final boolean actionable;

  TrustReason(boolean diagnosed, boolean actionable) {
    this.diagnosed = diagnosed;
    this.actionable = actionable;
  }

  /** Whether the evidence is worth a diagnosis at all (false: it contradicts the cluster). */
  public boolean diagnosed() {
    return diagnosed;
  }

  /** Whether the kill may raise an Event on its pod, count for a policy, or change a limit. */
  public boolean actionable() {
    return actionable;
  }
}
