package io.oomdoctor.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.oomdoctor.model.evidence.PodReference;
import io.oomdoctor.model.evidence.RuntimeCaps;

/**
 * What a node agent measured for one risk of one container: figures only. The sentence of the Event
 * is the operator's, made from these figures, never text of the agent's.
 */
public class OomRiskSpec {
  @JsonPropertyDescription("Node whose agent measured the risk.")
  @Size(max = Bounds.NAME)
  public String nodeName;

  @JsonPropertyDescription("The pod and container at risk.")
  public PodReference pod;

  @JsonPropertyDescription("The container's ID (from its cgroup), checked against the pod status.")
  @Size(max = Bounds.WORD)
  public String containerId;

  @JsonPropertyDescription(
      "WorkingSetNearLimit, LimitInSight, MemoryPressure, TmpfsGrowth or MemoryMisconfigured.")
  @Pattern("^(WorkingSetNearLimit|LimitInSight|MemoryPressure|TmpfsGrowth|MemoryMisconfigured)$")
  public String risk;

  @JsonPropertyDescription("Active while the agent sees the risk; Cleared once it has gone.")
  @Pattern("^(Active|Cleared)$")
  public String state;

  @JsonPropertyDescription(
      "Why a risk was cleared: Subsided (the figures went back), ContainerGone, or Restarted.")
  @Size(max = Bounds.WORD)
  public String clearedBecause;

  @JsonPropertyDescription(
      "How many times the agent has reported the risk since it began; each report is one"
          + " occurrence on the Event.")
  @Min(1)
  public Long occurrence;

  @JsonPropertyDescription("When the agent first saw the risk (RFC 3339).")
  @Size(max = Bounds.WORD)
  public String since;

  @JsonPropertyDescription("When the agent measured the figures below (RFC 3339).")
  @Size(max = Bounds.WORD)
  public String observedAt;

  @JsonPropertyDescription("The memory limit that applies to the container (its own or its pod's).")
  @Min(0)
  public Long limitBytes;

  @JsonPropertyDescription("Working set now: usage less the inactive file cache.")
  @Min(0)
  public Long workingSetBytes;

  @JsonPropertyDescription("How long the working set has stayed at or above the near-limit share.")
  @Min(0)
  public Long sustainedSeconds;

  @JsonPropertyDescription("Growth of the working set (or of tmpfs for TmpfsGrowth), bytes/hour.")
  public Long growthBytesPerHour;

  @JsonPropertyDescription("R² of the growth fit (1: a straight line).")
  @Min(0)
  @Max(1)
  public Double fitR2;

  @JsonPropertyDescription("Seconds the growth fit covers.")
  @Min(0)
  public Long fitWindowSeconds;

  @JsonPropertyDescription("At that growth, seconds until the limit is reached.")
  @Min(0)
  public Long etaSeconds;

  @JsonPropertyDescription(
      "cgroup v2: share of the last minute some task waited for memory (memory.pressure some"
          + " avg60, percent).")
  @Min(0)
  @Max(100)
  public Double pressureSomeAvg60;

  @JsonPropertyDescription(
      "cgroup v1: times the usage hit the limit (memory.failcnt) over the last sustain window.")
  @Min(0)
  public Long failcntRise;

  @JsonPropertyDescription("tmpfs and shared memory charged to the container (memory.stat shmem).")
  @Min(0)
  public Long tmpfsBytes;

  @JsonPropertyDescription(
      "MemoryMisconfigured: the runtime caps read from the main process at the container's start.")
  public RuntimeCaps caps;

  @JsonPropertyDescription("MemoryMisconfigured: worker processes seen (a prefork server).")
  @Min(0)
  public Integer workersSeen;

  @JsonPropertyDescription("MemoryMisconfigured: the largest worker's resident size, bytes.")
  @Min(0)
  public Long workerRssBytes;
}
