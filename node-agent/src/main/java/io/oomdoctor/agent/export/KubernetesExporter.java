package io.oomdoctor.agent.export;

import io.oomdoctor.agent.kube.KubeConnection;
import io.oomdoctor.agent.metrics.AgentMetrics;
import io.oomdoctor.model.OomKill;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates each kill as an OomKill resource. One worker thread drains a queue bounded in kills and
 * in bytes; while the API server is unreachable or failing, the head of the queue is retried with
 * exponential backoff and nothing behind it is lost. A full queue refuses new kills with a count
 * and an error log — never silently. A 409 means the same kernel record was already reported (agent
 * restart): done. An answer that retrying cannot change (400, 413, 422, or a 500 that says the
 * request is too large) is answered once with the kill shrunk to its essentials; refused again, the
 * kill is dropped with a count and an error log, so that no kill can block the ones behind it.
 */
public final class KubernetesExporter implements Exporter {
  private static final Logger LOG = LoggerFactory.getLogger(KubernetesExporter.class);

  private record Item(OomKill kill, Runnable delivered, long bytes) {}

  /** The API server answered that the object is invalid: retrying cannot help. */
  private static final class Refused extends Exception {
    final int code;

    Refused(int code, String body) {
      super("HTTP " + code + ": " + abbreviate(body));
      this.code = code;
    }
  }

  /** The API server could not be reached or failed: retry later. */
  private static final class Failed extends Exception {
    final String reason;

    Failed(String reason, String detail) {
      super(detail);
      this.reason = reason;
    }
  }

  private static final String PATH =
      "/apis/" + OomKill.GROUP + "/" + OomKill.VERSION + "/namespaces/%s/oomkills";

  private final KubeConnection api;
  private final String fallbackNamespace;
  private final AgentMetrics metrics;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final BlockingDeque<Item> queue;
  private final long maxQueuedBytes;
  private final java.util.concurrent.atomic.AtomicLong queuedBytes =
      new java.util.concurrent.atomic.AtomicLong();
  private final Thread worker;
  private volatile boolean closed;
  private volatile long lastLoopNanos = System.nanoTime();

  /**
   * @param fallbackNamespace where kills without a pod (or whose namespace is gone) are written
   */
  public KubernetesExporter(
      KubeConnection api,
      String fallbackNamespace,
      int capacity,
      Duration initialBackoff,
      Duration maxBackoff,
      AgentMetrics metrics) {
    this(
        api,
        fallbackNamespace,
        capacity,
        DEFAULT_MAX_QUEUED_BYTES,
        initialBackoff,
        maxBackoff,
        metrics);
  }

  /** Bytes of OomKill bodies the queue holds at most (about 400 bounded kills). */
  public static final long DEFAULT_MAX_QUEUED_BYTES = 4L << 20;

  /**
   * @param maxQueuedBytes the queue refuses a kill that would take it past this many bytes of
   *     OomKill bodies
   */
  public KubernetesExporter(
      KubeConnection api,
      String fallbackNamespace,
      int capacity,
      long maxQueuedBytes,
      Duration initialBackoff,
      Duration maxBackoff,
      AgentMetrics metrics) {
    this.maxQueuedBytes = maxQueuedBytes;
    this.api = api;
    this.fallbackNamespace = fallbackNamespace;
    this.metrics = metrics;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
    this.queue = new LinkedBlockingDeque<>(capacity);
    this.worker = new Thread(this::drain, "oomkill-exporter");
    this.worker.setDaemon(true);
    this.worker.start();
  }

  @Override
  public void export(OomKill kill, Runnable delivered) {
    if (kill.getMetadata().getNamespace() == null) {
      kill.getMetadata().setNamespace(fallbackNamespace);
    }
    long bytes = Json.body(kill).length();
    boolean fits = queuedBytes.addAndGet(bytes) <= maxQueuedBytes;
    if (!fits || !queue.offerLast(new Item(kill, delivered, bytes))) {
      queuedBytes.addAndGet(-bytes);
      metrics.exportDropped(AgentMetrics.DROPPED_QUEUE_FULL);
      LOG.error(
          "Export queue full ({} kills, {} bytes waiting): dropped OomKill {} of pod {}; the API"
              + " server has been failing for a while",
          queue.size(),
          queuedBytes.get(),
          kill.getMetadata().getName(),
          kill.getSpec().pod == null ? "-" : kill.getSpec().pod.name);
    }
  }

