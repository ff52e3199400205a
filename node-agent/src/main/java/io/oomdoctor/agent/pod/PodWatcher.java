package io.oomdoctor.agent.pod;

import io.fabric8.kubernetes.api.model.Quantity;
import io.oomdoctor.agent.json.JsonReader;
import io.oomdoctor.agent.kube.KubeConnection;
import io.oomdoctor.agent.kube.PodInfo;
import io.oomdoctor.model.evidence.PodReference;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the pods of one node (list, then watch; relist whenever the watch ends) and answers lookups
 * by pod UID and container ID. Only {@link PodInfo}'s few fields are kept per pod. A pod deleted
 * moments before its kill is reported is remembered for ten minutes, since the kernel's report and
 * the kubelet's cleanup race.
 */
public final class PodWatcher implements PodResolver {
  private static final Logger LOG = LoggerFactory.getLogger(PodWatcher.class);
  private static final long DELETED_GRACE_MILLIS = 10 * 60 * 1000;

  private record Deleted(PodInfo pod, long atMillis) {}

  private final KubeConnection api;
  private final String nodeName;
  private final String selector;
  private final Map<String, PodInfo> byUid = new ConcurrentHashMap<>();
  private final Map<String, Deleted> deleted = new ConcurrentHashMap<>();
  private final Thread thread;
  private volatile boolean synced;
  private volatile boolean closed;
  private volatile KubeConnection.WatchStream stream;

  /**
   * @param serverSideFilter ask the API server for this node's pods only (field selector). Off only
   *     for API servers that do not implement that selector (the fabric8 mock server); the node is
   *     checked on every pod either way.
   */
  public PodWatcher(KubeConnection api, String nodeName, boolean serverSideFilter) {
    this.api = api;
    this.nodeName = nodeName;
    this.selector =
        serverSideFilter
            ? "&fieldSelector="
                + URLEncoder.encode("spec.nodeName=" + nodeName, StandardCharsets.UTF_8)
            : "";
    this.thread = new Thread(this::run, "pod-watcher");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  private void run() {
    long backoff = 1000;
    while (!closed) {
      try {
        String rv = list();
        synced = true;
        long started = System.nanoTime();
        watch(rv);
        if (System.nanoTime() - started < 1_000_000_000L) {
          // A watch that ends at once (a proxy closing it, an API server in trouble) must not turn
          // into a tight loop of lists.
          Thread.sleep(backoff);
          backoff = Math.min(60_000, backoff * 2);
        } else {
          backoff = 1000;
        }
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        if (closed) {
          return;
        }
        LOG.warn(
            "Watching the pods of node {} failed ({}); retrying in {} ms",
            nodeName,
            e.toString(),
            backoff);
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException ie) {
          return;
        }
        backoff = Math.min(60_000, backoff * 2);
      }
    }
  }

  /**
   * Pods asked for in one page of the list. A pod object can carry up to about 1.5 MB (its
   * annotations, say), so a page is at most a few MB however many pods the node runs, and only
   * {@link PodInfo}'s few fields of each are kept.
   */
  static final int PAGE = 2;

  /** Parts of a pod object the agent never reads: not even parsed into memory. */
  static final java.util.Set<String> UNREAD = java.util.Set.of("annotations", "managedFields");

  /** Pods deleted but remembered for late kills, at most. */
  static final int MAX_DELETED = 512;

  /**
   * Lists the node's pods page by page ({@code limit}/{@code continue}), replaces what is kept, and
   * returns the version to watch from.
   */
  private String list() throws Exception {
    Map<String, PodInfo> fresh = new ConcurrentHashMap<>();
    String version = null;
    String next = null;
    do {
      String path =
          "/api/v1/pods?limit="
              + PAGE
              + selector
              + (next == null
                  ? ""
                  : "&continue=" + URLEncoder.encode(next, StandardCharsets.UTF_8));
      KubeConnection.Response r = api.send("GET", path, null);
      if (r.statusCode() != 200) {
        throw new IllegalStateException("listing pods answered HTTP " + r.statusCode());
      }
      PodInfo.PodList page = PodInfo.PodList.of(JsonReader.object(r.body(), UNREAD));
      if (page.items() != null) {
        for (PodInfo p : page.items()) {
          if (onThisNode(p)) {
            fresh.put(p.metadata().uid(), p);
          }
        }
      }
      if (version == null && page.metadata() != null) {
        version = page.metadata().resourceVersion(); // the list's snapshot: the first page's
      }
      next = page.metadata() == null ? null : page.metadata().continueToken();
    } while (next != null && !next.isEmpty() && !closed);
    for (String uid : byUid.keySet()) {
      if (!fresh.containsKey(uid)) {
        remember(uid, byUid.get(uid));
      }
    }
    byUid.keySet().retainAll(fresh.keySet());
    byUid.putAll(fresh);
    return version;
  }

