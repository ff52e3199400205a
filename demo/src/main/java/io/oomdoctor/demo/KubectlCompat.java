package io.oomdoctor.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the real {@code kubectl} needs from an API server that the fabric8 CRUD mock does not do by
 * itself, done in front of it: discovery documents (with verbs, short names and categories), a
 * Content-Type on every answer, typed list kinds, Event filtering by {@code involvedObject}, and
 * server-side printing (Tables) of our resources from their CRDs' printer columns.
 */
final class KubectlCompat extends Dispatcher {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> VERBS =
      List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");

  /** One API resource as discovery describes it. */
  record Resource(
      String group,
      String version,
      String plural,
      String singular,
      String kind,
      boolean namespaced,
      List<String> shortNames,
      List<String> categories) {
    String groupVersion() {
      return group.isEmpty() ? version : group + "/" + version;
    }
  }

  static final List<Resource> RESOURCES =
      List.of(
          new Resource("", "v1", "pods", "pod", "Pod", true, List.of("po"), List.of("all")),
          new Resource("", "v1", "events", "event", "Event", true, List.of("ev"), List.of()),
          new Resource(
              "", "v1", "namespaces", "namespace", "Namespace", false, List.of("ns"), List.of()),
          new Resource("", "v1", "nodes", "node", "Node", false, List.of("no"), List.of()),
          new Resource(
              "", "v1", "services", "service", "Service", true, List.of("svc"), List.of("all")),
          new Resource(
              "", "v1", "configmaps", "configmap", "ConfigMap", true, List.of("cm"), List.of()),
          new Resource(
              "",
              "v1",
              "serviceaccounts",
              "serviceaccount",
              "ServiceAccount",
              true,
              List.of("sa"),
              List.of()),
          new Resource(
              "apps",
              "v1",
              "deployments",
              "deployment",
              "Deployment",
              true,
              List.of("deploy"),
              List.of("all")),
          new Resource(
              "apps",
              "v1",
              "replicasets",
              "replicaset",
              "ReplicaSet",
              true,
              List.of("rs"),
              List.of("all")),
          new Resource(
              "apps",
              "v1",
              "statefulsets",
              "statefulset",
              "StatefulSet",
              true,
              List.of("sts"),
              List.of("all")),
          new Resource(
              "apps",
              "v1",
              "daemonsets",
              "daemonset",
              "DaemonSet",
              true,
              List.of("ds"),
              List.of("all")),
          new Resource("batch", "v1", "jobs", "job", "Job", true, List.of(), List.of("all")),
          new Resource(
              "batch", "v1", "cronjobs", "cronjob", "CronJob", true, List.of("cj"), List.of("all")),
          new Resource(
              "coordination.k8s.io", "v1", "leases", "lease", "Lease", true, List.of(), List.of()),
          new Resource(
              "apiextensions.k8s.io",
              "v1",
              "customresourcedefinitions",
              "customresourcedefinition",
              "CustomResourceDefinition",
              false,
              List.of("crd", "crds"),
              List.of()),
          new Resource(
              "oomdoctor.io",
              "v1alpha1",
              "oomkills",
              "oomkill",
              "OomKill",
              true,
              List.of("oomk"),
              List.of("oomdoctor")),
          new Resource(
              "oomdoctor.io",
              "v1alpha1",
              "oomrisks",
              "oomrisk",
              "OomRisk",
              true,
              List.of("oomr"),
              List.of("oomdoctor")),
          new Resource(
              "oomdoctor.io",
              "v1alpha1",
              "oompolicies",
              "oompolicy",
              "OomPolicy",
              true,
              List.of("oompol"),
              List.of("oomdoctor")));

  private final Dispatcher delegate;
  private final Map<String, CustomResourceDefinition> crds = new LinkedHashMap<>();

  KubectlCompat(Dispatcher delegate) {
    this.delegate = delegate;
  }

  /** An object of one of the project's resources (at {@code path}) as a Table; else null. */
  JsonNode tableOf(String path, JsonNode object) {
    Target t = target(path);
    CustomResourceDefinition crd = t == null ? null : crds.get(t.resource.plural());
    return crd == null || object == null || !object.isObject() ? null : table(crd, object, true);
  }

