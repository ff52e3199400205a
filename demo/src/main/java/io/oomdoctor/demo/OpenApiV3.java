package io.oomdoctor.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The OpenAPI v3 documents kubectl reads before it creates, applies or explains: one per group
 * version, listed at {@code /openapi/v3}. Each kind has a schema marked with its group, version and
 * kind, and a PATCH operation that takes {@code fieldValidation} — which is how kubectl learns that
 * the server validates fields itself, so that it does not fall back to the protobuf OpenAPI v2
 * document, which this server does not speak. The project's own kinds get the full schemas of their
 * CRDs (what {@code kubectl explain} shows); built-in kinds get an open schema (this server keeps
 * what it is given, and kubectl knows their fields itself).
 */
final class OpenApiV3 {
  private static final ObjectMapper JSON = new ObjectMapper();

  private OpenApiV3() {}

  /** The root: {@code {"paths": {"api/v1": {"serverRelativeURL": ...}, ...}}}. */
  static String root(Collection<KubectlCompat.Resource> resources) throws Exception {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode paths = root.putObject("paths");
    for (String gv : groupVersions(resources)) {
      paths.putObject(gv).put("serverRelativeURL", "/openapi/v3/" + gv + "?hash=" + HASH);
    }
    return JSON.writeValueAsString(root);
  }

  /** Changes when the documents do: kubectl caches them by this. */
  static final String HASH = "oomdoctor-demo-1";

  /**
   * The document of one group version ({@code api/v1}, {@code apis/apps/v1}), or null when there is
   * none.
   */
  static String document(
      String groupVersionPath,
      Collection<KubectlCompat.Resource> resources,
      Map<String, CustomResourceDefinition> crds)
      throws Exception {
    List<KubectlCompat.Resource> of =
        resources.stream().filter(r -> path(r).equals(groupVersionPath)).toList();
    if (of.isEmpty()) {
      return null;
    }
    ObjectNode doc = JSON.createObjectNode().put("openapi", "3.0.0");
    doc.putObject("info").put("title", "Kubernetes (OOM Doctor demo)").put("version", "v1.32.0");
    ObjectNode paths = doc.putObject("paths");
    ObjectNode schemas = doc.putObject("components").putObject("schemas");
    for (KubectlCompat.Resource r : of) {
      String id = schemaId(r);
      ObjectNode schema = schemaOf(r, crds.get(r.plural()));
      schemas.set(id, schema);
      String prefix = "/" + groupVersionPath + (r.namespaced() ? "/namespaces/{namespace}" : "");
      ObjectNode gvk = gvk(r);
      for (String p : List.of(prefix + "/" + r.plural(), prefix + "/" + r.plural() + "/{name}")) {
        ObjectNode item = paths.putObject(p);
        boolean one = p.endsWith("{name}");
        for (String verb :
            one ? List.of("get", "put", "patch", "delete") : List.of("get", "post")) {
          ObjectNode op = item.putObject(verb);
          op.put("operationId", verb + r.kind() + (one ? "" : "List"));
          op.set("x-kubernetes-group-version-kind", gvk.deepCopy());
          op.put("x-kubernetes-action", action(verb, one));
          var params = op.putArray("parameters");
          if (!verb.equals("get") && !verb.equals("delete")) {
            params
                .addObject()
                .put("name", "fieldValidation")
                .put("in", "query")
                .put("description", "Strict, Warn or Ignore: how unknown fields are handled.")
                .putObject("schema")
                .put("type", "string")
                .put("uniqueItems", true);
            params
                .addObject()
                .put("name", "fieldManager")
                .put("in", "query")
                .putObject("schema")
                .put("type", "string");
          }
          ObjectNode ok = op.putObject("responses").putObject("200");
          ok.put("description", "OK");
          ok.putObject("content")
              .putObject("application/json")
              .putObject("schema")
              .put("$ref", "#/components/schemas/" + id);
        }
      }
    }
    return JSON.writeValueAsString(doc);
  }

  private static String action(String verb, boolean one) {
    return switch (verb) {
      case "get" -> one ? "get" : "list";
      case "put" -> "put";
      default -> verb;
    };
  }

  private static ObjectNode schemaOf(KubectlCompat.Resource r, CustomResourceDefinition crd) {
    ObjectNode s = null;
    if (crd != null) {
      for (CustomResourceDefinitionVersion v : crd.getSpec().getVersions()) {
        if (v.getName().equals(r.version())
            && v.getSchema() != null
            && v.getSchema().getOpenAPIV3Schema() != null) {
          s = JSON.valueToTree(v.getSchema().getOpenAPIV3Schema());
        }
      }
    }
    if (s == null) {
      s = JSON.createObjectNode().put("type", "object");
      s.put("description", r.kind() + " (the demo's API server keeps it as given).");
      ObjectNode props = s.putObject("properties");
      for (String part : List.of("spec", "status")) {
        props
            .putObject(part)
            .put("type", "object")
            .put("x-kubernetes-preserve-unknown-fields", true);
      }
      s.put("x-kubernetes-preserve-unknown-fields", true);
    }
    ObjectNode props =
        s.has("properties") ? (ObjectNode) s.get("properties") : s.putObject("properties");
    props
        .putObject("apiVersion")
        .put("type", "string")
        .put("description", "The versioned schema of this representation of an object.");
    props
        .putObject("kind")
        .put("type", "string")
        .put("description", "The REST resource this object represents.");
    if (!props.has("metadata") || props.get("metadata").size() <= 1) {
      props
          .putObject("metadata")
          .put("type", "object")
          .put("description", "Standard object metadata: name, namespace, labels, annotations.")
          .put("x-kubernetes-preserve-unknown-fields", true);
    }
    s.set("x-kubernetes-group-version-kind", JSON.createArrayNode().add(gvk(r)));
    return s;
  }

  private static ObjectNode gvk(KubectlCompat.Resource r) {
    return JSON.createObjectNode()
        .put("group", r.group())
        .put("kind", r.kind())
        .put("version", r.version());
  }

  private static String schemaId(KubectlCompat.Resource r) {
    String group = r.group().isEmpty() ? "core" : r.group();
    return "io.oomdoctor.demo." + group + "." + r.version() + "." + r.kind();
  }

  static String path(KubectlCompat.Resource r) {
    return r.group().isEmpty() ? "api/" + r.version() : "apis/" + r.group() + "/" + r.version();
  }

  private static List<String> groupVersions(Collection<KubectlCompat.Resource> resources) {
    Map<String, Boolean> seen = new LinkedHashMap<>();
    resources.forEach(r -> seen.put(path(r), true));
    return List.copyOf(seen.keySet());
  }
}
