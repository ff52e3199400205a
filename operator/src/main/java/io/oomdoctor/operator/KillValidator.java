package io.oomdoctor.operator;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomKillSpec;
import io.oomdoctor.model.evidence.PodReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Validate: decides whether the operator can vouch for an OomKill, from its claims and the live
 * objects. An OomKill is a claim (a node's agent wrote it, or anyone who could create one): it is
 * trusted only when its namespace is the pod's, the pod exists with the reported UID on the
 * reporting node, and the reported container ID is one of that pod's containers.
 */
final class KillValidator {
  /** The decision, with a sentence that says why. */
  record Trust(TrustReason reason, String message) {}

  Trust validate(OomKill kill, KillObserver.Observation o) {
    OomKillSpec spec = kill.getSpec() == null ? new OomKillSpec() : kill.getSpec();
    return validate(
        "kill",
        kill.getMetadata().getNamespace(),
        spec.pod,
        spec.attribution == null ? null : spec.attribution.podUid,
        spec.nodeName,
        kill.getMetadata().getLabels() == null
            ? null
            : kill.getMetadata().getLabels().get(OomKill.LABEL_NODE),
        spec.attribution == null ? null : spec.attribution.containerId,
        o.pod());
  }

  /**
   * The same checks for any claim a node makes about a pod (a kill, a risk): {@code what} names the
   * claim in the sentences.
   */
  static Trust validate(
      String what,
      String ns,
      PodReference ref,
      String attributed,
      String nodeName,
      String label,
      String containerId,
      Pod pod) {
    if (ref == null || ref.name == null) {
      return new Trust(TrustReason.NoPod, "The " + what + " names no pod.");
    }
    if (ref.namespace != null && !ref.namespace.equals(ns)) {
      return new Trust(
          TrustReason.NamespaceMismatch,
          "The "
              + what
              + " is in namespace "
              + ns
              + " but names a pod in namespace "
              + ref.namespace
              + "; a "
              + what
              + " is only believed in its pod's own namespace.");
    }
    if (pod == null) {
      return new Trust(
          TrustReason.PodGone,
          "Pod " + ref.name + " is gone; diagnosed from the kernel's report, not acted on.");
    }
    String uid = pod.getMetadata().getUid();
    if (ref.uid == null
        || !ref.uid.equals(uid)
        || (attributed != null && !attributed.equals(uid))) {
      return new Trust(
          TrustReason.PodUidMismatch,
          "Pod "
              + ref.name
              + " has UID "
              + uid
              + ", not the reported "
              + ref.uid
              + "; the report is not trusted.");
    }
    String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    if (node == null || !node.equals(nodeName) || (label != null && !label.equals(nodeName))) {
      return new Trust(
          TrustReason.NodeMismatch,
          "Reported by node "
              + nodeName
              + " (label "
              + label
              + "), but pod "
              + ref.name
              + " runs on "
              + node
              + "; the report is not trusted.");
    }
    if (ref.container != null) {
      if (containerId == null || !hasContainer(pod, ref.container, containerId)) {
        return new Trust(
            TrustReason.ContainerNotInPod,
            "Container ID "
                + containerId
                + " is not container "
                + ref.container
                + " of pod "
                + ref.name
                + " (current or last state); the report is not trusted.");
      }
    }
    return new Trust(TrustReason.Verified, "The pod, its node and its container match the report.");
  }

  /** True when the pod's status shows container {@code name} with this ID, now or before. */
  static boolean hasContainer(Pod pod, String name, String id) {
    if (pod.getStatus() == null) {
      return false;
    }
    List<ContainerStatus> all = new ArrayList<>();
    addAll(all, pod.getStatus().getContainerStatuses());
    addAll(all, pod.getStatus().getInitContainerStatuses());
    addAll(all, pod.getStatus().getEphemeralContainerStatuses());
    for (ContainerStatus cs : all) {
      if (!Objects.equals(name, cs.getName())) {
        continue;
      }
      if (sameId(cs.getContainerID(), id)) {
        return true;
      }
      var last = cs.getLastState() == null ? null : cs.getLastState().getTerminated();
      if (last != null && sameId(last.getContainerID(), id)) {
        return true;
      }
    }
    return false;
  }

  private static void addAll(List<ContainerStatus> into, List<ContainerStatus> from) {
    if (from != null) {
      into.addAll(from);
    }
  }

  /** "containerd://3aa5…" is the cgroup's "3aa5…"; a short ID must be a prefix of the full one. */
  private static boolean sameId(String statusId, String cgroupId) {
    if (statusId == null || cgroupId == null || cgroupId.length() < 12) {
      return false;
    }
    String bare =
        statusId.contains("://") ? statusId.substring(statusId.indexOf("://") + 3) : statusId;
    return bare.equals(cgroupId) || (cgroupId.length() < 64 && bare.startsWith(cgroupId));
  }
}
