package io.oomdoctor.model.evidence;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.oomdoctor.model.Bounds;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One kernel OOM kill as the kernel reported it, plus what the cgroup paths say about the victim.
 *
 * <p>This is the wire format of {@code oomdoctor-agent parse} (one JSON object per kill) and the
 * {@code spec.report} of an OomKill. Every field is null when the report did not contain it.
 */
@JsonPropertyOrder({
  "kind",
  "complete",
  "incompleteReason",
  "bootId",
  "seq",
  "kernelTimeUs",
  "timestamp",
  "pid",
  "process",
  "uid",
  "constraint",
  "oomMemcg",
  "taskMemcg",
  "oomGroup",
  "totalVmKb",
  "anonRssKb",
  "fileRssKb",
  "shmemRssKb",
  "pgtablesKb",
  "oomScoreAdj",
  "usageKb",
  "limitKb",
  "failcnt",
  "swapUsageKb",
  "swapLimitKb",
  "kmemUsageKb",
  "invoker",
  "constraintDetails",
  "memcgStatsPath",
  "memcgStats",
  "tasks",
  "tasksOmitted"
})
public class OomReport {

  /** Report kind: the kill enforced a memory cgroup limit. */
  public static final String KIND_CGROUP = "cgroup";

  /** Report kind: the whole host (or a cpuset/mempolicy) ran out of memory. */
  public static final String KIND_GLOBAL = "global";

  @JsonPropertyDescription(
      "\"cgroup\" when a memory cgroup limit was hit, \"global\" when the node ran out of memory.")
  @Size(max = Bounds.WORD)
  public String kind;

  @JsonPropertyDescription(
      "False when parts of the kernel report were missing (ring buffer wrapped, records lost).")
  public Boolean complete;

  @JsonPropertyDescription("Why the report is incomplete, when it is.")
  @Size(max = Bounds.TEXT)
  public String incompleteReason;

  @JsonPropertyDescription("Boot id of the node (/proc/sys/kernel/random/boot_id) when read live.")
  @Size(max = Bounds.WORD)
  public String bootId;

  @JsonPropertyDescription(
      "Kernel log sequence number of the record that named the killed process.")
  public Long seq;

  @JsonPropertyDescription("Kernel timestamp of that record, microseconds since boot.")
  public Long kernelTimeUs;

  @JsonPropertyDescription("Wall-clock time of the kill (RFC 3339), when it can be known.")
  @Size(max = Bounds.WORD)
  public String timestamp;

  @JsonPropertyDescription("PID (host namespace) of the killed process.")
  @Min(0)
  @Max(4194304)
  public Integer pid;

  @JsonPropertyDescription("Name of the killed process (kernel comm, at most 15 characters).")
  @Size(max = Bounds.COMM)
  public String process;

  @JsonPropertyDescription("UID of the killed process.")
  public Long uid;

  @JsonPropertyDescription(
      "Kernel constraint: CONSTRAINT_MEMCG, CONSTRAINT_NONE, CONSTRAINT_CPUSET or"
          + " CONSTRAINT_MEMORY_POLICY.")
  @Size(max = Bounds.WORD)
  public String constraint;

  @JsonPropertyDescription("Memory cgroup whose limit was hit, as the kernel printed its path.")
  @Size(max = Bounds.PATH)
  public String oomMemcg;

  @JsonPropertyDescription("Memory cgroup of the killed task, as the kernel printed its path.")
  @Size(max = Bounds.PATH)
  public String taskMemcg;

  @JsonPropertyDescription("Virtual memory of the killed process, kB.")
  public Long totalVmKb;

  @JsonPropertyDescription("Anonymous resident memory of the killed process, kB.")
  public Long anonRssKb;

  @JsonPropertyDescription("File-backed resident memory of the killed process, kB.")
  public Long fileRssKb;

  @JsonPropertyDescription("Shared-memory resident memory of the killed process, kB.")
  public Long shmemRssKb;

  @JsonPropertyDescription("Page tables of the killed process, kB.")
  public Long pgtablesKb;

  @JsonPropertyDescription("oom_score_adj of the killed process.")
  @Min(-1000)
  @Max(1000)
  public Integer oomScoreAdj;

  @JsonPropertyDescription("Memory usage of the OOM cgroup at the kill, kB.")
  public Long usageKb;

  @JsonPropertyDescription("Memory limit of the OOM cgroup at the kill, kB.")
  public Long limitKb;

  @JsonPropertyDescription("How often the OOM cgroup hit its limit (failcnt; 0 on cgroup v2).")
  public Long failcnt;

  @JsonPropertyDescription("Swap (v2) or memory+swap (v1) usage at the kill, kB.")
  public Long swapUsageKb;

  @JsonPropertyDescription("Swap (v2) or memory+swap (v1) limit at the kill, kB.")
  public Long swapLimitKb;

  @JsonPropertyDescription("Kernel memory usage of the OOM cgroup (cgroup v1 only), kB.")
  public Long kmemUsageKb;

  @JsonPropertyDescription("The task whose allocation invoked the OOM killer.")
  public Invoker invoker;

  @JsonPropertyDescription("Every key=value of the oom-kill:constraint line, as printed.")
  @Size(max = 16)
  public Map<String, String> constraintDetails;

  @JsonPropertyDescription(
      "The cgroup whose tasks the kernel killed together because memory.oom.group was set on it"
          + " (\"Tasks in PATH are going to be killed due to memory.oom.group set\"); the other"
          + " victims are counted in the OomKill's repeats.")
  @Size(max = Bounds.PATH)
  public String oomGroup;

  @JsonPropertyDescription("The cgroup path of the 'Memory cgroup stats for' section.")
  @Size(max = Bounds.PATH)
  public String memcgStatsPath;

  @JsonPropertyDescription("memory.stat of the OOM cgroup as printed in the report (bytes/pages).")
  @Size(max = Bounds.STATS)
  public Map<String, Long> memcgStats;

  @JsonPropertyDescription(
      "The kernel's task table at the kill: the victim, the invoker and the largest others by"
          + " resident memory, at most 200 rows.")
  @Size(max = Bounds.TASKS)
  public List<OomTask> tasks;

  @JsonPropertyDescription(
      "Rows of the kernel's task table left out of tasks to keep the report bounded.")
  @Min(0)
  public Integer tasksOmitted;

  /** The task that invoked the OOM killer (not necessarily the victim). */
  @JsonPropertyOrder({"process", "gfpMask", "order", "oomScoreAdj"})
  public static class Invoker {
    @JsonPropertyDescription("Name of the invoking task (a thread name, e.g. 'VM Thread').")
    @Size(max = Bounds.COMM)
    public String process;

    @JsonPropertyDescription("Allocation flags of the failing allocation.")
    @Size(max = Bounds.WORD)
    public String gfpMask;

    @JsonPropertyDescription("Allocation order (2^order pages).")
    public Integer order;

    @JsonPropertyDescription("oom_score_adj of the invoking task.")
    @Min(-1000)
    @Max(1000)
    public Integer oomScoreAdj;
  }

  /** Returns the memcg stats map, creating it on first use. */
  public Map<String, Long> memcgStats() {
    if (memcgStats == null) {
      memcgStats = new LinkedHashMap<>();
    }
    return memcgStats;
  }

  /** Returns the task list, creating it on first use. */
  public List<OomTask> tasks() {
    if (tasks == null) {
      tasks = new ArrayList<>();
    }
    return tasks;
  }
}
