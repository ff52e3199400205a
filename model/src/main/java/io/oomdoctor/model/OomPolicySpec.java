package io.oomdoctor.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * What to do about OOM kills of the selected pods. Java initial values are the defaults, so that an
 * object read from a server that does not apply schema defaults behaves the same.
 */
@ValidationRule(
    value =
        "!has(self.minLimit) || !has(self.maxLimit)"
            + " || quantity(self.minLimit).compareTo(quantity(self.maxLimit)) <= 0",
    message = "minLimit must not be greater than maxLimit")
@ValidationRule(
    value = "!has(self.maxLimit) || quantity(self.maxLimit).isGreaterThan(quantity('0'))",
    message = "maxLimit must be greater than zero")
public class OomPolicySpec {
  /** Quantity of bytes as Kubernetes writes it: 128Mi, 4Gi, 500M, 134217728. */
  public static final String QUANTITY = "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$";

  /** A Go duration of whole units: 30m, 1h30m, 90s. */
  public static final String DURATION = "^([0-9]+(h|m|s))+$";

  @JsonPropertyDescription(
      "Pods of this namespace whose OOM kills the policy covers (label selector); empty selects"
          + " every pod of the namespace.")
  public PodSelector selector;

  @JsonPropertyDescription(
      "Observe: diagnose only. Recommend: diagnose and keep a recommended limit (and the patch to"
          + " commit) in status. Apply: also patch the workload's pod template, within the bounds"
          + " below.")
  @Default("Recommend")
  public Mode mode = Mode.Recommend;

  @JsonPropertyDescription(
      "Headroom added to the evidence-based peak: recommended limit = peak × (1 + headroom/100).")
  @Default("25")
  @Min(0)
  @Max(400)
  public Integer headroomPercent = 25;

  @JsonPropertyDescription("Lowest limit ever recommended or applied (a Kubernetes quantity).")
  @Default("128Mi")
  @Pattern(QUANTITY)
  public String minLimit = "128Mi";

  @JsonPropertyDescription("Highest limit ever recommended or applied (a Kubernetes quantity).")
  @Default("4Gi")
  @Pattern(QUANTITY)
  public String maxLimit = "4Gi";

  @JsonPropertyDescription(
      "Largest single raise, in percent of the current limit (100: one change at most doubles a"
          + " limit).")
  @Default("100")
  @Min(1)
  @Max(1000)
  public Integer maxStepPercent = 100;

  @JsonPropertyDescription(
      "Shortest time between two changes to the same workload (a duration such as 30m or 1h).")
  @Default("30m")
  @Pattern(DURATION)
  public String cooldown = "30m";

  @JsonPropertyDescription(
      "LimitsOnly: change memory limits only. RequestsAndLimits: change requests too, keeping each"
          + " container's request/limit ratio.")
  @Default("LimitsOnly")
  public ControlledValues controlledValues = ControlledValues.LimitsOnly;

  /** What the policy does. */
  public enum Mode {
    Observe,
    Recommend,
    Apply
  }

  /** Which resource values the policy changes. */
  public enum ControlledValues {
    LimitsOnly,
    RequestsAndLimits
  }
}
