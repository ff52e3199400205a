package io.oomdoctor.operator;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Status conditions that keep their transition time while their status does not change. */
final class Conditions {
  private Conditions() {}

  static List<Condition> set(
      List<Condition> existing,
      String type,
      boolean status,
      String reason,
      String message,
      Long generation,
      Instant now) {
    List<Condition> out = new ArrayList<>(existing == null ? List.of() : existing);
    String s = status ? "True" : "False";
    Condition old = out.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    String since =
        old != null && Objects.equals(old.getStatus(), s) && old.getLastTransitionTime() != null
            ? old.getLastTransitionTime()
            : now.toString();
    out.removeIf(c -> type.equals(c.getType()));
    out.add(
        new ConditionBuilder()
            .withType(type)
            .withStatus(s)
            .withReason(reason)
            .withMessage(message)
            .withObservedGeneration(generation)
            .withLastTransitionTime(since)
            .build());
    return out;
  }

  static boolean isTrue(List<Condition> conditions, String type) {
    return conditions != null
        && conditions.stream()
            .anyMatch(c -> type.equals(c.getType()) && "True".equals(c.getStatus()));
  }
}
