package io.oomdoctor.model.evidence;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.oomdoctor.model.Bounds;

/** One row of the kernel's OOM task table (memory values in pages unless the name says bytes). */
@JsonPropertyOrder({
  "pid",
  "uid",
  "tgid",
  "totalVmPages",
  "rssPages",
  "rssAnonPages",
  "rssFilePages",
  "rssShmemPages",
  "pgtablesBytes",
  "swapents",
  "oomScoreAdj",
  "name"
})
public class OomTask {
  @JsonPropertyDescription("Thread id.")
  public Integer pid;

  @JsonPropertyDescription("UID.")
  public Long uid;

  @JsonPropertyDescription("Process id (thread group id).")
  public Integer tgid;

  @JsonPropertyDescription("Virtual memory, pages.")
  public Long totalVmPages;

  @JsonPropertyDescription("Resident memory, pages.")
  public Long rssPages;

  @JsonPropertyDescription("Anonymous resident memory, pages (kernel 5.13+).")
  public Long rssAnonPages;

  @JsonPropertyDescription("File resident memory, pages (kernel 5.13+).")
  public Long rssFilePages;

  @JsonPropertyDescription("Shared-memory resident memory, pages (kernel 5.13+).")
  public Long rssShmemPages;

  @JsonPropertyDescription("Page tables, bytes (older kernels print nr_ptes, converted to bytes).")
  public Long pgtablesBytes;

  @JsonPropertyDescription("Swap entries.")
  public Long swapents;

  @JsonPropertyDescription("oom_score_adj.")
  @Min(-1000)
  @Max(1000)
  public Integer oomScoreAdj;

  @JsonPropertyDescription("Process name (may contain spaces).")
  @Size(max = Bounds.COMM)
  public String name;
}
