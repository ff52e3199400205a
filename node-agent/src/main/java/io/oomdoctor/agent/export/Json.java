package io.oomdoctor.agent.export;

import io.oomdoctor.agent.json.JsonWriter;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.evidence.OomReport;
import java.util.LinkedHashMap;
import java.util.Map;

/** The JSON the agent writes: a kill's one line (parse, scan, stdout) and an OomKill's body. */
public final class Json {
  private static final JsonWriter WITH_NULLS = new JsonWriter(true);
  private static final JsonWriter WITHOUT_NULLS = new JsonWriter(false);

  private Json() {}

  /** The report's fields, flat, nulls included. */
  public static String line(OomReport r) {
    return WITH_NULLS.write(r);
  }

  /** The report's fields plus the agent's evidence (node, pod, cgroups, trend, processes). */
  public static String line(OomKill kill) {
    String report = WITH_NULLS.write(kill.getSpec().report);
    StringBuilder sb = new StringBuilder(report.length() + 2048);
    sb.append(report, 0, report.length() - 1);
    if (report.length() > 2) {
      sb.append(',');
    }
    field(sb, "node", kill.getSpec().nodeName).append(',');
    field(sb, "name", kill.getMetadata().getName()).append(',');
    field(sb, "pod", kill.getSpec().pod).append(',');
    field(sb, "cgroups", kill.getSpec().cgroups).append(',');
    field(sb, "trend", kill.getSpec().trend).append(',');
    field(sb, "processes", kill.getSpec().processes);
    return sb.append('}').toString();
  }

  private static StringBuilder field(StringBuilder sb, String name, Object value) {
    JsonWriter.string(sb, name);
    sb.append(':');
    WITH_NULLS.value(sb, value);
    return sb;
  }

  /** The OomKill as the API server takes it: apiVersion, kind, metadata, spec; no nulls. */
  public static String body(OomKill kill) {
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("name", kill.getMetadata().getName());
    meta.put("namespace", kill.getMetadata().getNamespace());
    meta.put("labels", kill.getMetadata().getLabels());
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("apiVersion", kill.getApiVersion());
    body.put("kind", kill.getKind());
    body.put("metadata", meta);
    body.put("spec", kill.getSpec());
    return WITHOUT_NULLS.write(body);
  }
}
