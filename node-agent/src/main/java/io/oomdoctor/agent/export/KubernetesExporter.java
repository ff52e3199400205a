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
 * Creates each kill as an OomKill resource. One worker thread drains a bounded queue; while the API
 * server is unreachable or failing, the head of the queue is retried with exponential backoff and
 * nothing behind it is lost. A full queue refuses new kills with a count and an error log — never
 * silently. A 409 means the same kernel record was already reported (agent restart): done.
 */
public final class KubernetesExporter implements Exporter {
  private static final Logger LOG = LoggerFactory.getLogger(KubernetesExporter.class);

  private record Item(OomKill kill, Runnable delivered) {}

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
  private final Thread worker;
  private volatile boolean closed;

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
    if (!queue.offerLast(new Item(kill, delivered))) {
      metrics.exportDropped();
      LOG.error(
          "Export queue full ({} kills waiting): dropped OomKill {} of pod {}; the API server has"
              + " been failing for a while",
          queue.size(),
          kill.getMetadata().getName(),
          kill.getSpec().pod == null ? "-" : kill.getSpec().pod.name);
    }
  }

  @Override
  public int pending() {
    return queue.size();
  }

  private void drain() {
    long backoff = initialBackoff.toMillis();
    while (!closed) {
      Item item;
      try {
        item = queue.pollFirst(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (item == null) {
        continue;
      }
      boolean done = false;
      while (!done && !closed) {
        try {
          create(item.kill);
          item.delivered.run();
          backoff = initialBackoff.toMillis();
          done = true;
        } catch (Refused e) {
          metrics.exportFailed("invalid");
          LOG.error(
              "The API server refused OomKill {} as invalid and it will not be retried: {}",
              item.kill.getMetadata().getName(),
              e.getMessage());
          item.delivered.run(); // retrying an invalid object cannot succeed; counted above
          done = true;
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
    } else if (code == 400 || code == 422) {
      throw new Refused(code, r.body());
    } else {
      throw new Failed(Integer.toString(code), "HTTP " + code + ": " + abbreviate(r.body()));
    }
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