  void register(CustomResourceDefinition crd) {
    crds.put(crd.getSpec().getNames().getPlural(), crd);
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    String full = request.getPath();
    int q = full.indexOf('?');
    String path = q < 0 ? full : full.substring(0, q);
    String query = q < 0 ? "" : full.substring(q + 1);
    if ("GET".equals(request.getMethod())) {
      String discovery = discovery(path);
      if (discovery != null) {
        return json(200, discovery);
      }
      String openapi = openapi(path);
      if (openapi != null) {
        return json(200, openapi);
      }
    }
    String type = request.getHeader("Content-Type");
    if (type != null && type.contains("protobuf")) {
      // kubectl's generators (create namespace, configmap, secret) send protobuf.
      String asJson = null;
      try {
        asJson = KubeProtobuf.toJson(request.getBody().getBytes());
      } catch (IllegalArgumentException e) {
        // unreadable: refused below
      }
      if (asJson == null) {
        return status(
            415,
            "UnsupportedMediaType",
            "this server reads protobuf only for Namespaces, ConfigMaps and Secrets; create other"
                + " objects from YAML (kubectl create -f / apply -f)");
      }
      request = withBody(request, request.getPath(), "application/json", asJson);
    }
    if (path.endsWith("/log") && "GET".equals(request.getMethod())) {
      return logs(path, query);
    }
    if (path.endsWith("/scale")) {
      return scale(request, path);
    }
    if ("PATCH".equals(request.getMethod())
        && type != null
        && type.contains("strategic-merge-patch")) {
      return strategicMerge(request, path);
    }
    RecordedRequest forward = request;
    if (query.contains("fieldSelector=") && path.endsWith("/events")) {
      // The mock would match nothing for these: ask it for all, filter below.
      String rest =
          String.join(
              "&",
              java.util.Arrays.stream(query.split("&"))
                  .filter(p -> !p.startsWith("fieldSelector="))
                  .toList());
      String newPath = rest.isEmpty() ? path : path + "?" + rest;
      forward =
          new RecordedRequest(
              request.getRequestLine().replace(full, newPath),
              request.method(),
              newPath,
              request.getHeaders(),
              request.getBody());
    }
    MockResponse response = delegate.dispatch(forward);
    if (response.getWebSocketListener() != null || response.getBody() == null) {
      return response;
    }
    String body = new String(response.getBody().getBytes(), StandardCharsets.UTF_8);
    if (!body.startsWith("{")) {
      return response;
    }
    if (response.header("Content-Type") == null) {
      response.setHeader("Content-Type", "application/json");
    }
    if (!"GET".equals(request.getMethod()) || response.code() != 200) {
      return response;
    }
    Target t = target(path);
    if (t == null) {
      return response;
    }
    try {
      JsonNode doc = JSON.readTree(body);
      boolean changed = false;
      if (t.name == null && "List".equals(doc.path("kind").asText())) {
        ((ObjectNode) doc).put("kind", t.resource.kind() + "List");
        ((ObjectNode) doc).put("apiVersion", t.resource.groupVersion());
        changed = true;
      }
      if (t.name == null
          && t.resource.plural().equals("events")
          && query.contains("fieldSelector=")) {
        filterEvents((ObjectNode) doc, query);
        changed = true;
      }
      String accept = request.getHeader("Accept");
      CustomResourceDefinition crd = crds.get(t.resource.plural());
      if (accept != null && accept.contains("as=Table") && crd != null) {
        return json(200, JSON.writeValueAsString(table(crd, doc, t.name != null)));
      }
      return changed ? json(200, JSON.writeValueAsString(doc)) : response;
    } catch (Exception e) {
      return response;
    }
  }

  private static MockResponse status(int code, String reason, String message) {
    ObjectNode st =
        JSON.createObjectNode()
            .put("kind", "Status")
            .put("apiVersion", "v1")
            .put("status", "Failure")
            .put("message", message)
            .put("reason", reason)
            .put("code", code);
    return json(code, st.toString());
  }

  private static RecordedRequest withBody(
      RecordedRequest r, String path, String contentType, String body) {
    var headers =
        r.getHeaders()
            .newBuilder()
            .set("Content-Type", contentType)
            .set("Content-Length", Integer.toString(body.getBytes(StandardCharsets.UTF_8).length))
            .build();
    return new RecordedRequest(
        r.getRequestLine().replace(r.getPath(), path),
        r.method(),
        path,
        headers,
        new io.fabric8.mockwebserver.http.Buffer(body.getBytes(StandardCharsets.UTF_8)));
  }

