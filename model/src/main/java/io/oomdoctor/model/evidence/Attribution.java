package io.oomdoctor.model.evidence;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.oomdoctor.model.Bounds;

/**
 * What the node agent inferred about a kill — whose pod and container it was, and how it knows —
 * kept apart from {@link OomReport}, which holds only what the kernel printed.
 */
@JsonPropertyOrder({
  "method",
  "podUid",
  "containerId",
  "containerRuntime",
  "qosClass",
  "cgroupDriver",
  "limitScope"
})
public class Attribution {
  /** Found from the cgroup paths the kernel printed in its report. */
  public static final String METHOD_REPORT_PATH = "reportPath";

  /** Found from the victim's /proc/PID/cgroup before it was reaped. */
  public static final String METHOD_PROC = "proc";

  /** Found because exactly one container's oom_kill counter rose. */
  public static final String METHOD_COUNTER = "counter";

  /**
   * The pod found from the container runtime's labels (Docker's io.kubernetes.pod.uid, under
   * cri-dockerd) when the cgroup path named none.
   */
  public static final String METHOD_RUNTIME_LABELS = "runtimeLabels";

  @JsonPropertyDescription(
      "How the cgroup of the kill was found: reportPath (the kernel's report), proc (the victim's"
          + " /proc/PID/cgroup), counter (the only container whose oom_kill counter rose), runtimeLabels (the pod from the"
          + " container runtime's labels); empty"
          + " when it could not be found.")
  @Pattern("^(reportPath|proc|counter|runtimeLabels)$")
  public String method;

  @JsonPropertyDescription("Pod UID read from the cgroup path (with dashes).")
  @Size(max = 36)
  @Pattern("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
  public String podUid;

  @JsonPropertyDescription("Container ID read from the cgroup path.")
  @Size(max = 64)
  @Pattern("^[0-9a-f]{12,64}$")
  public String containerId;

  @JsonPropertyDescription("Container runtime: containerd, cri-o or docker, when known.")
  @Size(max = Bounds.WORD)
  public String containerRuntime;

  @JsonPropertyDescription("Pod QoS class from the cgroup path: guaranteed, burstable, besteffort.")
  @Pattern("^(guaranteed|burstable|besteffort)$")
  public String qosClass;

  @JsonPropertyDescription("Kubelet cgroup driver seen in the path: cgroupfs or systemd.")
  @Pattern("^(cgroupfs|systemd)$")
  public String cgroupDriver;

  @JsonPropertyDescription(
      "Whose limit was hit: \"container\", \"pod\", or \"node\" (host OOM or node allocatable).")
  @Pattern("^(container|pod|node)$")
  public String limitScope;
}
