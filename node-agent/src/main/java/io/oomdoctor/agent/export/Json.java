package io.oomdoctor.agent.export;

import io.oomdoctor.agent.json.JsonWriter;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.evidence.Attribution;
import io.oomdoctor.model.evidence.OomReport;
import java.util.LinkedHashMap;
import java.util.Map;

/** The JSON the agent writes: a kill's one line (parse, scan, stdout) and an OomKill's body. */
public final class Json {
  private static final JsonWriter WITH_NULLS = new JsonWriter(true);
  private static final JsonWriter WITHOUT_NULLS = new JsonWriter(false);

  private Json() {}

  /**
   * The report's fields, flat, nulls included (what the kernel printed), then {@code attribution}:
   * what the agent inferred from it.
   */
  public static String line(OomReport r, Attribution a) {
    return open(r, a).append('}').toString();
  }

  private static StringBuilder open(OomReport r, Attribution a) {
    String report = WITH_NULLS.write(r);
    StringBuilder sb = new StringBuilder(report.length() + 2048);
    sb.append(report, 0, report.length() - 1);
    if (report.length() > 2) {
      sb.append(',');
    }
    return field(sb, "attribution", a);
  }

  /**
   * The report's fields plus the agent's evidence (node, pod, the kills it stands for, cgroups,
   * trend, processes).
   */
  public static String line(OomKill kill) {
    StringBuilder sb = open(kill.getSpec().report, kill.getSpec().attribution).append(',');
    field(sb, "node", kill.getSpec().nodeName).append(',');
    field(sb, "name", kill.getMetadata().getName()).append(',');
    field(sb, "pod", kill.getSpec().pod).append(',');
    field(sb, "repeats", kill.getSpec().repeats).append(',');
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

  /**
   * A resource of the project's (an OomKill, an OomRisk) as the API server takes it: apiVersion,
   * kind, metadata (name, namespace, labels), spec; no nulls.
   */
  public static String body(io.fabric8.kubernetes.client.CustomResource<?, ?> resource) {
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("name", resource.getMetadata().getName());
    meta.put("namespace", resource.getMetadata().getNamespace());
    meta.put("labels", resource.getMetadata().getLabels());
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("apiVersion", resource.getApiVersion());
    body.put("kind", resource.getKind());
    body.put("metadata", meta);
    body.put("spec", resource.getSpec());
    return WITHOUT_NULLS.write(body);
  }
}