  private static RecordedRequest get(RecordedRequest r, String path) {
    return new RecordedRequest(
        "GET " + path + " HTTP/1.1",
        io.fabric8.mockwebserver.dsl.HttpMethod.GET,
        path,
        r.getHeaders().newBuilder().removeAll("Content-Type").build(),
        new io.fabric8.mockwebserver.http.Buffer());
  }

  private volatile java.nio.file.Path logDir;

  /** Where the demo's kubelet writes each container's output ({@code <pod>_<container>.log}). */
  void logs(java.nio.file.Path dir) {
    this.logDir = dir;
  }

  /** {@code kubectl logs}: the container's stdout and stderr as the demo's kubelet kept them. */
  private MockResponse logs(String path, String query) {
    String[] parts = path.split("/");
    // /api/v1/namespaces/{ns}/pods/{name}/log
    if (parts.length != 8 || !"pods".equals(parts[5]) || logDir == null) {
      return status(404, "NotFound", "no log for " + path);
    }
    String pod = parts[6];
    String container = null;
    Integer tail = null;
    for (String kv : query.split("&")) {
      if (kv.startsWith("container=")) {
        container = URLDecoder.decode(kv.substring(10), StandardCharsets.UTF_8);
      } else if (kv.startsWith("tailLines=")) {
        tail = Integer.valueOf(kv.substring(10));
      }
    }
    try (var files = java.nio.file.Files.list(logDir)) {
      String prefix = pod + "_";
      String wanted = container;
      List<java.nio.file.Path> logs =
          files
              .filter(f -> f.getFileName().toString().startsWith(prefix))
              .filter(
                  f ->
                      wanted == null || f.getFileName().toString().equals(prefix + wanted + ".log"))
              .sorted()
              .toList();
      if (logs.isEmpty()) {
        return status(404, "NotFound", "pod " + pod + " has no container log here");
      }
      if (logs.size() > 1 && container == null) {
        return status(
            400, "BadRequest", "a container name must be specified for pod " + pod + " (-c NAME)");
      }
      String text = java.nio.file.Files.readString(logs.get(0), StandardCharsets.UTF_8);
      if (tail != null) {
        List<String> lines = text.lines().toList();
        text =
            String.join("\n", lines.subList(Math.max(0, lines.size() - tail), lines.size()))
                + (lines.isEmpty() ? "" : "\n");
      }
      return new MockResponse()
          .setResponseCode(200)
          .setHeader("Content-Type", "text/plain")
          .setBody(text);
    } catch (java.io.IOException e) {
      return status(500, "InternalError", "cannot read the log: " + e.getMessage());
    }
  }

  /**
   * The scale subresource of Deployments, ReplicaSets and StatefulSets: an autoscaling/v1 Scale
   * read from and written to the object's spec.replicas.
   */
  private MockResponse scale(RecordedRequest request, String path) {
    String objectPath = path.substring(0, path.length() - "/scale".length());
    MockResponse current = delegate.dispatch(get(request, objectPath));
    if (current.code() != 200 || current.getBody() == null) {
      return current;
    }
    try {
      ObjectNode object =
          (ObjectNode)
              JSON.readTree(new String(current.getBody().getBytes(), StandardCharsets.UTF_8));
      if (!"GET".equals(request.getMethod())) {
        JsonNode change = JSON.readTree(request.getUtf8Body());
        JsonNode replicas = change.path("spec").path("replicas");
        if (!replicas.isNumber()) {
          return status(422, "Invalid", "spec.replicas must be a number");
        }
        object.with("spec").put("replicas", replicas.asInt());
        MockResponse put =
            delegate.dispatch(
                withBody(
                    new RecordedRequest(
                        "PUT " + objectPath + " HTTP/1.1",
                        io.fabric8.mockwebserver.dsl.HttpMethod.PUT,
                        objectPath,
                        request.getHeaders(),
                        request.getBody()),
                    objectPath,
                    "application/json",
                    object.toString()));
        if (put.code() >= 300) {
          return put;
        }
      }
      ObjectNode sc =
          JSON.createObjectNode().put("kind", "Scale").put("apiVersion", "autoscaling/v1");
      ObjectNode md = sc.putObject("metadata");
      for (String f : List.of("name", "namespace", "uid", "resourceVersion", "creationTimestamp")) {
        if (object.path("metadata").has(f)) {
          md.set(f, object.path("metadata").get(f));
        }
      }
      int replicas = object.path("spec").path("replicas").asInt(1);
      sc.putObject("spec").put("replicas", replicas);
      ObjectNode st =
          sc.putObject("status")
              .put("replicas", object.path("status").path("replicas").asInt(replicas));
      JsonNode labels = object.path("spec").path("selector").path("matchLabels");
      if (labels.isObject()) {
        List<String> sel = new ArrayList<>();
        labels.fields().forEachRemaining(e -> sel.add(e.getKey() + "=" + e.getValue().asText()));
        st.put("selector", String.join(",", sel));
      }
      return json(200, sc.toString());
    } catch (java.io.IOException e) {
      return status(400, "BadRequest", "unreadable scale: " + e.getMessage());
    }
  }

