package io.oomdoctor.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;

/** One container at risk before any kill, as an OomPolicy's status shows it. */
public class RiskSummary {
  @JsonPropertyDescription("The workload, when the pod has one.")
  public WorkloadReference workload;

  @JsonPropertyDescription("The pod at risk.")
  @Size(max = Bounds.NAME)
  public String pod;

  @JsonPropertyDescription("The container at risk.")
  @Size(max = Bounds.LABEL)
  public String container;

  @JsonPropertyDescription("The risk (see OomRisk spec.risk).")
  @Size(max = Bounds.WORD)
  public String risk;

  @JsonPropertyDescription("What the operator wrote on the Pod's Event.")
  @Size(max = Bounds.TEXT)
  public String message;

  @JsonPropertyDescription("Seconds until the limit is reached at the current growth, when known.")
  public Long etaSeconds;

  @JsonPropertyDescription("The limit now.")
  @Size(max = Bounds.WORD)
  public String currentLimit;

  @JsonPropertyDescription("Since when (RFC 3339).")
  @Size(max = Bounds.WORD)
  public String since;

  @JsonPropertyDescription("The OomRisk object with the figures.")
  @Size(max = Bounds.NAME)
  public String oomRisk;
}
