package io.oomdoctor.agent.export;

import io.oomdoctor.model.Bounds;
import io.oomdoctor.model.evidence.OomReport;
import io.oomdoctor.model.evidence.OomTask;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Fits a report into the OomKill schema's bounds, so that the API server never refuses a kill for
 * its size: a host OOM lists every task of the node, and a container may run thousands of
 * processes. The task table keeps the victim, the invoker and the largest others by resident
 * memory; how many rows were left out is kept too. Over-long texts (paths a container named) are
 * cut, never dropped.
 */
public final class ReportBounds {
  private ReportBounds() {}

  public static OomReport fit(OomReport r) {
    r.process = clip(r.process, Bounds.COMM);
    r.oomMemcg = clip(r.oomMemcg, Bounds.PATH);
    r.taskMemcg = clip(r.taskMemcg, Bounds.PATH);
    r.memcgStatsPath = clip(r.memcgStatsPath, Bounds.PATH);
    r.incompleteReason = clip(r.incompleteReason, Bounds.TEXT);
    if (r.invoker != null) {
      r.invoker.process = clip(r.invoker.process, Bounds.COMM);
      r.invoker.gfpMask = clip(r.invoker.gfpMask, Bounds.WORD);
    }
    if (r.constraintDetails != null) {
      r.constraintDetails.replaceAll((k, v) -> clip(v, Bounds.PATH));
    }
    if (r.tasks != null) {
      for (OomTask t : r.tasks) {
        t.name = clip(t.name, Bounds.COMM);
      }
      if (r.tasks.size() > Bounds.TASKS) {
        int all = r.tasks.size();
        r.tasks = keep(r, Bounds.TASKS);
        r.tasksOmitted = all - r.tasks.size();
      }
    }
    return r;
  }

  /** The victim, the invoker, then the largest by resident pages, in the kernel's order. */
  private static List<OomTask> keep(OomReport r, int max) {
    String invoker = r.invoker == null ? null : r.invoker.process;
    List<OomTask> ranked = new ArrayList<>(r.tasks);
    ranked.sort(
        Comparator.comparing((OomTask t) -> !Objects.equals(t.pid, r.pid))
            .thenComparing(t -> invoker == null || !invoker.equals(t.name))
            .thenComparing(t -> t.rssPages == null ? 0L : t.rssPages, Comparator.reverseOrder()));
    List<OomTask> kept = ranked.subList(0, max);
    List<OomTask> out = new ArrayList<>(max);
    for (OomTask t : r.tasks) {
      if (kept.contains(t)) {
        out.add(t);
      }
    }
    return out;
  }

  private static String clip(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max);
  }
}
