package io.oomdoctor.model.evidence;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.oomdoctor.model.Bounds;

/**
 * Memory caps a language runtime applies on its own, read from a process's command line (and, when
 * enabled, from a fixed list of environment variables).
 */
public class RuntimeCaps {
  @JsonPropertyDescription("Runtime recognised: jvm, node, gunicorn, go or null.")
  @Size(max = Bounds.WORD)
  public String runtime;

  @JsonPropertyDescription("JVM -Xmx in bytes.")
  public Long jvmMaxHeapBytes;

  @JsonPropertyDescription("JVM -Xms in bytes.")
  public Long jvmInitialHeapBytes;

  @JsonPropertyDescription("JVM -XX:MaxRAMPercentage.")
  public Double jvmMaxRamPercentage;

  @JsonPropertyDescription("JVM -XX:MaxRAM in bytes.")
  public Long jvmMaxRamBytes;

  @JsonPropertyDescription("JVM -XX:MaxDirectMemorySize in bytes.")
  public Long jvmMaxDirectMemoryBytes;

  @JsonPropertyDescription("JVM -XX:MaxMetaspaceSize in bytes.")
  public Long jvmMaxMetaspaceBytes;

  @JsonPropertyDescription("JVM -Xss (thread stack) in bytes.")
  public Long jvmThreadStackBytes;

  @JsonPropertyDescription("False when -XX:-UseContainerSupport turns off container awareness.")
  public Boolean jvmUseContainerSupport;

  @JsonPropertyDescription("Node --max-old-space-size in MiB.")
  public Long nodeMaxOldSpaceMb;

  @JsonPropertyDescription("gunicorn --workers.")
  public Integer gunicornWorkers;

  @JsonPropertyDescription("gunicorn --max-requests (0 or null: workers are never recycled).")
  public Integer gunicornMaxRequests;

  @JsonPropertyDescription("GOMEMLIMIT as set (only when environment inspection is enabled).")
  @Size(max = Bounds.WORD)
  public String goMemLimit;

  @JsonPropertyDescription("GOGC as set (only when environment inspection is enabled).")
  @Size(max = Bounds.WORD)
  public String goGc;

  @JsonPropertyDescription(
      "Where the flags came from: cmdline, or the variable (JAVA_TOOL_OPTIONS, NODE_OPTIONS, …).")
  @Size(max = Bounds.WORD)
  public String source;
}
