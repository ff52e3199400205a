package io.oomdoctor.agent.docker;

import io.oomdoctor.diagnosis.Bytes;
import io.oomdoctor.model.Text;
import java.util.List;
import java.util.Map;

/** The triage as a person reads it in a terminal. */
public final class DoctorReport {
  private static final char[] LEVELS = {'▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'};
  static final int BAR_WIDTH = 40;
  static final int SPARK_WIDTH = 48;

  private DoctorReport() {}

  public static String text(Triage t) {
    StringBuilder sb = new StringBuilder();
    String id = t.id == null ? "" : " (" + t.id.substring(0, Math.min(12, t.id.length())) + ")";
    row(sb, "Container", nz(t.container) + id + (t.image == null ? "" : "  image " + t.image));
    if (t.composeProject != null || t.composeService != null) {
      row(sb, "Compose", "project " + nz(t.composeProject) + ", service " + nz(t.composeService));
    }
    if (Boolean.TRUE.equals(t.containerExists)) {
      row(
          sb,
          "State",
          nz(t.status)
              + (Boolean.TRUE.equals(t.running) ? "" : ", exit code " + t.exitCode)
              + ", OOMKilled "
              + t.oomKilled
              + ", restarts "
              + t.restartCount
              + " (policy "
              + (t.restartPolicy == null || t.restartPolicy.isEmpty() ? "no" : t.restartPolicy)
              + ")");
      row(
          sb,
          "Limits",
          (t.limitBytes == null ? "no memory limit" : "memory " + Bytes.human(t.limitBytes))
              + ", swap "
              + swap(t)
              + (t.reservationBytes == null
                  ? ""
                  : ", reservation " + Bytes.human(t.reservationBytes))
              + (Boolean.TRUE.equals(t.oomKillDisable) ? ", OOM killer disabled" : "")
              + (t.oomScoreAdj == null || t.oomScoreAdj == 0
                  ? ""
                  : ", oom_score_adj " + t.oomScoreAdj));
    } else if (t.limitBytes != null) {
      row(sb, "Limits", "memory " + Bytes.human(t.limitBytes) + " (from the kernel's report)");
    }
    row(
        sb,
        "Kernel",
        Boolean.TRUE.equals(t.kernelReportFound)
            ? t.kernelReports
                + " OOM report(s) of this container in the "
                + t.kernelReportSource
                + "; the last killed "
                + nz(t.victimProcess)
                + " (pid "
                + t.victimPid
                + ")"
                + (t.killedAt == null ? "" : " at " + t.killedAt)
            : "no OOM report of this container in the kernel log");
    row(sb, "Verdict", t.verdict + ": " + t.summary);
    if (t.cause != null && !t.cause.equals("NotOomKill") && !t.cause.equals("NoOomKill")) {
      row(sb, "Cause", t.cause + String.format(" (%.0f %% sure)", t.confidence * 100));
    }
    if (t.explanation != null && !t.explanation.isEmpty()) {
      row(sb, "", t.explanation);
    }
    if (!t.history.isEmpty()) {
      row(
          sb,
          "Memory",
          sparkline(t.history, t.limitBytes)
              + (t.limitBytes == null ? "" : "┤ limit " + Bytes.human(t.limitBytes))
              + "  ("
              + t.historySource
              + ", "
              + String.format(
                  java.util.Locale.ROOT,
                  "%.0f",
                  Math.max(1, t.history.size() - 1) * t.historyIntervalMillis / 1000.0)
              + " s, peak "
              + Bytes.human(t.history.stream().mapToLong(Long::longValue).max().orElse(0))
              + ")");
    } else {
      row(
          sb,
          "Memory",
          (t.usageBytes == null ? "" : "usage " + Bytes.human(t.usageBytes) + ", ")
              + "no history of the curve: its cgroup is gone or the container does not run");
    }
    if (!t.breakdown.isEmpty()) {
      row(sb, "Breakdown", bar(t.breakdown, t.limitBytes));
    }
    if (t.fix != null && !t.fix.isEmpty()) {
      row(sb, "Fix", t.fix);
    }
    if (!t.dockerRunFlags.isEmpty()) {
      row(sb, "docker run", String.join(" ", t.dockerRunFlags));
    }
    if (!t.compose.isEmpty()) {
      StringBuilder c = new StringBuilder();
      t.compose.forEach(
          (k, v) -> c.append(c.length() == 0 ? "" : ", ").append(k).append(": ").append(v));
      row(sb, "Compose", c.toString());
    }
    for (String n : t.notes) {
      row(sb, "Note", n);
    }
    return Text.printable(sb.toString(), true);
  }

