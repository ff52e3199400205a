package io.oomdoctor.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;

/**
 * Kubernetes' strategic merge patch, as far as the demo's API server needs it: objects merge key by
 * key and a null value removes the key; a list whose items are all objects with a {@code name}
 * (containers, env, volumes, volumeMounts, named ports) merges item by item on the name — with
 * {@code "$patch": "delete"} removing one — and any other list is replaced.
 */
final class StrategicMerge {
  private StrategicMerge() {}

  static JsonNode apply(JsonNode target, JsonNode patch) {
    if (!patch.isObject() || !target.isObject()) {
      return patch.deepCopy();
    }
    ObjectNode out = ((ObjectNode) target).deepCopy();
    Iterator<Map.Entry<String, JsonNode>> it = patch.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = e.getKey();
      JsonNode value = e.getValue();
      if (key.startsWith("$")) {
        continue; // directives other than list deletes are not needed here
      }
      if (value.isNull()) {
        out.remove(key);
      } else if (value.isObject() && out.path(key).isObject()) {
        out.set(key, apply(out.get(key), value));
      } else if (value.isArray() && out.path(key).isArray() && named((ArrayNode) value)) {
        out.set(key, mergeByName((ArrayNode) out.get(key), (ArrayNode) value));
      } else {
        out.set(key, value.deepCopy());
      }
    }
    return out;
  }

  private static boolean named(ArrayNode list) {
    if (list.isEmpty()) {
      return false;
    }
    for (JsonNode n : list) {
      if (!n.isObject() || !n.path("name").isTextual()) {
        return false;
      }
    }
    return true;
  }

  private static ArrayNode mergeByName(ArrayNode current, ArrayNode patch) {
    ArrayNode out = JsonNodeFactory.instance.arrayNode();
    current.forEach(n -> out.add(n.deepCopy()));
    for (JsonNode p : patch) {
      String name = p.get("name").asText();
      boolean delete = "delete".equals(p.path("$patch").asText());
      int at = -1;
      for (int i = 0; i < out.size(); i++) {
        if (name.equals(out.get(i).path("name").asText())) {
          at = i;
        }
      }
      if (delete) {
        if (at >= 0) {
          out.remove(at);
        }
      } else if (at >= 0) {
        out.set(at, apply(out.get(at), p));
      } else {
        ObjectNode added = ((ObjectNode) p).deepCopy();
        added.remove("$patch");
        out.add(added);
      }
    }
    return out;
  }
}
