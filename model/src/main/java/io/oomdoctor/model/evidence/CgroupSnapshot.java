package io.oomdoctor.model.evidence;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.oomdoctor.model.Bounds;
import java.util.Map;

/**
 * Memory figures of one cgroup as read from the cgroup filesystem (v1 or v2).
 *
 * <p>Null fields were not available: the file is missing on this kernel, or the cgroup vanished. A
 * null limit means unlimited ({@code max} on v2, the page-rounded LONG_MAX on v1).
 */
public class CgroupSnapshot {
  @JsonPropertyDescription("Cgroup version the figures came from: 1 or 2.")
  public Integer version;

  @JsonPropertyDescription("Path relative to the memory hierarchy's root.")
  @Size(max = Bounds.PATH)
  public String path;

  @JsonPropertyDescription("Memory limit in bytes; null means unlimited.")
  public Long limitBytes;

  @JsonPropertyDescription("Current usage in bytes.")
  public Long usageBytes;

  @JsonPropertyDescription("Peak usage in bytes since creation or last reset.")
  public Long peakBytes;

  @JsonPropertyDescription("Times the limit was hit (v1 failcnt, v2 memory.events max).")
  public Long failcnt;

  @JsonPropertyDescription(
      "OOM situations (v2 memory.events oom; v1 under_oom is a state, not a count).")
  public Long oomEvents;

  @JsonPropertyDescription("Processes killed by the OOM killer in this cgroup.")
  public Long oomKills;

  @JsonPropertyDescription(
      "Times the OOM killer killed this cgroup's tasks as a group (v2 memory.events"
          + " oom_group_kill, kernel 5.19+; memory.oom.group set).")
  public Long oomGroupKills;

  @JsonPropertyDescription("Swap usage in bytes (v2 memory.swap.current).")
  public Long swapBytes;

  @JsonPropertyDescription("memory.stat as read (bytes).")
  @Size(max = Bounds.STATS)
  public Map<String, Long> stats;

  @JsonPropertyDescription("Milliseconds since the epoch when read.")
  public Long readAtMillis;
}
