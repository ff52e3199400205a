package io.oomdoctor.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.oomdoctor.model.evidence.Attribution;
import io.oomdoctor.model.evidence.CgroupSnapshot;
import io.oomdoctor.model.evidence.MemoryTrend;
import io.oomdoctor.model.evidence.OomReport;
import io.oomdoctor.model.evidence.PodReference;
import io.oomdoctor.model.evidence.ProcessSnapshot;
import io.oomdoctor.model.evidence.Repeats;
import java.util.List;

/**
 * Evidence of one OOM kill, written once by the node agent that saw it: what the kernel printed
 * ({@code report}) kept apart from what the agent inferred ({@code attribution}, {@code pod}).
 */
@ValidationRule(
    value =
        "!has(self.pod) || !has(self.attribution) || !has(self.attribution.podUid)"
            + " || !has(self.pod.uid) || self.pod.uid == self.attribution.podUid",
    message = "spec.pod.uid must equal spec.attribution.podUid")
public class OomKillSpec {
  @JsonPropertyDescription("Node whose kernel killed the process.")
  @Size(max = Bounds.NAME)
  public String nodeName;

  @JsonPropertyDescription(
      "The memory limit that was hit, human-readable (e.g. 64Mi); \"node\" for a host OOM.")
  @Size(max = Bounds.WORD)
  public String limit;

  @JsonPropertyDescription("The pod and container the killed process belonged to, when known.")
  public PodReference pod;

  @JsonPropertyDescription(
      "The kernel's OOM report, parsed: only what the kernel printed, nothing inferred.")
  public OomReport report;

  @JsonPropertyDescription(
      "What the agent inferred from the report's cgroup paths (or /proc, or the oom_kill"
          + " counters): pod UID, container ID, runtime, QoS, cgroup driver, limit scope, and how.")
  public Attribution attribution;

  @JsonPropertyDescription(
      "Live cgroup figures read right after the kill: the container's and, when it has one, the"
          + " pod's cgroup. Empty when the cgroups were already gone.")
  @Size(max = 4)
  public List<CgroupSnapshot> cgroups;

  @JsonPropertyDescription("The container's memory trend from the agent's samples before the kill.")
  public MemoryTrend trend;

  @JsonPropertyDescription("The container's processes at the agent's last look before the kill.")
  public ProcessSnapshot processes;

  @JsonPropertyDescription(
      "Kills of the same container this OomKill stands for, when the agent coalesced them (an"
          + " OOM storm); absent for a single kill.")
  public Repeats repeats;

  @JsonPropertyDescription("Version of the agent that wrote this.")
  @Size(max = Bounds.WORD)
  public String agentVersion;
}
