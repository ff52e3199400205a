package io.oomdoctor.model.evidence;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.oomdoctor.model.Bounds;
import java.util.List;

/** How a container's memory moved before its kill, from the agent's periodic samples. */
public class MemoryTrend {
  @JsonPropertyDescription("Highest sampled usage, bytes.")
  public Long peakBytes;

  @JsonPropertyDescription("Last sampled usage before the kill, bytes.")
  public Long lastBytes;

  @JsonPropertyDescription("Least-squares growth rate over the fit window, bytes per hour.")
  public Long growthBytesPerHour;

  @JsonPropertyDescription("Coefficient of determination (0..1) of that linear fit.")
  public Double fitR2;

  @JsonPropertyDescription("Seconds covered by the fit.")
  public Long fitWindowSeconds;

  @JsonPropertyDescription("Samples held for this container.")
  public Integer samples;

  @JsonPropertyDescription("Seconds from the container's start (or first sight) to the kill.")
  public Long containerAgeSeconds;

  @JsonPropertyDescription("Seconds from the first sample to the peak.")
  public Long secondsToPeak;

  @JsonPropertyDescription("Downsampled series, oldest first: pairs of [epoch seconds, bytes].")
  @Size(max = Bounds.LIST)
  public List<List<Long>> series;
}
