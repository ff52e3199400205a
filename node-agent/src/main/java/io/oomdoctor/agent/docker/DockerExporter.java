package io.oomdoctor.agent.docker;

import io.oomdoctor.agent.export.Exporter;
import io.oomdoctor.agent.export.Json;
import io.oomdoctor.agent.json.JsonWriter;
import io.oomdoctor.agent.metrics.AgentMetrics;
import io.oomdoctor.diagnosis.Diagnoser;
import io.oomdoctor.diagnosis.Diagnosis;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomKillSpec;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Docker host's exporter: each kill diagnosed here, printed as one JSON line on stdout (for
 * journald and log collectors) with its diagnosis, counted by container, image and cause, and
 * recorded in the state directory's {@link KillLog} for {@code doctor}.
 */
public final class DockerExporter implements Exporter {
  /** Label sets of the kills counter at most; later containers count as "other". */
  static final int MAX_SERIES = 256;

  private final PrintStream out;
  private final AgentMetrics metrics;
  private final KillLog log;
  private final Diagnoser diagnoser = new Diagnoser();
  private final java.util.Set<String> series = new java.util.HashSet<>();

  public DockerExporter(PrintStream out, AgentMetrics metrics, KillLog log) {
    this.out = out;
    this.metrics = metrics;
    this.log = log;
  }

  @Override
  public synchronized void export(OomKill kill, Runnable delivered) {
    OomKillSpec spec = kill.getSpec();
    Diagnosis d = diagnoser.diagnose(spec);
    Map<String, Object> diagnosis = new LinkedHashMap<>();
    diagnosis.put("cause", d.cause().name());
    diagnosis.put("confidence", Math.round(d.primary().confidence() * 100) / 100.0);
    diagnosis.put("summary", DockerDoctor.forDocker(d.primary().summary()));
    diagnosis.put("fix", DockerDoctor.forDocker(d.primary().fix()));
    diagnosis.put("recommendedLimitBytes", d.primary().recommendedLimitBytes());
    diagnosis.put("runtimeFlags", d.primary().runtimeFlags());
    String diagnosisJson = new JsonWriter(true).write(diagnosis);
    String line = Json.line(kill);
    out.println(line.substring(0, line.length() - 1) + ",\"diagnosis\":" + diagnosisJson + "}");
    out.flush();
    String container = spec.pod == null ? "unknown" : spec.pod.name;
    String image =
        spec.pod == null || spec.pod.labels == null
            ? "unknown"
            : spec.pod.labels.getOrDefault("image", "unknown");
    String key = container + "\u0000" + image;
    if (!series.contains(key) && series.size() >= MAX_SERIES) {
      container = "other";
      image = "other";
    } else {
      series.add(key);
    }
    metrics.dockerKill(container, image, d.cause().name());
    metrics.exported("stdout");
    log.append(new JsonWriter(false).write(spec), diagnosisJson);
    delivered.run();
  }
}
