package io.oomdoctor.operator;

import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomKillSpec;
import io.oomdoctor.model.evidence.PodReference;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The operator's one cache of OomKills: the item store of the OomKill informer, read by both
 * reconcilers. It keeps, per kill, only what reconciling, grouping and retention need — names, UID,
 * generation, resource version, creation time, the pod's name, container and labels, and a
 * fingerprint of the status — about 300 bytes instead of the ~20 KiB of a whole kill. Everything
 * else (the report, the trend, the processes, the status) is read from the API server when a kill
 * is assessed ({@link KillObserver#evidence}). What the store hands out is rebuilt from that
 * projection: an OomKill without a status, whose spec holds only the pod reference.
 */
final class KillIndex implements ItemStore<OomKill> {
  /** OomKills the informer lists per page at start-up and on a relist. */
  static final long LIST_LIMIT = 500;

  /** What is kept of one OomKill. */
  record Lean(
      String namespace,
      String name,
      String uid,
      Long generation,
      String resourceVersion,
      long createdSecond,
      String createdText,
      String deleted,
      String podName,
      String container,
      Map<String, String> podLabels,
      int statusPrint) {

    /** The creation time as the API server wrote it. */
    String created() {
      if (createdText != null || createdSecond == NO_SECOND) {
        return createdText;
      }
      return Instant.ofEpochSecond(createdSecond).toString();
    }

    OomKill toKill() {
      OomKill k = new OomKill();
      // Shared empty collections instead of the six new ones a fresh ObjectMeta holds: at
      // start-up the operator's work queue holds one of these per kill.
      k.getMetadata().setLabels(Map.of());
      k.getMetadata().setAnnotations(Map.of());
      k.getMetadata().setFinalizers(List.of());
      k.getMetadata().setManagedFields(List.of());
      k.getMetadata().setOwnerReferences(List.of());
      k.getMetadata().setNamespace(namespace);
      k.getMetadata().setName(name);
      k.getMetadata().setUid(uid);
      k.getMetadata().setGeneration(generation);
      k.getMetadata().setResourceVersion(resourceVersion);
      k.getMetadata().setCreationTimestamp(created());
      k.getMetadata().setDeletionTimestamp(deleted);
      OomKillSpec spec = new OomKillSpec();
      if (podName != null || podLabels != null || container != null) {
        spec.pod = new PodReference();
        spec.pod.namespace = namespace;
        spec.pod.name = podName;
        spec.pod.container = container;
        spec.pod.labels = podLabels;
      }
      k.setSpec(spec);
      return k;
    }
  }

  private final Map<String, Map<String, Lean>> byNamespace = new ConcurrentHashMap<>();
  private final Interner interner;
  private volatile Consumer<Lean> onRemove = l -> {};

  KillIndex(Interner interner) {
    this.interner = interner;
  }

  /** Told of every kill that leaves the cache (deleted, or gone on a relist). */
  void onRemove(Consumer<Lean> listener) {
    this.onRemove = listener;
  }

  Lean lean(OomKill kill) {
    var m = kill.getMetadata();
    OomKillSpec spec = kill.getSpec();
    PodReference pod = spec == null ? null : spec.pod;
    return new Lean(
        interner.of(m.getNamespace()),
        m.getName(),
        m.getUid(),
        m.getGeneration(),
        m.getResourceVersion(),
        second(m.getCreationTimestamp()),
        second(m.getCreationTimestamp()) == NO_SECOND ? m.getCreationTimestamp() : null,
        m.getDeletionTimestamp(),
        pod == null ? null : interner.of(pod.name),
        pod == null ? null : interner.of(pod.container),
        pod == null || pod.labels == null ? null : interner.of(Map.copyOf(pod.labels)),
        KillRecorder.fingerprint(kill.getStatus()));
  }

  private static final long NO_SECOND = Long.MIN_VALUE;

  /**
   * A creation time of whole seconds in the API server's form, as a number (8 bytes instead of a
   * string's 64); anything else is kept as written.
   */
  private static long second(String ts) {
    if (ts == null) {
      return NO_SECOND;
    }
    try {
      Instant t = Instant.parse(ts);
      return t.getNano() == 0 && t.toString().equals(ts) ? t.getEpochSecond() : NO_SECOND;
    } catch (RuntimeException e) {
      return NO_SECOND;
    }
  }

  @Override
  public String getKey(OomKill kill) {
    return Cache.metaNamespaceKeyFunc(kill);
  }

  @Override
  public OomKill put(String key, OomKill kill) {
    Lean l = lean(kill);
    // The informer hands this very object to the operator's event handling, which keeps its name
    // and namespace for as long as the kill exists: let it keep the cache's copies of them.
    kill.getMetadata().setNamespace(l.namespace());
    kill.getMetadata().setName(l.name());
    Lean old =
        byNamespace
            .computeIfAbsent(
                l.namespace() == null ? "" : l.namespace(), n -> new ConcurrentHashMap<>())
            .put(l.name(), l);
    if (old != null && !Objects.equals(old.uid(), l.uid())) {
      onRemove.accept(old); // replaced by another kill of the same name
    }
    return old == null ? null : old.toKill();
  }

  @Override
  public OomKill remove(String key) {
    String[] nsName = split(key);
    Map<String, Lean> ns = byNamespace.get(nsName[0]);
    Lean old = ns == null ? null : ns.remove(nsName[1]);
    if (old == null) {
      return null;
    }
    onRemove.accept(old);
    return old.toKill();
  }

  @Override
  public Stream<String> keySet() {
    return leans().map(l -> l.namespace() == null ? l.name() : l.namespace() + "/" + l.name());
  }

  @Override
  public Stream<OomKill> values() {
    return leans().map(Lean::toKill);
  }

  @Override
  public int size() {
    return byNamespace.values().stream().mapToInt(Map::size).sum();
  }

  @Override
  public OomKill get(String key) {
    Lean l = lean(key);
    return l == null ? null : l.toKill();
  }

  /** Every kill kept. */
  Stream<Lean> leans() {
    return byNamespace.values().stream().flatMap(m -> m.values().stream());
  }

  /** The kills of one namespace. */
  Stream<Lean> leans(String namespace) {
    Map<String, Lean> ns = byNamespace.get(namespace);
    return ns == null ? Stream.empty() : ns.values().stream();
  }

  Lean lean(String key) {
    String[] nsName = split(key);
    Map<String, Lean> ns = byNamespace.get(nsName[0]);
    return ns == null ? null : ns.get(nsName[1]);
  }

  /** Whether this very kill (by UID) is in the cache. */
  boolean holds(String namespace, String name, String uid) {
    Map<String, Lean> ns = byNamespace.get(namespace);
    Lean l = ns == null ? null : ns.get(name);
    return l != null && Objects.equals(l.uid(), uid);
  }

  /**
   * The fingerprint of the kill's status: of the one it carries, or (a kill handed out by this
   * store carries none) of the one it had when it was cached; 0 when it has none.
   */
  int statusPrint(OomKill kill) {
    if (kill.getStatus() != null) {
      return KillRecorder.fingerprint(kill.getStatus());
    }
    Lean l = lean(getKey(kill));
    return l != null && Objects.equals(l.uid(), kill.getMetadata().getUid()) ? l.statusPrint() : 0;
  }

  private static String[] split(String key) {
    int slash = key.indexOf('/');
    return slash < 0
        ? new String[] {"", key}
        : new String[] {key.substring(0, slash), key.substring(slash + 1)};
  }
}
