package io.oomdoctor.operator;

import io.oomdoctor.model.PodSelector;
import java.util.List;
import java.util.Map;

/** Label selector matching, as the API server does it. */
public final class Selectors {
  private Selectors() {}

  /** True when the labels satisfy the selector; a null or empty selector selects everything. */
  public static boolean matches(PodSelector selector, Map<String, String> labels) {
    Map<String, String> l = labels == null ? Map.of() : labels;
    if (selector == null) {
      return true;
    }
    if (selector.matchLabels != null) {
      for (Map.Entry<String, String> e : selector.matchLabels.entrySet()) {
        if (!e.getValue().equals(l.get(e.getKey()))) {
          return false;
        }
      }
    }
    if (selector.matchExpressions != null) {
      for (PodSelector.Requirement r : selector.matchExpressions) {
        List<String> values = r.values == null ? List.of() : r.values;
        String v = l.get(r.key);
        boolean ok =
            switch (r.operator == null ? PodSelector.Operator.Exists : r.operator) {
              case In -> v != null && values.contains(v);
              case NotIn -> v == null || !values.contains(v);
              case Exists -> v != null;
              case DoesNotExist -> v == null;
            };
        if (!ok) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * True when the labels satisfy a workload's selector, as the API server matches it: an empty
   * selector (no labels, no expressions) selects everything, an unknown operator nothing.
   */
  public static boolean matches(
      io.fabric8.kubernetes.api.model.LabelSelector selector, Map<String, String> labels) {
    Map<String, String> l = labels == null ? Map.of() : labels;
    if (selector.getMatchLabels() != null) {
      for (Map.Entry<String, String> e : selector.getMatchLabels().entrySet()) {
        if (!e.getValue().equals(l.get(e.getKey()))) {
          return false;
        }
      }
    }
    if (selector.getMatchExpressions() != null) {
      for (var r : selector.getMatchExpressions()) {
        List<String> values = r.getValues() == null ? List.of() : r.getValues();
        String v = l.get(r.getKey());
        boolean ok =
            switch (r.getOperator() == null ? "" : r.getOperator()) {
              case "In" -> v != null && values.contains(v);
              case "NotIn" -> v == null || !values.contains(v);
              case "Exists" -> v != null;
              case "DoesNotExist" -> v == null;
              default -> false;
            };
        if (!ok) {
          return false;
        }
      }
    }
    return true;
  }

  /** Why the selector is unusable, or null when it is fine (for servers without the schema). */
  public static String problem(PodSelector selector) {
    if (selector == null || selector.matchExpressions == null) {
      return null;
    }
    for (PodSelector.Requirement r : selector.matchExpressions) {
      if (r.key == null || r.key.isBlank()) {
        return "a selector requirement has no key";
      }
      if (r.operator == null) {
        return "selector requirement on " + r.key + " has no operator";
      }
      boolean needsValues =
          r.operator == PodSelector.Operator.In || r.operator == PodSelector.Operator.NotIn;
      boolean hasValues = r.values != null && !r.values.isEmpty();
      if (needsValues != hasValues) {
        return "selector requirement on "
            + r.key
            + ": In and NotIn need values; Exists and DoesNotExist take none";
      }
    }
    return null;
  }
}
