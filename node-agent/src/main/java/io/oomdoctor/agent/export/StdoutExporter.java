package io.oomdoctor.agent.export;

import io.oomdoctor.agent.metrics.AgentMetrics;
import io.oomdoctor.model.OomKill;
import java.io.PrintStream;

/** Prints each kill as one JSON line: for hosts without Kubernetes, and for trying the agent. */
public final class StdoutExporter implements Exporter {
  private final PrintStream out;
  private final AgentMetrics metrics;

  public StdoutExporter(PrintStream out, AgentMetrics metrics) {
    this.out = out;
    this.metrics = metrics;
  }

  @Override
  public synchronized void export(OomKill kill, Runnable delivered) {
    out.println(Json.line(kill));
    out.flush();
    metrics.exported("stdout");
    delivered.run();
  }
}
