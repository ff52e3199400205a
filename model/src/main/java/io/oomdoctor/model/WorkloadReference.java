package io.oomdoctor.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import java.util.Objects;

/** The workload that owns a pod: the object whose pod template sets the pod's limits. */
public class WorkloadReference {
  @JsonPropertyDescription(
      "Kind of the workload: Deployment, StatefulSet, DaemonSet, CronJob, Job, ReplicaSet, or Pod"
          + " for a bare pod.")
  @Size(max = Bounds.NAME)
  public String kind;

  @JsonPropertyDescription("Name of the workload.")
  @Size(max = Bounds.NAME)
  public String name;

  @JsonPropertyDescription("API version of the workload (e.g. apps/v1).")
  @Size(max = Bounds.NAME)
  public String apiVersion;

  public WorkloadReference() {}

  public WorkloadReference(String apiVersion, String kind, String name) {
    this.apiVersion = apiVersion;
    this.kind = kind;
    this.name = name;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WorkloadReference w
        && Objects.equals(kind, w.kind)
        && Objects.equals(name, w.name);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, name);
  }

  @Override
  public String toString() {
    return kind + "/" + name;
  }
}
