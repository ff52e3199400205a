package io.oomdoctor.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;

/** The operator's look at one OomRisk. */
public class OomRiskStatus {
  @JsonPropertyDescription(
      "Whether the operator vouches for the figures: Verified, or why not (PodGone,"
          + " PodUidMismatch, NodeMismatch, NamespaceMismatch, ContainerNotInPod, NoPod,"
          + " NotSupported).")
  @Size(max = Bounds.WORD)
  public String trust;

  @JsonPropertyDescription("The Event's sentence (or why none was written).")
  @Size(max = Bounds.TEXT)
  public String message;

  @JsonPropertyDescription("The occurrence of the spec this status is about.")
  public Long observedOccurrence;

  @JsonPropertyDescription("The OomPolicy that governs the pod, if any.")
  @Size(max = Bounds.NAME)
  public String policy;
}