  /**
   * A strategic merge patch (what kubectl patch, edit and apply send for built-in kinds), applied
   * here and stored whole: objects merge key by key, a null removes a key, and lists of objects
   * that all have a name (containers, env, volumes, ports) merge by name; other lists are replaced.
   * The {@code $patch: delete} directive on a list item removes it.
   */
  private MockResponse strategicMerge(RecordedRequest request, String path) {
    MockResponse current = delegate.dispatch(get(request, path));
    if (current.code() != 200 || current.getBody() == null) {
      return current;
    }
    try {
      JsonNode object =
          JSON.readTree(new String(current.getBody().getBytes(), StandardCharsets.UTF_8));
      JsonNode patch = JSON.readTree(request.getUtf8Body());
      if (!patch.isObject()) {
        return status(400, "BadRequest", "a strategic merge patch must be a JSON object");
      }
      JsonNode merged = StrategicMerge.apply(object, patch);
      return delegate.dispatch(
          withBody(
              new RecordedRequest(
                  "PUT " + path + " HTTP/1.1",
                  io.fabric8.mockwebserver.dsl.HttpMethod.PUT,
                  path,
                  request.getHeaders(),
                  request.getBody()),
              path,
              "application/json",
              merged.toString()));
    } catch (java.io.IOException e) {
      return status(400, "BadRequest", "unreadable patch: " + e.getMessage());
    }
  }

  private static MockResponse json(int code, String body) {
    return new MockResponse()
        .setResponseCode(code)
        .setHeader("Content-Type", "application/json")
        .setBody(body);
  }

  /** The resource a path names, and the object name when it names one. */
  record Target(Resource resource, String name) {}

  static Target target(String path) {
    String[] p = path.replaceAll("^/+", "").split("/");
    int i;
    String gv;
    if (p.length >= 3 && p[0].equals("api")) {
      gv = p[1];
      i = 2;
    } else if (p.length >= 4 && p[0].equals("apis")) {
      gv = p[1] + "/" + p[2];
      i = 3;
    } else {
      return null;
    }
    if (i + 1 < p.length && p[i].equals("namespaces") && i + 2 < p.length) {
      i += 2;
    }
    String plural = p[i];
    String name = i + 1 < p.length ? p[i + 1] : null;
    if (i + 2 < p.length) {
      return null; // a subresource
    }
    for (Resource r : RESOURCES) {
      if (r.groupVersion().equals(gv) && r.plural().equals(plural)) {
        return new Target(r, name);
      }
    }
    return null;
  }

  private String openapi(String path) {
    try {
      if (path.equals("/openapi/v3")) {
        return OpenApiV3.root(RESOURCES);
      }
      if (path.startsWith("/openapi/v3/")) {
        return OpenApiV3.document(path.substring("/openapi/v3/".length()), RESOURCES, crds);
      }
      return null;
    } catch (Exception e) {
      throw new IllegalStateException("cannot write the OpenAPI document of " + path, e);
    }
  }

