package io.oomdoctor.model.evidence;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.oomdoctor.model.Bounds;
import java.util.List;

/** The processes of a container at the agent's last look before the kill. */
public class ProcessSnapshot {
  @JsonPropertyDescription("Milliseconds since the epoch of the look.")
  public Long observedAtMillis;

  @JsonPropertyDescription("Number of processes in the container.")
  public Integer processCount;

  @JsonPropertyDescription("Number of threads over all its processes.")
  public Integer threadCount;

  @JsonPropertyDescription("The processes (largest resident memory first, at most 16).")
  @Size(max = Bounds.LIST)
  public List<ProcessInfo> processes;
}
