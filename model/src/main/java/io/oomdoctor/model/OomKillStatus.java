package io.oomdoctor.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/** What the operator concluded about an OomKill. Written only through the status subresource. */
public class OomKillStatus {
  @JsonPropertyDescription("Generation of the OomKill that this status describes.")
  public Long observedGeneration;

  @JsonPropertyDescription("Primary cause found by the diagnosis (e.g. MemoryLeak, LimitTooLow).")
  public String cause;

  @JsonPropertyDescription("Conditions of this OomKill (Diagnosed).")
  public List<Condition> conditions;
}
