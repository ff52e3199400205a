package io.oomdoctor.model.evidence;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.oomdoctor.model.Bounds;
import java.util.ArrayList;
import java.util.List;

/**
 * More kills of the same container that this OomKill stands for: under an OOM storm the agent
 * writes one OomKill per container while its write rate is spent, and counts the rest here.
 */
@JsonPropertyOrder({"count", "firstTimestamp", "lastTimestamp", "pids"})
public class Repeats {
  /** PIDs kept, at most. */
  public static final int MAX_PIDS = 32;

  /** Kills one OomKill can stand for, at most (the agent starts a new one long before). */
  public static final int MAX_COUNT = 1_000_000;

  @JsonPropertyDescription(
      "Kills this OomKill stands for, its own included (1 when it is a single kill).")
  @Min(1)
  @Max(MAX_COUNT)
  public Integer count;

  @JsonPropertyDescription("Wall-clock time of the first of them (RFC 3339).")
  @Size(max = Bounds.WORD)
  public String firstTimestamp;

  @JsonPropertyDescription("Wall-clock time of the last of them (RFC 3339).")
  @Size(max = Bounds.WORD)
  public String lastTimestamp;

  @JsonPropertyDescription("PIDs of the killed processes, the first 32.")
  @Size(max = MAX_PIDS)
  public List<Integer> pids;

  /** Counts one more kill. */
  /** The repeats of an OomKill that so far stands for its own kill alone. */
  public static Repeats single(Integer pid, String timestamp) {
    Repeats r = new Repeats();
    r.count = 1;
    r.firstTimestamp = timestamp;
    r.lastTimestamp = timestamp;
    if (pid != null) {
      r.pids = new ArrayList<>(List.of(pid));
    }
    return r;
  }

  public void add(Integer pid, String timestamp) {
    count = count == null ? 1 : count + 1;
    if (timestamp != null) {
      lastTimestamp = timestamp;
    }
    if (pid != null) {
      if (pids == null) {
        pids = new ArrayList<>();
      }
      if (pids.size() < MAX_PIDS) {
        pids.add(pid);
      }
    }
  }

  /** The number of kills an OomKill stands for: 1 without repeats. */
  /**
   * Counts in an OomKill that stands for {@code other} kills: its single kill (pid, time) when it
   * has no repeats, else all of them.
   */
  public void addAll(Repeats other, Integer pid, String timestamp) {
    if (other == null || other.count == null || other.count <= 1) {
      add(pid, timestamp);
      return;
    }
    count = Math.min(MAX_COUNT, (count == null ? 1 : count) + other.count);
    if (other.lastTimestamp != null) {
      lastTimestamp = other.lastTimestamp;
    }
    if (other.pids != null) {
      if (pids == null) {
        pids = new ArrayList<>();
      }
      for (Integer p : other.pids) {
        if (pids.size() < MAX_PIDS) {
          pids.add(p);
        }
      }
    }
  }

  public static int count(Repeats r) {
    return r == null || r.count == null ? 1 : Math.max(1, Math.min(MAX_COUNT, r.count));
  }
}
