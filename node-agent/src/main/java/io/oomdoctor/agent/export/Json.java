package io.oomdoctor.agent.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.evidence.OomReport;

/** The one-line JSON the agent prints for a kill (parse, scan, run --exporter stdout). */
public final class Json {
  public static final ObjectMapper MAPPER =
      new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

  private Json() {}

  /** The report's fields, flat, nulls included. */
  public static String line(OomReport r) {
    try {
      return MAPPER.writeValueAsString(r);
    } catch (Exception e) {
      throw new IllegalStateException("cannot serialise an OOM report", e);
    }
  }

  /** The report's fields plus the agent's evidence (node, pod, cgroups, trend, processes). */
  public static String line(OomKill kill) {
    ObjectNode node = MAPPER.valueToTree(kill.getSpec().report);
    node.put("node", kill.getSpec().nodeName);
    node.put("name", kill.getMetadata().getName());
    node.set("pod", MAPPER.valueToTree(kill.getSpec().pod));
    node.set("cgroups", MAPPER.valueToTree(kill.getSpec().cgroups));
    node.set("trend", MAPPER.valueToTree(kill.getSpec().trend));
    node.set("processes", MAPPER.valueToTree(kill.getSpec().processes));
    try {
      return MAPPER.writeValueAsString(node);
    } catch (Exception e) {
      throw new IllegalStateException("cannot serialise an OOM kill", e);
    }
  }
}
