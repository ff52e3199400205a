package io.oomdoctor.model.evidence;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** One process of a container as seen in /proc while it was alive. */
public class ProcessInfo {
  @JsonPropertyDescription("PID in the host namespace.")
  public Integer pid;

  @JsonPropertyDescription("Parent PID in the host namespace.")
  public Integer ppid;

  @JsonPropertyDescription("Process name (comm).")
  public String name;

  @JsonPropertyDescription("Resident memory, kB.")
  public Long rssKb;

  @JsonPropertyDescription("Threads.")
  public Integer threads;

  @JsonPropertyDescription("Runtime memory caps found for this process.")
  public RuntimeCaps caps;
}
