package io.oomdoctor.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import java.util.Map;

/**
 * A label selector as Kubernetes writes it (matchLabels and matchExpressions, all of which must
 * hold), with every field documented for {@code kubectl explain}.
 */
public class PodSelector {
  @JsonPropertyDescription("Labels a pod must have, each with exactly this value.")
  public Map<String, String> matchLabels;

  @JsonPropertyDescription("Label requirements a pod must meet, all of them.")
  public List<Requirement> matchExpressions;

  /** One label requirement. */
  @ValidationRule(
      value =
          "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0)"
              + " : (!has(self.values) || size(self.values) == 0)",
      message = "In and NotIn need values; Exists and DoesNotExist take none")
  public static class Requirement {
    @JsonPropertyDescription("The label key.")
    @Required
    public String key;

    @JsonPropertyDescription("In, NotIn, Exists or DoesNotExist.")
    @Required
    public Operator operator;

    @JsonPropertyDescription("Values for In and NotIn; empty for Exists and DoesNotExist.")
    public List<String> values;
  }

  /** Label selector operators. */
  public enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist
  }
}
