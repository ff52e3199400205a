package io.oomdoctor.model.evidence;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.oomdoctor.model.Bounds;
import java.util.Map;

/** The pod and container a kill was attributed to, as the agent resolved it on its node. */
public class PodReference {
  @JsonPropertyDescription("Namespace of the pod.")
  @Size(max = Bounds.LABEL)
  public String namespace;

  @JsonPropertyDescription("Name of the pod.")
  @Size(max = Bounds.NAME)
  public String name;

  @JsonPropertyDescription("UID of the pod.")
  @Size(max = Bounds.WORD)
  public String uid;

  @JsonPropertyDescription("Name of the container; null when the killed process was not in one.")
  @Size(max = Bounds.LABEL)
  public String container;

  @JsonPropertyDescription("Memory limit of the container in the pod spec, bytes.")
  public Long containerLimitBytes;

  @JsonPropertyDescription("Memory request of the container in the pod spec, bytes.")
  public Long containerRequestBytes;

  @JsonPropertyDescription("Restart count of the container when the agent last saw it.")
  public Integer restartCount;

  @JsonPropertyDescription("Pod QoS class from the pod status.")
  @Size(max = Bounds.WORD)
  public String qosClass;

  @JsonPropertyDescription(
      "Labels of the pod, so that policies can select a kill whose pod is already gone.")
  @Size(max = Bounds.LABELS)
  public Map<String, String> labels;

  @JsonPropertyDescription(
      "Kind of the pod's controlling owner (e.g. ReplicaSet, StatefulSet, Job); null for a bare"
          + " pod.")
  @Size(max = Bounds.NAME)
  public String ownerKind;

  @JsonPropertyDescription("Name of the pod's controlling owner.")
  @Size(max = Bounds.NAME)
  public String ownerName;
}
