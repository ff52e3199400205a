package io.oomdoctor.agent.cgroup;

import io.oomdoctor.agent.cgroup.CgroupPathInfo.Level;
import io.oomdoctor.model.evidence.OomReport;

/** Fills the attribution fields of a parsed report from its cgroup paths. */
public final class Attribution {
  private Attribution() {}

  /**
   * Sets podUid, containerId, containerRuntime, qosClass, cgroupDriver and limitScope from the
   * report's task/oom cgroup paths. Leaves them null where the paths do not tell.
   */
  public static OomReport attribute(OomReport r) {
    String taskPath = r.taskMemcg != null ? r.taskMemcg : r.memcgStatsPath;
    CgroupPathInfo task = CgroupPaths.parse(taskPath);
    CgroupPathInfo oom = CgroupPaths.parse(r.oomMemcg != null ? r.oomMemcg : r.memcgStatsPath);
    CgroupPathInfo who = task.level() != Level.OUTSIDE || task.containerId() != null ? task : oom;
    r.podUid = who.podUid();
    r.containerId = who.containerId();
    r.containerRuntime = who.runtime();
    r.qosClass = who.qosClass();
    r.cgroupDriver = who.driver();
    r.limitScope = limitScope(r, oom);
    return r;
  }

  private static String limitScope(OomReport r, CgroupPathInfo oom) {
    if (OomReport.KIND_GLOBAL.equals(r.kind)) {
      return "node";
    }
    if (r.kind == null && oom.level() == CgroupPathInfo.Level.OUTSIDE) {
      return null; // a fragment of a report: unknown
    }
    return switch (oom.level()) {
      case CONTAINER -> "container";
      case POD -> "pod";
      case NODE -> "node";
      // A limit outside kubepods: a plain container's own, or a service's (MemoryMax=).
      case OUTSIDE -> oom.containerId() != null ? "container" : null;
    };
  }
}
