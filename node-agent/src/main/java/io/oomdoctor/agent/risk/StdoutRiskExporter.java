package io.oomdoctor.agent.risk;

import io.oomdoctor.agent.json.JsonWriter;
import io.oomdoctor.model.OomRisk;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/** Each risk state as one JSON line, {@code {"oomRisk": {name, namespace, spec}}}. */
public final class StdoutRiskExporter implements RiskExporter {
  private static final JsonWriter JSON = new JsonWriter(false);
  private final PrintStream out;

  public StdoutRiskExporter(PrintStream out) {
    this.out = out;
  }

  @Override
  public void report(OomRisk risk) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", risk.getMetadata().getName());
    body.put("namespace", risk.getMetadata().getNamespace());
    body.put("spec", risk.getSpec());
    String line = JSON.write(Map.of("oomRisk", body));
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }
}
