package io.oomdoctor.model.evidence;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.oomdoctor.model.Bounds;

/** One process of a container as seen in /proc while it was alive. */
public class ProcessInfo {
  @JsonPropertyDescription("PID in the host namespace.")
  public Integer pid;

  @JsonPropertyDescription("Parent PID in the host namespace.")
  public Integer ppid;

  @JsonPropertyDescription("Process name (comm).")
  @Size(max = Bounds.COMM)
  public String name;

  @JsonPropertyDescription("Resident memory, kB.")
  public Long rssKb;

  @JsonPropertyDescription("Threads.")
  public Integer threads;

  @JsonPropertyDescription("Runtime memory caps found for this process.")
  public RuntimeCaps caps;
}
