package io.oomdoctor.operator;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The record of limit changes the operator made, kept in one annotation on the workload itself.
 * Written in the same update as the change, it is what makes an apply idempotent across operator
 * restarts, and what the cooldown and the one-raise-per-leak rule are measured against.
 */
public final class AppliedChanges {
  public static final String ANNOTATION = "oomdoctor.io/applied";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One change to one container. */
  public record Change(String from, String to, String cause, String kill, String at) {
    public Instant time() {
      return Instant.parse(at);
    }
  }

  private AppliedChanges() {}

  /** Changes by container; empty when there are none or the annotation is unreadable. */
  public static Map<String, Change> read(HasMetadata workload) {
    Map<String, String> a = workload.getMetadata().getAnnotations();
    String v = a == null ? null : a.get(ANNOTATION);
    if (v == null || v.isBlank()) {
      return new TreeMap<>();
    }
    try {
      return new TreeMap<>(JSON.readValue(v, new TypeReference<Map<String, Change>>() {}));
    } catch (Exception e) {
      return new TreeMap<>();
    }
  }

  public static String write(Map<String, Change> changes) {
    try {
      return JSON.writeValueAsString(new TreeMap<>(changes));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The latest change to any container of the workload. */
  public static Optional<Instant> latest(Map<String, Change> changes) {
    return changes.values().stream().map(Change::time).max(Instant::compareTo);
  }
}
