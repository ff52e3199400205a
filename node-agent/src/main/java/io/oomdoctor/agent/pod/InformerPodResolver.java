package io.oomdoctor.agent.pod;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.oomdoctor.model.evidence.PodReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the pods of one node (field selector {@code spec.nodeName}) and answers lookups by pod
 * UID. A pod deleted moments before its kill is reported is remembered for a while, since the
 * kernel's report and the kubelet's cleanup race.
 */
public final class InformerPodResolver implements PodResolver {
  private static final Logger LOG = LoggerFactory.getLogger(InformerPodResolver.class);
  private static final long DELETED_GRACE_MILLIS = 10 * 60 * 1000;

  private record Deleted(Pod pod, long atMillis) {}

  private final String nodeName;
  private final SharedIndexInformer<Pod> informer;
  private final Map<String, Pod> byUid = new ConcurrentHashMap<>();
  private final Map<String, Deleted> deleted = new ConcurrentHashMap<>();

  public InformerPodResolver(KubernetesClient client, String nodeName) {
    this(client, nodeName, true);
  }

  /**
   * @param serverSideFilter ask the API server for this node's pods only (field selector). Off only
   *     for API servers that do not implement that selector (the fabric8 mock server); the node is
   *     checked on every pod either way.
   */
  public InformerPodResolver(KubernetesClient client, String nodeName, boolean serverSideFilter) {
    this.nodeName = nodeName;
    var pods = client.pods().inAnyNamespace();
    this.informer =
        (serverSideFilter ? pods.withField("spec.nodeName", nodeName) : pods)
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(Pod pod) {
                    keep(pod);
                  }

                  @Override
                  public void onUpdate(Pod oldPod, Pod pod) {
                    keep(pod);
                  }

                  @Override
                  public void onDelete(Pod pod, boolean unknownFinalState) {
                    String uid = pod.getMetadata().getUid();
                    byUid.remove(uid);
                    deleted.put(uid, new Deleted(pod, System.currentTimeMillis()));
                  }
                },
                0);
    LOG.info("Watching pods of node {}", nodeName);
  }

  /** The field selector already filters; checked again so a lax API server cannot mislead. */
  private void keep(Pod pod) {
    if (pod.getSpec() != null && nodeName.equals(pod.getSpec().getNodeName())) {
      byUid.put(pod.getMetadata().getUid(), pod);
    }
  }

  @Override
  public PodReference resolve(String podUid, String containerId) {
    Pod pod = find(podUid);
    if (pod == null) {
      return null;
    }
    PodReference ref = new PodReference();
    ref.namespace = pod.getMetadata().getNamespace();
    ref.name = pod.getMetadata().getName();
    ref.uid = pod.getMetadata().getUid();
    ref.qosClass = pod.getStatus() == null ? null : pod.getStatus().getQosClass();
    ContainerStatus cs = containerStatus(pod, containerId);
    if (cs != null) {
      ref.container = cs.getName();
      ref.restartCount = cs.getRestartCount();
      resources(pod, cs.getName(), ref);
    }
    return ref;
  }

  @Override
  public String runtimeOf(String podUid, String containerId) {
    Pod pod = find(podUid);
    ContainerStatus cs = pod == null ? null : containerStatus(pod, containerId);
    String id = cs == null ? null : matchingId(cs, containerId);
    if (id == null || !id.contains("://")) {
      return null;
    }
    String scheme = id.substring(0, id.indexOf("://"));
    return switch (scheme) {
      case "containerd" -> "containerd";
      case "cri-o" -> "cri-o";
      case "docker" -> "docker";
      default -> scheme;
    };
  }

  private Pod find(String podUid) {
    if (podUid == null) {
      return null;
    }
    Pod pod = byUid.get(podUid);
    if (pod == null) {
      Deleted d = deleted.get(podUid);
      long now = System.currentTimeMillis();
      deleted.values().removeIf(x -> now - x.atMillis > DELETED_GRACE_MILLIS);
      pod = d == null ? null : d.pod;
    }
    return pod;
  }

  private static ContainerStatus containerStatus(Pod pod, String containerId) {
    if (pod.getStatus() == null || containerId == null) {
      return null;
    }
    List<ContainerStatus> all = new ArrayList<>();
    addAll(all, pod.getStatus().getContainerStatuses());
    addAll(all, pod.getStatus().getInitContainerStatuses());
    addAll(all, pod.getStatus().getEphemeralContainerStatuses());
    for (ContainerStatus cs : all) {
      if (matchingId(cs, containerId) != null) {
        return cs;
      }
    }
    return null;
  }

  private static void addAll(List<ContainerStatus> into, List<ContainerStatus> from) {
    if (from != null) {
      into.addAll(from);
    }
  }

  /** The status's container ID (current or last state) that ends with the cgroup's ID. */
  private static String matchingId(ContainerStatus cs, String containerId) {
    if (matches(cs.getContainerID(), containerId)) {
      return cs.getContainerID();
    }
    if (cs.getLastState() != null && cs.getLastState().getTerminated() != null) {
      String last = cs.getLastState().getTerminated().getContainerID();
      if (matches(last, containerId)) {
        return last;
      }
    }
    if (cs.getState() != null && cs.getState().getTerminated() != null) {
      String t = cs.getState().getTerminated().getContainerID();
      if (matches(t, containerId)) {
        return t;
      }
    }
    return null;
  }

  private static boolean matches(String statusId, String cgroupId) {
    if (statusId == null || cgroupId == null) {
      return false;
    }
    String id =
        statusId.contains("://") ? statusId.substring(statusId.indexOf("://") + 3) : statusId;
    return id.equals(cgroupId) || (cgroupId.length() >= 12 && id.startsWith(cgroupId));
  }

  private static void resources(Pod pod, String container, PodReference ref) {
    if (pod.getSpec() == null) {
      return;
    }
    List<io.fabric8.kubernetes.api.model.Container> all = new ArrayList<>();
    if (pod.getSpec().getContainers() != null) all.addAll(pod.getSpec().getContainers());
    if (pod.getSpec().getInitContainers() != null) all.addAll(pod.getSpec().getInitContainers());
    for (var c : all) {
      if (container.equals(c.getName())) {
        ResourceRequirements r = c.getResources();
        if (r != null) {
          ref.containerLimitBytes = bytes(r.getLimits());
          ref.containerRequestBytes = bytes(r.getRequests());
        }
      }
    }
  }

  private static Long bytes(Map<String, Quantity> m) {
    Quantity q = m == null ? null : m.get("memory");
    return q == null ? null : Quantity.getAmountInBytes(q).longValue();
  }

  /** True once the informer has listed the node's pods. */
  public boolean synced() {
    return informer.hasSynced();
  }

  @Override
  public void close() {
    informer.close();
  }
}
