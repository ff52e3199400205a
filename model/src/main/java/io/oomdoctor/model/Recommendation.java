package io.oomdoctor.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The memory limit OOM Doctor recommends for one container of one workload, and what was done. */
public class Recommendation {
  @JsonPropertyDescription("The workload whose pod template holds the container.")
  public WorkloadReference workload;

  @JsonPropertyDescription("Name of the container.")
  public String container;

  @JsonPropertyDescription("The container's memory limit in the workload now (e.g. 128Mi).")
  public String currentLimit;

  @JsonPropertyDescription(
      "The limit recommended from the evidence, within the policy's bounds and step; equal to the"
          + " current limit when raising it is not the fix.")
  public String recommendedLimit;

  @JsonPropertyDescription("Primary cause of the latest kill.")
  public String cause;

  @JsonPropertyDescription("The fix the diagnosis proposes, in words.")
  public String fix;

  @JsonPropertyDescription("Name of the latest OomKill of this container.")
  public String lastKill;

  @JsonPropertyDescription("When the latest kill happened (RFC 3339).")
  public String lastKillTime;

  @JsonPropertyDescription("OOM kills of this container counted under the policy.")
  public Integer kills;

  @JsonPropertyDescription("True when the operator patched the workload with this limit.")
  public Boolean applied;

  @JsonPropertyDescription("When the operator last patched the workload (RFC 3339).")
  public String appliedAt;

  @JsonPropertyDescription(
      "Why the recommendation was not applied: ModeObserve, ModeRecommend, GitOpsManaged, BarePod,"
          + " NotPatchable, Cooldown, AtMaxLimit, LeakAlreadyRaised, NoLimitChange, ApplyDisabled,"
          + " WorkloadGone.")
  public String reason;

  @JsonPropertyDescription(
      "Tool that manages the workload (Argo CD or Flux), when one was detected; the operator then"
          + " proposes the patch instead of applying it.")
  public String managedBy;

  @JsonPropertyDescription(
      "For workloads that must not be patched: the strategic merge patch a person commits"
          + " instead.")
  public String patch;

  @JsonPropertyDescription("The same change as a kubectl command.")
  public String command;
}
