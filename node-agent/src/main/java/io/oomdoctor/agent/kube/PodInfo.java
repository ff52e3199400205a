package io.oomdoctor.agent.kube;

import java.util.List;
import java.util.Map;

/**
 * The few fields of a Pod the agent needs, and nothing else: small to keep for every pod of a node,
 * and cheap to read (unknown fields are skipped, not modelled).
 */
public record PodInfo(Meta metadata, Spec spec, Status status) {

  /** A pod from its parsed JSON ({@link io.oomdoctor.agent.json.JsonReader}). */
  public static PodInfo of(Map<String, Object> m) {
    if (m == null) {
      return null;
    }
    Map<String, Object> meta = map(m, "metadata");
    Map<String, Object> spec = map(m, "spec");
    Map<String, Object> status = map(m, "status");
    return new PodInfo(
        meta == null
            ? null
            : new Meta(
                str(meta, "name"),
                str(meta, "namespace"),
                str(meta, "uid"),
                str(meta, "resourceVersion"),
                strings(map(meta, "labels")),
                list(meta, "ownerReferences").stream()
                    .map(
                        o ->
                            new OwnerReference(
                                str(o, "kind"), str(o, "name"), (Boolean) o.get("controller")))
                    .toList()),
        spec == null
            ? null
            : new Spec(
                str(spec, "nodeName"),
                containers(list(spec, "containers")),
                containers(list(spec, "initContainers"))),
        status == null
            ? null
            : new Status(
                str(status, "qosClass"),
                statuses(list(status, "containerStatuses")),
                statuses(list(status, "initContainerStatuses")),
                statuses(list(status, "ephemeralContainerStatuses"))));
  }

  private static List<Container> containers(List<Map<String, Object>> l) {
    return l.stream()
        .map(
            c -> {
              Map<String, Object> r = map(c, "resources");
              return new Container(
                  str(c, "name"),
                  r == null
                      ? null
                      : new Resources(strings(map(r, "limits")), strings(map(r, "requests"))));
            })
        .toList();
  }

  private static List<ContainerStatus> statuses(List<Map<String, Object>> l) {
    return l.stream()
        .map(
            c ->
                new ContainerStatus(
                    str(c, "name"),
                    str(c, "containerID"),
                    integer(c, "restartCount"),
                    state(map(c, "state")),
                    state(map(c, "lastState"))))
        .toList();
  }

  private static State state(Map<String, Object> m) {
    if (m == null) {
      return null;
    }
    Map<String, Object> t = map(m, "terminated");
    return new State(
        t == null
            ? null
            : new Terminated(str(t, "containerID"), str(t, "reason"), integer(t, "exitCode")));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Map<String, Object> m, String key) {
    Object v = m.get(key);
    return v instanceof Map ? (Map<String, Object>) v : null;
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> list(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (!(v instanceof List<?> l)) {
      return List.of();
    }
    return l.stream().filter(o -> o instanceof Map).map(o -> (Map<String, Object>) o).toList();
  }

  static String str(Map<String, Object> m, String key) {
    Object v = m.get(key);
    return v == null ? null : v.toString();
  }

  static Integer integer(Map<String, Object> m, String key) {
    return m.get(key) instanceof Number n ? n.intValue() : null;
  }

  static Map<String, String> strings(Map<String, Object> m) {
    if (m == null) {
      return null;
    }
    Map<String, String> out = new java.util.LinkedHashMap<>();
    m.forEach((k, v) -> out.put(k, v == null ? null : v.toString()));
    return out;
  }

  public record Meta(
      String name,
      String namespace,
      String uid,
      String resourceVersion,
      Map<String, String> labels,
      List<OwnerReference> ownerReferences) {}

  public record OwnerReference(String kind, String name, Boolean controller) {}

  public record Spec(String nodeName, List<Container> containers, List<Container> initContainers) {}

  public record Container(String name, Resources resources) {}

  public record Resources(Map<String, String> limits, Map<String, String> requests) {}

  public record Status(
      String qosClass,
      List<ContainerStatus> containerStatuses,
      List<ContainerStatus> initContainerStatuses,
      List<ContainerStatus> ephemeralContainerStatuses) {}

  public record ContainerStatus(
      String name, String containerID, Integer restartCount, State state, State lastState) {}

  public record State(Terminated terminated) {}

  public record Terminated(String containerID, String reason, Integer exitCode) {}

  /** A list response: items and the version to watch from. */
  public record PodList(ListMeta metadata, List<PodInfo> items) {
    public static PodList of(Map<String, Object> m) {
      Map<String, Object> meta = map(m, "metadata");
      return new PodList(
          new ListMeta(
              meta == null ? null : str(meta, "resourceVersion"),
              meta == null ? null : str(meta, "continue")),
          list(m, "items").stream().map(PodInfo::of).toList());
    }
  }

  /** A list's version to watch from, and the token of its next page (null on the last). */
  public record ListMeta(String resourceVersion, String continueToken) {}

  /** One watch event; {@code object} is a pod, or a Status for ERROR events. */
  public record WatchEvent(String type, Map<String, Object> object) {
    public static WatchEvent of(Map<String, Object> m) {
      return new WatchEvent(str(m, "type"), map(m, "object"));
    }
  }
}
