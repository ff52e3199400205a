package io.oomdoctor.agent.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import io.oomdoctor.agent.pod.PodResolver;
import io.oomdoctor.model.evidence.PodReference;
import java.io.Closeable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The containers of this host's Docker engine, as the agent needs them: a kill's container by its
 * ID (name, image, Compose project and service, limit, restarts), and under cri-dockerd the pod a
 * container belongs to, from Docker's {@code io.kubernetes.pod.uid} label. Follows the engine's
 * event stream ({@code start}, {@code die}, {@code oom}) so that a container removed right after
 * its kill is still known, and a kill is joined with the container's exit. At most {@link #MAX}
 * containers are remembered; the engine is asked again for the others.
 */
public final class DockerContainers implements PodResolver {
  private static final Logger LOG = LoggerFactory.getLogger(DockerContainers.class);

  /** Containers remembered at most (least recently used go first): ~1 KiB each. */
  public static final int MAX = 2048;

  private final DockerEngine engine;
  private final Map<String, ContainerFacts> known =
      new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, ContainerFacts> e) {
          return size() > MAX;
        }
      };
  private final ScheduledExecutorService reconnect =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "docker-events");
            t.setDaemon(true);
            return t;
          });
  private final AtomicReference<Closeable> stream = new AtomicReference<>();
  private volatile boolean closed;
  private volatile long events;

  public DockerContainers(DockerEngine engine) {
    this.engine = engine;
  }

  /** Starts following the engine's container events. */
  public DockerContainers start() {
    reconnect.execute(this::follow);
    return this;
  }

  /** Events seen so far (for tests and health). */
  public long events() {
    return events;
  }

  private void follow() {
    if (closed) {
      return;
    }
    try {
      ResultCallback.Adapter<Event> cb =
          new ResultCallback.Adapter<>() {
            @Override
            public void onNext(Event e) {
              events++;
              String id = e.getId();
              String action = e.getAction() == null ? "" : e.getAction();
              if (id == null) {
                return;
              }
              switch (action) {
                case "create", "start", "die", "oom", "update" -> refresh(id);
                default -> {}
              }
            }

            @Override
            public void onError(Throwable t) {
              if (!closed) {
                LOG.warn(
                    "Following the Docker engine's events failed ({}); again in 5 s", t.toString());
                reconnect.schedule(DockerContainers.this::follow, 5, TimeUnit.SECONDS);
              }
            }

            @Override
            public void onComplete() {
              if (!closed) {
                reconnect.schedule(DockerContainers.this::follow, 1, TimeUnit.SECONDS);
              }
            }
          };
      stream.set(engine.client().eventsCmd().withEventTypeFilter(EventType.CONTAINER).exec(cb));
    } catch (RuntimeException e) {
      LOG.warn("Cannot follow the Docker engine's events ({}); again in 5 s", e.toString());
      reconnect.schedule(this::follow, 5, TimeUnit.SECONDS);
    }
  }

  private void refresh(String id) {
    try {
      ContainerFacts f = engine.inspect(id);
      if (f != null) {
        synchronized (known) {
          known.put(f.id(), f);
        }
      }
    } catch (RuntimeException e) {
      // the engine is busy or gone; the container is asked for again when a kill needs it
    }
  }

  /** The container by its full ID or a prefix of it: remembered, else asked of the engine. */
  public ContainerFacts facts(String containerId) {
    if (containerId == null) {
      return null;
    }
    synchronized (known) {
      ContainerFacts f = known.get(containerId);
      if (f != null) {
        return f;
      }
      for (ContainerFacts k : known.values()) {
        if (k.id().startsWith(containerId)) {
          return k;
        }
      }
    }
    try {
      ContainerFacts f = engine.inspect(containerId);
      if (f != null) {
        synchronized (known) {
          known.put(f.id(), f);
        }
      }
      return f;
    } catch (RuntimeException e) {
      LOG.warn("Cannot ask the Docker engine about container {}: {}", containerId, e.toString());
      return null;
    }
  }

  @Override
  public PodReference resolve(String podUid, String containerId) {
    return null;
  }

  /** A plain container as the agent's evidence names a pod: Compose project, name, service. */
  @Override
  public PodReference resolveContainer(String containerId) {
    ContainerFacts f = facts(containerId);
    if (f == null) {
      return null;
    }
    PodReference p = new PodReference();
    p.namespace = f.composeProject() != null ? f.composeProject() : "docker";
    p.name = f.name();
    p.container = f.composeService() != null ? f.composeService() : f.name();
    p.containerLimitBytes = f.limited() ? f.memoryBytes() : null;
    p.restartCount = f.restartCount();
    Map<String, String> labels = new LinkedHashMap<>();
    if (f.image() != null) {
      labels.put("image", f.image());
    }
    if (f.composeProject() != null) {
      labels.put("com.docker.compose.project", f.composeProject());
    }
    if (f.composeService() != null) {
      labels.put("com.docker.compose.service", f.composeService());
    }
    p.labels = labels;
    return p;
  }

  @Override
  public String podUidOfContainer(String containerId) {
    ContainerFacts f = facts(containerId);
    return f == null ? null : f.podUid();
  }

  @Override
  public String runtimeOf(String podUid, String containerId) {
    return "docker";
  }

  @Override
  public void close() {
    closed = true;
    Closeable c = stream.getAndSet(null);
    if (c != null) {
      try {
        c.close();
      } catch (java.io.IOException e) {
        // closing anyway
      }
    }
    reconnect.shutdownNow();
    try {
      engine.close();
    } catch (java.io.IOException e) {
      // closing anyway
    }
  }
}