  /**
   * Keeps a deleted pod for {@link #DELETED_GRACE_MILLIS} (a kill read after its pod went is still
   * attributed), at most {@link #MAX_DELETED} of them, the oldest forgotten first.
   */
  private void remember(String uid, PodInfo pod) {
    long now = System.currentTimeMillis();
    deleted.values().removeIf(x -> now - x.atMillis > DELETED_GRACE_MILLIS);
    while (deleted.size() >= MAX_DELETED) {
      deleted.entrySet().stream()
          .min(java.util.Comparator.comparingLong(e -> e.getValue().atMillis))
          .ifPresent(e -> deleted.remove(e.getKey()));
    }
    deleted.put(uid, new Deleted(pod, now));
  }

  /** Follows changes until the watch ends (server timeout, 410 Gone, connection lost). */
  private void watch(String resourceVersion) throws Exception {
    String path =
        "/api/v1/pods?watch=true&allowWatchBookmarks=true&timeoutSeconds=600"
            + (resourceVersion == null ? "" : "&resourceVersion=" + resourceVersion)
            + selector;
    try (KubeConnection.WatchStream s = api.watch(path)) {
      stream = s;
      if (closed) {
        return; // closed while connecting: close() did not see this stream
      }
      String event;
      while ((event = s.next()) != null && event(event)) {
        // each event applied as it comes
      }
    } finally {
      stream = null;
    }
  }

  /** Applies one watch event; false when the watch must be restarted from a fresh list. */
  private boolean event(String text) {
    try {
      PodInfo.WatchEvent e = PodInfo.WatchEvent.of(JsonReader.object(text, UNREAD));
      if (e.type() == null || e.object() == null) {
        return true;
      }
      switch (e.type()) {
        case "ADDED", "MODIFIED" -> {
          PodInfo p = PodInfo.of(e.object());
          if (p.metadata() != null && p.metadata().uid() != null && onThisNode(p)) {
            byUid.put(p.metadata().uid(), p);
          }
        }
        case "DELETED" -> {
          PodInfo p = PodInfo.of(e.object());
          if (p.metadata() != null && p.metadata().uid() != null) {
            PodInfo gone = byUid.remove(p.metadata().uid());
            if (gone != null || onThisNode(p)) {
              remember(p.metadata().uid(), gone != null ? gone : p);
            }
          }
        }
        case "ERROR" -> {
          LOG.debug("Pod watch ended by the API server: {}", e.object().get("message"));
          return false; // typically 410 Gone: relist
        }
        default -> {} // BOOKMARK
      }
    } catch (Exception ex) {
      LOG.warn("Ignoring an unreadable pod watch event: {}", ex.toString());
    }
    return true;
  }

  private boolean onThisNode(PodInfo p) {
    return p.spec() != null && nodeName.equals(p.spec().nodeName()) && p.metadata() != null;
  }

  @Override
  public String liveProblem() {
    return !closed && !thread.isAlive() ? "the pod watch has stopped" : null;
  }

  /** True once the first list of the node's pods is in. */
  @Override
  public boolean synced() {
    return synced;
  }

  /** Deleted pods remembered (for tests and the memory budget). */
  int deletedRemembered() {
    return deleted.size();
  }

  /** Pods kept (this node's). */
  public int size() {
    return byUid.size();
  }

