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

  @JsonPropertyDescription(
      "When the process started, seconds since the epoch (from its start time in /proc).")
  public Long startedAtSec;

  @JsonPropertyDescription(
      "Resident memory when the agent first saw the process, kB: with rssKb and peakRssKb, whether"
          + " it grew or stayed flat.")
  public Long firstRssKb;

  @JsonPropertyDescription("The most resident memory the agent saw the process hold, kB.")
  public Long peakRssKb;

  @JsonPropertyDescription("When the agent first saw the process, seconds since the epoch.")
  public Long firstSeenSec;

  @JsonPropertyDescription("Runtime memory caps found for this process.")
  public RuntimeCaps caps;
}