  private String discovery(String path) {
    try {
      if (path.equals("/api")) {
        ObjectNode n = JSON.createObjectNode().put("kind", "APIVersions");
        n.putArray("versions").add("v1");
        n.putArray("serverAddressByClientCIDRs")
            .addObject()
            .put("clientCIDR", "0.0.0.0/0")
            .put("serverAddress", "127.0.0.1");
        return JSON.writeValueAsString(n);
      }
      if (path.equals("/apis")) {
        ObjectNode n = JSON.createObjectNode().put("kind", "APIGroupList").put("apiVersion", "v1");
        ArrayNode groups = n.putArray("groups");
        RESOURCES.stream()
            .filter(r -> !r.group().isEmpty())
            .map(Resource::groupVersion)
            .distinct()
            .forEach(
                gv -> {
                  String[] g = gv.split("/");
                  ObjectNode group = groups.addObject().put("name", g[0]);
                  group
                      .putArray("versions")
                      .addObject()
                      .put("groupVersion", gv)
                      .put("version", g[1]);
                  group.putObject("preferredVersion").put("groupVersion", gv).put("version", g[1]);
                });
        return JSON.writeValueAsString(n);
      }
      String gv =
          path.startsWith("/api/")
              ? path.substring(5)
              : path.startsWith("/apis/") ? path.substring(6) : null;
      if (gv == null || RESOURCES.stream().noneMatch(r -> r.groupVersion().equals(gv))) {
        return null;
      }
      ObjectNode n =
          JSON.createObjectNode()
              .put("kind", "APIResourceList")
              .put("apiVersion", "v1")
              .put("groupVersion", gv);
      ArrayNode list = n.putArray("resources");
      for (Resource r : RESOURCES) {
        if (!r.groupVersion().equals(gv)) {
          continue;
        }
        ObjectNode o =
            list.addObject()
                .put("name", r.plural())
                .put("singularName", r.singular())
                .put("namespaced", r.namespaced())
                .put("kind", r.kind());
        VERBS.forEach(o.putArray("verbs")::add);
        if (!r.shortNames().isEmpty()) {
          r.shortNames().forEach(o.putArray("shortNames")::add);
        }
        if (!r.categories().isEmpty()) {
          r.categories().forEach(o.putArray("categories")::add);
        }
        if (crds.containsKey(r.plural())
            || r.plural().equals("pods")
            || r.plural().startsWith("deploy")) {
          ObjectNode s =
              list.addObject()
                  .put("name", r.plural() + "/status")
                  .put("singularName", "")
                  .put("namespaced", r.namespaced())
                  .put("kind", r.kind());
          s.putArray("verbs").add("get").add("patch").add("update");
        }
      }
      return JSON.writeValueAsString(n);
    } catch (Exception e) {
      return null;
    }
  }

  /** Keeps the Events that match every term of the field selector (a.b=value). */
  private static void filterEvents(ObjectNode list, String query) {
    Map<String, String> want = new LinkedHashMap<>();
    for (String part : query.split("&")) {
      if (!part.startsWith("fieldSelector=")) {
        continue;
      }
      String selector =
          URLDecoder.decode(part.substring("fieldSelector=".length()), StandardCharsets.UTF_8);
      for (String term : selector.split(",")) {
        int eq = term.indexOf('=');
        if (eq > 0) {
          // involvedObject.name=…, reason=…, type=… (kubectl's --field-selector on events)
          want.put(term.substring(0, eq), term.substring(eq + 1).replaceFirst("^=", ""));
        }
      }
    }
    ArrayNode kept = JSON.createArrayNode();
    for (JsonNode e : list.path("items")) {
      boolean ok =
          want.entrySet().stream()
              .allMatch(
                  w -> {
                    JsonNode at = e;
                    for (String f : w.getKey().split("\\.")) {
                      at = at.path(f);
                    }
                    return w.getValue().equals(at.asText());
                  });
      if (ok) {
        kept.add(e);
      }
    }
    list.set("items", kept);
  }