  private static String swap(Triage t) {
    if (t.swapLimitBytes == null) {
      return t.limitBytes == null
          ? "unlimited"
          : "default (as much again as memory, where the host has swap)";
    }
    if (t.swapLimitBytes == -1) {
      return "unlimited";
    }
    if (t.limitBytes != null && t.swapLimitBytes.equals(t.limitBytes)) {
      return "none (--memory-swap equals --memory)";
    }
    return t.limitBytes == null
        ? Bytes.human(t.swapLimitBytes)
        : Bytes.human(t.swapLimitBytes - t.limitBytes);
  }

  private static void row(StringBuilder sb, String label, String text) {
    sb.append(String.format("%-11s", label)).append(text).append('\n');
  }

  private static String nz(String s) {
    return s == null ? "?" : s;
  }

  /**
   * One line of bars, each a sample: the full height is the limit (or the highest sample when there
   * is none); a sample at or over the limit is a full block.
   */
  public static String sparkline(List<Long> values, Long limit) {
    List<Long> v = values;
    if (v.size() > SPARK_WIDTH) {
      // keep the shape: the highest sample of each bucket
      java.util.ArrayList<Long> out = new java.util.ArrayList<>();
      for (int i = 0; i < SPARK_WIDTH; i++) {
        int from = i * v.size() / SPARK_WIDTH;
        int to = Math.max(from + 1, (i + 1) * v.size() / SPARK_WIDTH);
        out.add(v.subList(from, to).stream().mapToLong(Long::longValue).max().orElse(0));
      }
      v = out;
    }
    long top =
        limit != null && limit > 0 ? limit : v.stream().mapToLong(Long::longValue).max().orElse(1);
    StringBuilder sb = new StringBuilder();
    for (long x : v) {
      int level =
          (int) Math.min(LEVELS.length - 1, Math.max(0, x * LEVELS.length / Math.max(1, top)));
      sb.append(LEVELS[level]);
    }
    return sb.toString();
  }

  /** anon, file cache, shmem and kernel memory as parts of one bar as wide as the limit. */
  public static String bar(Map<String, Long> parts, Long limit) {
    long sum = parts.values().stream().mapToLong(Long::longValue).sum();
    long whole = limit != null && limit > 0 ? Math.max(limit, sum) : Math.max(1, sum);
    char[] marks = {'█', '▓', '▒', '░'};
    StringBuilder bar = new StringBuilder("[");
    StringBuilder legend = new StringBuilder();
    int used = 0;
    int i = 0;
    for (Map.Entry<String, Long> e : parts.entrySet()) {
      int n = (int) Math.round((double) e.getValue() * BAR_WIDTH / whole);
      n = Math.min(n, BAR_WIDTH - used);
      bar.append(String.valueOf(marks[i % marks.length]).repeat(n));
      used += n;
      legend
          .append(legend.length() == 0 ? "" : ", ")
          .append(marks[i % marks.length])
          .append(' ')
          .append(e.getKey().equals("file") ? "file cache" : e.getKey())
          .append(' ')
          .append(Bytes.human(e.getValue()));
      i++;
    }
    bar.append(" ".repeat(BAR_WIDTH - used)).append("]");
    return bar + " " + legend + (limit == null ? "" : " of " + Bytes.human(limit));
  }
}
