package io.oomdoctor.agent.kube;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;
import java.util.Map;

/**
 * The few fields of a Pod the agent needs, and nothing else: small to keep for every pod of a node,
 * and cheap to read (unknown fields are skipped, not modelled).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PodInfo(Meta metadata, Spec spec, Status status) {
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Meta(
      String name,
      String namespace,
      String uid,
      String resourceVersion,
      Map<String, String> labels,
      List<OwnerReference> ownerReferences) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record OwnerReference(String kind, String name, Boolean controller) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Spec(String nodeName, List<Container> containers, List<Container> initContainers) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Container(String name, Resources resources) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Resources(Map<String, String> limits, Map<String, String> requests) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Status(
      String qosClass,
      List<ContainerStatus> containerStatuses,
      List<ContainerStatus> initContainerStatuses,
      List<ContainerStatus> ephemeralContainerStatuses) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record ContainerStatus(
      String name, String containerID, Integer restartCount, State state, State lastState) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record State(Terminated terminated) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Terminated(String containerID, String reason, Integer exitCode) {}

  /** A list response: items and the version to watch from. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record PodList(ListMeta metadata, List<PodInfo> items) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record ListMeta(String resourceVersion) {}

  /** One watch event; {@code object} is a pod, or a Status for ERROR events. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record WatchEvent(String type, Map<String, Object> object) {}
}
