package io.oomdoctor.diagnosis.rules;

import io.oomdoctor.diagnosis.Bytes;
import io.oomdoctor.diagnosis.Cause;
import io.oomdoctor.diagnosis.DiagnosisSettings;
import io.oomdoctor.diagnosis.Facts;
import io.oomdoctor.diagnosis.Finding;
import io.oomdoctor.diagnosis.Rule;
import io.oomdoctor.model.evidence.OomTask;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Several processes share one limit: a worker killed while the container's main process lives on
 * (Kubernetes then shows no restart at all), or memory spread over several large processes.
 */
public final class SharedLimit implements Rule {
  @Override
  public Optional<Finding> evaluate(Facts f, DiagnosisSettings s) {
    Long limit = f.limitBytes();
    if (limit == null || f.hostOom()) {
      return Optional.empty();
    }
    List<OomTask> large = f.tasks().stream().filter(t -> Facts.rss(t) >= limit / 10).toList();
    long total = f.tasks().stream().mapToLong(Facts::rss).sum();
    if (!f.victimIsChild() && large.size() < 2) {
      return Optional.empty();
    }
    Integer pid = f.report().pid;
    long victimRss =
        f.tasks().stream()
            .filter(t -> pid != null && pid.equals(t.pid))
            .mapToLong(Facts::rss)
            .sum();
    boolean seenBefore = pid != null && f.processes().stream().anyMatch(p -> pid.equals(p.pid));
    Integer configured = configuredWorkers(f);
    if (f.victimIsChild()
        && large.size() < 2
        && total > 0
        && victimRss * 10 >= total * 7
        && !seenBefore
        && configured == null) {
      // One short-lived child held nearly all of it alone (a job the main process ran, or a
      // worker): it shares the limit with the main process, and its spike is not the
      // container's trend.
      return Optional.of(
          new Finding(
              Cause.SharedLimit,
              0.8,
              "A child process, "
                  + f.processName()
                  + ", alone held "
                  + Bytes.human(victimRss)
                  + " of the "
                  + Bytes.human(limit)
                  + " limit and was killed while the container's main process lives on (the pod"
                  + " shows no restart, only the kernel log tells): one job or worker needs more"
                  + " than the limit leaves it beside the main process — its spike, not the"
                  + " container's trend.",
              "Size the limit for the main process plus the largest job or worker at its peak, or"
                  + " make that job hold less (stream instead of buffering, smaller batches).",
              s.withHeadroom(Math.max(total, f.peakBytes())),
              Map.of()));
    }
    String what =
        f.victimIsChild()
            ? "A worker process, "
                + f.processName()
                + ", was killed while the container's main process lives on: the pod shows no"
                + " restart, only the kernel log tells."
            : large.size()
                + " processes of the container each held at least a tenth of the "
                + Bytes.human(limit)
                + " limit; together the "
                + f.tasks().size()
                + " processes held "
                + Bytes.human(total)
                + ".";
    long need = Math.max(configured == null ? f.processesDemand() : total, f.peakBytes());
    if (configured != null && f.tasks().size() >= 2) {
      // The server will run all its configured workers: the main process plus that many of the
      // largest worker seen, not only the workers started before the kill.
      OomTask main = f.tasks().stream().min(java.util.Comparator.comparing(t -> t.pid)).get();
      long largest =
          f.tasks().stream().filter(t -> t != main).mapToLong(Facts::rss).max().orElse(0);
      long demand = Facts.rss(main) + configured * largest;
      if (demand > need) {
        what +=
            " The server is configured for "
                + configured
                + " workers: with the largest seen ("
                + Bytes.human(largest)
                + ") they need about "
                + Bytes.human(demand)
                + ".";
        need = demand;
      }
    }
    return Optional.of(
        new Finding(
            Cause.SharedLimit,
            f.victimIsChild() ? 0.8 : 0.65,
            what,
            "Size the limit for all processes together (workers times the peak of one worker, plus"
                + " the main process), run fewer workers, or recycle them before they grow.",
            s.withHeadroom(need),
            Map.of()));
  }

  /** The worker count a prefork server was started with (gunicorn's --workers), or null. */
  static Integer configuredWorkers(Facts f) {
    if (f.caps() != null && f.caps().gunicornWorkers != null) {
      return f.caps().gunicornWorkers;
    }
    return f.processes().stream()
        .filter(p -> p.caps != null && p.caps.gunicornWorkers != null)
        .map(p -> p.caps.gunicornWorkers)
        .findFirst()
        .orElse(null);
  }
}
