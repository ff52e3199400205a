package io.oomdoctor.agent.export;

import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomKillSpec;
import io.oomdoctor.model.evidence.OomReport;
import io.oomdoctor.model.evidence.OomTask;
import java.util.List;
import java.util.Objects;

/**
 * An OomKill cut to what a diagnosis cannot do without — the victim, the limit, the counters and
 * the trend's figures — for an API server that refused the whole of it. What was left out is said
 * in the report's incompleteReason.
 */
final class Shrink {
  private Shrink() {}

  static void toEssentials(OomKill kill) {
    OomKillSpec spec = kill.getSpec();
    OomReport r = spec.report;
    if (r != null) {
      r.memcgStats = null;
      r.constraintDetails = null;
      if (r.tasks != null) {
        int all = r.tasks.size() + (r.tasksOmitted == null ? 0 : r.tasksOmitted);
        List<OomTask> victim =
            r.tasks.stream().filter(t -> Objects.equals(t.pid, r.pid)).limit(1).toList();
        r.tasks = victim.isEmpty() ? null : victim;
        r.tasksOmitted = all - victim.size();
      }
      r.complete = false;
      String note =
          "shrunk to its essentials for the API server (memory.stat, task table left out)";
      r.incompleteReason = r.incompleteReason == null ? note : r.incompleteReason + "; " + note;
    }
    if (spec.cgroups != null) {
      spec.cgroups.forEach(c -> c.stats = null);
    }
    if (spec.trend != null) {
      spec.trend.series = null;
    }
    spec.processes = null;
    if (spec.pod != null) {
      spec.pod.labels = null;
    }
  }
}