  @Override
  public PodReference resolve(String podUid, String containerId) {
    PodInfo pod = find(podUid);
    if (pod == null) {
      return null;
    }
    PodReference ref = new PodReference();
    ref.namespace = pod.metadata().namespace();
    ref.name = pod.metadata().name();
    ref.uid = pod.metadata().uid();
    ref.qosClass = pod.status() == null ? null : pod.status().qosClass();
    ref.labels = pod.metadata().labels();
    if (pod.metadata().ownerReferences() != null) {
      for (PodInfo.OwnerReference o : pod.metadata().ownerReferences()) {
        if (Boolean.TRUE.equals(o.controller())) {
          ref.ownerKind = o.kind();
          ref.ownerName = o.name();
        }
      }
    }
    PodInfo.ContainerStatus cs = containerStatus(pod, containerId);
    if (cs != null) {
      ref.container = cs.name();
      ref.restartCount = cs.restartCount();
      resources(pod, cs.name(), ref);
    }
    return ref;
  }

  @Override
  public String runtimeOf(String podUid, String containerId) {
    PodInfo pod = find(podUid);
    PodInfo.ContainerStatus cs = pod == null ? null : containerStatus(pod, containerId);
    String id = cs == null ? null : matchingId(cs, containerId);
    if (id == null || !id.contains("://")) {
      return null;
    }
    return id.substring(0, id.indexOf("://"));
  }

  private PodInfo find(String podUid) {
    if (podUid == null) {
      return null;
    }
    PodInfo pod = byUid.get(podUid);
    if (pod == null) {
      long now = System.currentTimeMillis();
      deleted.values().removeIf(x -> now - x.atMillis > DELETED_GRACE_MILLIS);
      Deleted d = deleted.get(podUid);
      pod = d == null ? null : d.pod;
    }
    return pod;
  }

  private static PodInfo.ContainerStatus containerStatus(PodInfo pod, String containerId) {
    if (pod.status() == null || containerId == null) {
      return null;
    }
    List<PodInfo.ContainerStatus> all = new ArrayList<>();
    addAll(all, pod.status().containerStatuses());
    addAll(all, pod.status().initContainerStatuses());
    addAll(all, pod.status().ephemeralContainerStatuses());
    for (PodInfo.ContainerStatus cs : all) {
      if (matchingId(cs, containerId) != null) {
        return cs;
      }
    }
    return null;
  }

  private static void addAll(
      List<PodInfo.ContainerStatus> into, List<PodInfo.ContainerStatus> from) {
    if (from != null) {
      into.addAll(from);
    }
  }

  /**
   * The status's container ID (current, or of the last or current termination) matching the
   * cgroup's.
   */
  private static String matchingId(PodInfo.ContainerStatus cs, String containerId) {
    for (String id :
        new String[] {
          cs.containerID(),
          cs.lastState() == null || cs.lastState().terminated() == null
              ? null
              : cs.lastState().terminated().containerID(),
          cs.state() == null || cs.state().terminated() == null
              ? null
              : cs.state().terminated().containerID()
        }) {
      if (matches(id, containerId)) {
        return id;
      }
    }
    return null;
  }

  private static boolean matches(String statusId, String cgroupId) {
    if (statusId == null || cgroupId == null) {
      return false;
    }
    String id =
        statusId.contains("://") ? statusId.substring(statusId.indexOf("://") + 3) : statusId;
    return id.equals(cgroupId) || (cgroupId.length() >= 12 && id.startsWith(cgroupId));
  }

  private static void resources(PodInfo pod, String container, PodReference ref) {
    if (pod.spec() == null) {
      return;
    }
    List<PodInfo.Container> all = new ArrayList<>();
    if (pod.spec().containers() != null) all.addAll(pod.spec().containers());
    if (pod.spec().initContainers() != null) all.addAll(pod.spec().initContainers());
    for (PodInfo.Container c : all) {
      if (container.equals(c.name()) && c.resources() != null) {
        ref.containerLimitBytes = bytes(c.resources().limits());
        ref.containerRequestBytes = bytes(c.resources().requests());
      }
    }
  }

  private static Long bytes(Map<String, String> m) {
    String q = m == null ? null : m.get("memory");
    if (q == null) {
      return null;
    }
    try {
      return Quantity.getAmountInBytes(new Quantity(q)).longValue();
    } catch (RuntimeException e) {
      return null;
    }
  }

  @Override
  public void close() {
    closed = true;
    KubeConnection.WatchStream s = stream;
    if (s != null) {
      s.close(); // unblocks the watcher's read
    }
    thread.interrupt();
    try {
      thread.join(5000);
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
    }
  }
}