  /**
   * The worker has died, or has not come round to the queue for longer than a backoff and two
   * request deadlines (a request that hangs is cut at its deadline).
   */
  @Override
  public String liveProblem() {
    if (closed) {
      return null;
    }
    if (!worker.isAlive()) {
      return "the OomKill exporter has stopped";
    }
    long idleSec = (System.nanoTime() - lastLoopNanos) / 1_000_000_000L;
    if (idleSec > maxBackoff.toSeconds() + 150) {
      return "the OomKill exporter has made no attempt for " + idleSec + " s";
    }
    return null;
  }

  @Override
  public int pending() {
    return queue.size();
  }

  private void drain() {
    long backoff = initialBackoff.toMillis();
    while (!closed) {
      Item item;
      lastLoopNanos = System.nanoTime();
      try {
        item = queue.pollFirst(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (item == null) {
        continue;
      }
      boolean done = false;
      boolean shrunk = false;
      while (!done && !closed) {
        lastLoopNanos = System.nanoTime();
        try {
          create(item.kill);
          done = true;
        } catch (Refused e) {
          if (!shrunk) {
            shrunk = true;
            LOG.warn(
                "The API server refused OomKill {} ({}); sending it again shrunk to its essentials",
                item.kill.getMetadata().getName(),
                e.getMessage());
            Shrink.toEssentials(item.kill);
            continue;
          }
          metrics.exportDropped(AgentMetrics.DROPPED_REFUSED);
          LOG.error(
              "The API server refused OomKill {} even shrunk to its essentials; dropped: {}",
              item.kill.getMetadata().getName(),
              e.getMessage());
          done = true; // retrying cannot succeed, and must not hold up the kills behind it
        } catch (Failed e) {
          metrics.exportFailed(e.reason);
          LOG.warn(
              "Creating OomKill {} failed ({}); retrying in {} ms",
              item.kill.getMetadata().getName(),
              e.getMessage(),
              backoff);
          try {
            Thread.sleep(backoff);
          } catch (InterruptedException ie) {
            queue.offerFirst(item);
            return;
          }
          backoff = Math.min(maxBackoff.toMillis(), backoff * 2);
        } catch (InterruptedException ie) {
          queue.offerFirst(item);
          return;
        }
      }
      if (!done) {
        queue.offerFirst(item); // closing: leave it for the count in pending()
      } else {
        queuedBytes.addAndGet(-item.bytes);
        backoff = initialBackoff.toMillis();
        item.delivered.run();
      }
    }
  }

  /** Returns once the kill is in the API server (created now, or found there already). */
  private void create(OomKill kill) throws Refused, Failed, InterruptedException {
    String ns = kill.getMetadata().getNamespace();
    KubeConnection.Response r;
    try {
      r = api.send("POST", String.format(PATH, ns), Json.body(kill));
    } catch (IOException e) {
      throw new Failed("unreachable", e.toString());
    }
    int code = r.statusCode();
    if (code == 200 || code == 201) {
      metrics.exported("created");
    } else if (code == 409) {
      metrics.exported("already-exists"); // the same kernel record, reported before a restart
    } else if (code == 404 && !fallbackNamespace.equals(ns)) {
      // The pod's namespace is gone: keep the evidence in the agent's namespace.
      LOG.info(
          "Namespace {} not found; writing OomKill {} to {}",
          ns,
          kill.getMetadata().getName(),
          fallbackNamespace);
      kill.getMetadata().setNamespace(fallbackNamespace);
      create(kill);
    } else if (code == 400 || code == 413 || code == 422 || (code == 500 && tooLarge(r.body()))) {
      metrics.exportFailed("refused-" + code);
      throw new Refused(code, r.body());
    } else {
      throw new Failed(Integer.toString(code), "HTTP " + code + ": " + abbreviate(r.body()));
    }
  }

  /** etcd's and the API server's words for an object over their size limits. */
  private static boolean tooLarge(String body) {
    String b = body == null ? "" : body.toLowerCase(java.util.Locale.ROOT);
    return b.contains("too large") || b.contains("exceeds") || b.contains("limit is");
  }

  private static String abbreviate(String s) {
    return s == null || s.length() <= 300 ? s : s.substring(0, 300) + "...";
  }

  @Override
  public void close() {
    closed = true;
    worker.interrupt();
    try {
      worker.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!queue.isEmpty()) {
      LOG.warn(
          "{} OomKills were not delivered before shutdown; they will be re-read from the kernel log on restart",
          queue.size());
    }
  }
}
