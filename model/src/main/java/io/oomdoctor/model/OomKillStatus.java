package io.oomdoctor.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Map;

/** What the operator concluded about an OomKill. Written only through the status subresource. */
public class OomKillStatus {
  @JsonPropertyDescription("Generation of the OomKill that this status describes.")
  public Long observedGeneration;

  @JsonPropertyDescription(
      "Primary cause found by the diagnosis: MemoryLeak, UnboundedCache, LimitTooLow,"
          + " StartupSpike, NativeMemory, PageCacheOrShmem, RuntimeCapMisconfigured, SharedLimit, HostOom"
          + " or Unknown.")
  @Size(max = Bounds.WORD)
  public String cause;

  @JsonPropertyDescription("Confidence in the primary cause, from 0 to 1.")
  @Min(0)
  @Max(1)
  public Double confidence;

  @JsonPropertyDescription("One plain sentence with the numbers: what happened and why.")
  @Size(max = Bounds.TEXT)
  public String summary;

  @JsonPropertyDescription("What to do about it.")
  @Size(max = Bounds.TEXT)
  public String fix;

  @JsonPropertyDescription(
      "Memory limit the evidence supports (peak plus the policy's headroom, within its bounds),"
          + " e.g. 160Mi; empty when raising the limit is not the fix.")
  @Size(max = Bounds.WORD)
  public String recommendedLimit;

  @JsonPropertyDescription("The recommended limit in bytes.")
  public Long recommendedLimitBytes;

  @JsonPropertyDescription(
      "Runtime settings to use instead of (or with) a new limit, e.g. JAVA_TOOL_OPTIONS or"
          + " GOMEMLIMIT values.")
  @Size(max = 16)
  public Map<String, String> runtimeFlags;

  @JsonPropertyDescription("Other causes that also fit the evidence, strongest first.")
  @Size(max = 16)
  public List<String> otherCauses;

  @JsonPropertyDescription(
      "Every cause the diagnosis weighed, the primary first: how sure it is of each, and the"
          + " evidence for and against.")
  @Size(max = 16)
  public List<Candidate> candidates;

  @JsonPropertyDescription("The workload that owns the pod, when one was found.")
  public WorkloadReference workload;

  @JsonPropertyDescription(
      "The OomPolicy that selects the pod; empty when none does (the kill is still diagnosed).")
  @Size(max = Bounds.NAME)
  public String policy;

  @JsonPropertyDescription("When the operator diagnosed this kill (RFC 3339).")
  @Size(max = Bounds.WORD)
  public String diagnosedAt;

  @JsonPropertyDescription(
      "Conditions of this OomKill: Diagnosed (False with a reason when the evidence could not be"
          + " trusted, e.g. NodeMismatch).")
  @Size(max = 8)
  public List<Condition> conditions;
}
