package io.oomdoctor.agent.cgroup;

import io.oomdoctor.agent.cgroup.CgroupPathInfo.Level;
import io.oomdoctor.model.evidence.Attribution;
import io.oomdoctor.model.evidence.OomReport;

/**
 * Infers whose kill a report is from cgroup paths: the report's own, or one the agent found
 * elsewhere for a lone kill line. The report itself is never changed.
 */
public final class PathAttribution {
  private PathAttribution() {}

  /** From the cgroup paths the kernel printed in the report. */
  public static Attribution of(OomReport r) {
    String task = r.taskMemcg != null ? r.taskMemcg : r.memcgStatsPath;
    String oom = r.oomMemcg != null ? r.oomMemcg : r.memcgStatsPath;
    return of(r, task, oom, Attribution.METHOD_REPORT_PATH);
  }

  /**
   * From the given paths (the victim's and the limit's cgroup), found by {@code method}. Pod UID,
   * container ID, runtime, QoS and driver stay null where the paths do not tell.
   */
  public static Attribution of(OomReport r, String taskPath, String oomPath, String method) {
    CgroupPathInfo task = CgroupPaths.parse(taskPath);
    CgroupPathInfo oom = CgroupPaths.parse(oomPath);
    CgroupPathInfo who = task.level() != Level.OUTSIDE || task.containerId() != null ? task : oom;
    Attribution a = new Attribution();
    a.method = taskPath == null && oomPath == null ? null : method;
    a.podUid = who.podUid();
    a.containerId = who.containerId();
    a.containerRuntime = who.runtime();
    a.qosClass = who.qosClass();
    a.cgroupDriver = who.driver();
    a.limitScope = limitScope(r, oom);
    return a;
  }

  private static String limitScope(OomReport r, CgroupPathInfo oom) {
    if (OomReport.KIND_GLOBAL.equals(r.kind)) {
      return "node";
    }
    if (r.kind == null && oom.level() == Level.OUTSIDE) {
      return null; // a fragment of a report: unknown
    }
    return switch (oom.level()) {
      case CONTAINER, INSIDE_CONTAINER -> "container";
      case POD -> "pod";
      case NODE -> "node";
      // A limit outside kubepods: a plain container's own, or a service's (MemoryMax=).
      case OUTSIDE -> oom.containerId() != null ? "container" : null;
    };
  }
}
