package io.oomdoctor.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** One cause the diagnosis weighed, with what speaks for and against it. */
public class Candidate {
  @JsonPropertyDescription("The cause (as in status.cause).")
  @Size(max = Bounds.WORD)
  public String cause;

  @JsonPropertyDescription("How sure the diagnosis is of it, from 0 to 1.")
  @Min(0)
  @Max(1)
  public Double confidence;

  @JsonPropertyDescription("What in the evidence speaks for this cause.")
  @Size(max = 8)
  public List<String> evidenceFor;

  @JsonPropertyDescription("What in the evidence speaks against it.")
  @Size(max = 8)
  public List<String> evidenceAgainst;
}
