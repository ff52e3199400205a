package io.oomdoctor.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.oomdoctor.model.evidence.CgroupSnapshot;
import io.oomdoctor.model.evidence.MemoryTrend;
import io.oomdoctor.model.evidence.OomReport;
import io.oomdoctor.model.evidence.PodReference;
import io.oomdoctor.model.evidence.ProcessSnapshot;
import java.util.List;

/** Evidence of one OOM kill, written once by the node agent that saw it. */
public class OomKillSpec {
  @JsonPropertyDescription("Node whose kernel killed the process.")
  public String nodeName;

  @JsonPropertyDescription(
      "The memory limit that was hit, human-readable (e.g. 64Mi); \"node\" for a host OOM.")
  public String limit;

  @JsonPropertyDescription("The pod and container the killed process belonged to, when known.")
  public PodReference pod;

  @JsonPropertyDescription("The kernel's OOM report, parsed, with what its cgroup paths reveal.")
  public OomReport report;

  @JsonPropertyDescription(
      "Live cgroup figures read right after the kill: the container's and, when it has one, the"
          + " pod's cgroup. Empty when the cgroups were already gone.")
  public List<CgroupSnapshot> cgroups;

  @JsonPropertyDescription("The container's memory trend from the agent's samples before the kill.")
  public MemoryTrend trend;

  @JsonPropertyDescription("The container's processes at the agent's last look before the kill.")
  public ProcessSnapshot processes;

  @JsonPropertyDescription("Version of the agent that wrote this.")
  public String agentVersion;
}
