package io.oomdoctor.agent.cli;

import io.oomdoctor.diagnosis.Diagnoser;
import io.oomdoctor.diagnosis.Diagnosis;
import io.oomdoctor.diagnosis.Finding;
import io.oomdoctor.model.OomKillSpec;
import io.oomdoctor.model.Text;
import io.oomdoctor.model.evidence.Attribution;
import io.oomdoctor.model.evidence.OomReport;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.function.Function;

/** Kernel log text in, for each kill the diagnosis a person reads. */
final class ExplainCommand {
  private ExplainCommand() {}

  static Options options(Function<String, String> env) {
    return new Options(
            "explain",
            "Like parse, but print for each OOM kill why it happened and what to do (cause,"
                + " numbers, fix): for a host where only the kernel log is at hand.",
            env)
        .positional("FILE", "Files to read; stdin when none.");
  }

  static int run(List<String> files, PrintStream out, PrintStream err) throws IOException {
    Diagnoser diagnoser = new Diagnoser();
    return ParseCommand.run(
        files, spec -> out.println(text(spec, diagnoser.diagnose(spec))), out, err);
  }

  /** The diagnosis as a person reads it; nothing of the kernel's text reaches the terminal raw. */
  static String text(OomKillSpec spec, Diagnosis d) {
    return Text.printable(raw(spec, d), true);
  }

  private static String raw(OomKillSpec spec, Diagnosis d) {
    OomReport r = spec.report;
    Attribution a = spec.attribution == null ? new Attribution() : spec.attribution;
    StringBuilder sb = new StringBuilder();
    sb.append("OOM kill of ")
        .append(r.process == null ? "an unknown process" : r.process)
        .append(r.pid == null ? "" : " (pid " + r.pid + ")");
    if (a.podUid != null) {
      sb.append(", pod ").append(a.podUid);
      if (a.containerId != null) {
        sb.append(" container ").append(a.containerId, 0, Math.min(12, a.containerId.length()));
      }
    }
    if (r.timestamp != null) {
      sb.append(" at ").append(r.timestamp);
    }
    if (Boolean.FALSE.equals(r.complete)) {
      sb.append(" [report incomplete: ").append(r.incompleteReason).append(']');
    }
    sb.append('\n')
        .append("  cause: ")
        .append(d.cause())
        .append(" — ")
        .append(d.cause().meaning())
        .append(String.format(" (confidence %.0f %%)", d.primary().confidence() * 100))
        .append('\n')
        .append("  ")
        .append(d.explain())
        .append('\n');
    for (String against : d.primary().evidenceAgainst()) {
      sb.append("    against it: ").append(against).append('\n');
    }
    for (Finding other : d.others()) {
      sb.append("  also possible: ")
          .append(other.cause())
          .append(String.format(" (%.0f %%)", other.confidence() * 100))
          .append(" — ")
          .append(other.summary())
          .append('\n');
      for (String against : other.evidenceAgainst()) {
        sb.append("    against it: ").append(against).append('\n');
      }
    }
    return sb.toString();
  }
}
