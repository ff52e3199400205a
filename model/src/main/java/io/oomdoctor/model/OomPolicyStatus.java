package io.oomdoctor.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** What the operator found and did for a policy. Written only by the operator. */
public class OomPolicyStatus {
  @JsonPropertyDescription("Generation of the OomPolicy that this status describes.")
  public Long observedGeneration;

  @JsonPropertyDescription(
      "Ready: the policy is valid and in effect. Invalid: a problem the schema cannot catch (for"
          + " example another policy selecting the same pods), with the reason.")
  public List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("OOM kills of the selected pods that the operator has diagnosed.")
  public Integer killsSeen;

  @JsonPropertyDescription("Workloads with at least one OOM kill under this policy.")
  public Integer workloads;

  @JsonPropertyDescription("Number of entries in recommendations.")
  public Integer recommendationCount;

  @JsonPropertyDescription("One entry per workload container that was OOM-killed.")
  public List<Recommendation> recommendations = new ArrayList<>();

  @JsonPropertyDescription(
      "Containers of the selected pods at risk before any kill (verified OomRisks), the soonest"
          + " first; at most 50.")
  @Size(max = 50)
  public List<RiskSummary> risks = new ArrayList<>();
}