  /**
   * What {@code kubectl get <plural> -A} prints for one of our resources, for hosts without
   * kubectl: the same Table, laid out as kubectl lays it out.
   */
  String print(String plural, JsonNode list) {
    CustomResourceDefinition crd = crds.get(plural);
    ObjectNode t = table(crd, list, false);
    String prefix = crd.getSpec().getNames().getSingular() + "." + crd.getSpec().getGroup() + "/";
    List<List<String>> rows = new ArrayList<>();
    List<String> header = new ArrayList<>(List.of("NAMESPACE", "NAME"));
    JsonNode cols = t.path("columnDefinitions");
    for (int i = 1; i < cols.size(); i++) {
      header.add(cols.get(i).path("name").asText().toUpperCase(java.util.Locale.ROOT));
    }
    rows.add(header);
    for (JsonNode row : t.path("rows")) {
      List<String> r = new ArrayList<>();
      r.add(row.path("object").path("metadata").path("namespace").asText());
      JsonNode cells = row.path("cells");
      r.add(prefix + cells.get(0).asText());
      for (int i = 1; i < cells.size(); i++) {
        r.add(cells.get(i).isNull() ? "" : cells.get(i).asText());
      }
      rows.add(r);
    }
    int[] width = new int[header.size()];
    for (List<String> r : rows) {
      for (int i = 0; i < r.size(); i++) {
        width[i] = Math.max(width[i], r.get(i).length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (List<String> r : rows) {
      for (int i = 0; i < r.size(); i++) {
        sb.append(
            i == r.size() - 1 ? r.get(i) : String.format("%-" + (width[i] + 3) + "s", r.get(i)));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  /** A meta.k8s.io/v1 Table from the CRD's printer columns, as the API server prints it. */
  static ObjectNode table(CustomResourceDefinition crd, JsonNode doc, boolean single) {
    ObjectNode table =
        JSON.createObjectNode().put("kind", "Table").put("apiVersion", "meta.k8s.io/v1");
    table
        .putObject("metadata")
        .put("resourceVersion", doc.path("metadata").path("resourceVersion").asText(""));
    ArrayNode cols = table.putArray("columnDefinitions");
    cols.addObject()
        .put("name", "Name")
        .put("type", "string")
        .put("format", "name")
        .put("description", "Name")
        .put("priority", 0);
    List<CustomResourceColumnDefinition> printer =
        crd.getSpec().getVersions().get(0).getAdditionalPrinterColumns();
    for (CustomResourceColumnDefinition c : printer) {
      cols.addObject()
          .put("name", c.getName())
          .put("type", "date".equals(c.getType()) ? "string" : c.getType())
          .put("format", c.getFormat() == null ? "" : c.getFormat())
          .put("description", c.getDescription() == null ? c.getName() : c.getDescription())
          .put("priority", c.getPriority() == null ? 0 : c.getPriority());
    }
    ArrayNode rows = table.putArray("rows");
    List<JsonNode> items = new ArrayList<>();
    if (single) {
      items.add(doc);
    } else {
      doc.path("items").forEach(items::add);
    }
    for (JsonNode item : items) {
      ObjectNode row = rows.addObject();
      ArrayNode cells = row.putArray("cells");
      cells.add(item.path("metadata").path("name").asText());
      for (CustomResourceColumnDefinition c : printer) {
        JsonNode v = at(item, c.getJsonPath());
        if (v == null || v.isMissingNode() || v.isNull()) {
          cells.addNull();
        } else if ("date".equals(c.getType())) {
          cells.add(age(v.asText()));
        } else if ("integer".equals(c.getType()) && v.canConvertToLong()) {
          cells.add(v.asLong());
        } else {
          cells.add(v.asText());
        }
      }
      ObjectNode object =
          row.putObject("object")
              .put("kind", "PartialObjectMetadata")
              .put("apiVersion", "meta.k8s.io/v1");
      object.set("metadata", item.path("metadata"));
    }
    return table;
  }

  static JsonNode at(JsonNode node, String jsonPath) {
    JsonNode n = node;
    for (String part : jsonPath.replaceAll("^\\.", "").split("\\.")) {
      n = n.path(part);
    }
    return n;
  }

  /** kubectl's way of showing an age: 45s, 3m12s, 5h, 2d. */
  static String age(String timestamp) {
    try {
      Duration d = Duration.between(Instant.parse(timestamp), Instant.now());
      long s = Math.max(0, d.getSeconds());
      if (s < 120) {
        return s + "s";
      }
      if (s < 600) {
        return (s / 60) + "m" + (s % 60) + "s";
      }
      if (s < 3 * 3600) {
        return (s / 60) + "m";
      }
      if (s < 48 * 3600) {
        return (s / 3600) + "h";
      }
      return (s / 86400) + "d";
    } catch (RuntimeException e) {
      return "<unknown>";
    }
  }
}
