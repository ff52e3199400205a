package io.oomdoctor.agent.export;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.oomdoctor.agent.metrics.AgentMetrics;
import io.oomdoctor.model.OomKill;
import java.net.HttpURLConnection;
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

  private final KubernetesClient client;
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
      KubernetesClient client,
      String fallbackNamespace,
      int capacity,
      Duration initialBackoff,
      Duration maxBackoff,
      AgentMetrics metrics) {
    this.client = client;
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
          done = create(item.kill);
          item.delivered.run();
          backoff = initialBackoff.toMillis();
        } catch (KubernetesClientException e) {
          if (e.getCode() == 422 || e.getCode() == 400) {
            metrics.exportFailed("invalid");
            LOG.error(
                "The API server refused OomKill {} as invalid and it will not be retried: {}",
                item.kill.getMetadata().getName(),
                e.getMessage());
            item.delivered.run(); // retrying an invalid object cannot succeed; counted above
            done = true;
            continue;
          }
          metrics.exportFailed(e.getCode() == 0 ? "unreachable" : Integer.toString(e.getCode()));
          LOG.warn(
              "Creating OomKill {} failed ({}); retrying in {} ms",
              item.kill.getMetadata().getName(),
              e.getCode() == 0 ? e.getMessage() : "HTTP " + e.getCode(),
              backoff);
          try {
            Thread.sleep(backoff);
          } catch (InterruptedException ie) {
            queue.offerFirst(item);
            return;
          }
          backoff = Math.min(maxBackoff.toMillis(), backoff * 2);
        } catch (RuntimeException e) {
          metrics.exportFailed("error");
          LOG.warn("Creating OomKill {} failed; retrying", item.kill.getMetadata().getName(), e);
          try {
            Thread.sleep(backoff);
          } catch (InterruptedException ie) {
            queue.offerFirst(item);
            return;
          }
          backoff = Math.min(maxBackoff.toMillis(), backoff * 2);
        }
      }
      if (!done) {
        queue.offerFirst(item); // closing: leave it for the count in pending()
      }
    }
  }

  /** Returns true when the kill is in the API server (created now or before). */
  private boolean create(OomKill kill) {
    try {
      client.resource(kill).create();
      metrics.exported("created");
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        metrics.exported("already-exists");
        return true;
      }
      if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND
          && !fallbackNamespace.equals(kill.getMetadata().getNamespace())) {
        // The pod's namespace is gone: keep the evidence in the agent's namespace.
        LOG.info(
            "Namespace {} not found; writing OomKill {} to {}",
            kill.getMetadata().getNamespace(),
            kill.getMetadata().getName(),
            fallbackNamespace);
        kill.getMetadata().setNamespace(fallbackNamespace);
        return create(kill);
      }
      throw e;
    }
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
