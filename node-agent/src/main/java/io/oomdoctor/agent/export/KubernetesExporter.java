package io.oomdoctor.agent.export;

import io.oomdoctor.agent.kube.KubeConnection;
import io.oomdoctor.agent.metrics.AgentMetrics;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomKillSpec;
import io.oomdoctor.model.evidence.Repeats;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates each kill as an OomKill resource, at a bounded rate (a token bucket, as the kubelet's
 * client has): the first kills of a storm go out at once, the rest at the rate. While a container's
 * kill waits its turn, further kills of that container are counted into it ({@code spec.repeats}:
 * how many, first and last time, PIDs) rather than queued, so that an OOM storm gives one OomKill
 * per container and rate interval, and every kill is still counted. The first kill of a container
 * not reported in the last ten minutes goes ahead of the others (earliest kill first), so that the
 * first kill of a storm is not queued behind its repeats.
 *
 * <p>One worker drains a queue bounded in kills and in bytes into an {@link OomKillWriter} (the API
 * server's is {@link ApiOomKillWriter}); while the writer fails, the head is retried with
 * exponential backoff and nothing behind it is lost. A full queue refuses new kills with a count
 * and an error log — never silently. A kill the writer refuses for good is sent once more shrunk to
 * its essentials; refused again, it is dropped with a count and an error log, so that no kill can
 * block the ones behind it.
 */
public final class KubernetesExporter implements Exporter {
  private static final Logger LOG = LoggerFactory.getLogger(KubernetesExporter.class);

  /** One OomKill to create, standing for one or more kills of one container. */
  private static final class Item {
    final OomKill kill;
    final String key;
    final long bytes;
    final List<Runnable> delivered = new ArrayList<>(1);
    boolean first;
    long order;

    Item(OomKill kill, String key, long bytes, Runnable delivered) {
      this.kill = kill;
      this.key = key;
      this.bytes = bytes;
      this.delivered.add(delivered);
    }
  }

  /** Suffix of the OomKill of the kills counted into one that had been reported before. */
  static final String MORE = ApiOomKillWriter.MORE;

  /** Bytes of OomKill bodies the queue holds at most (about 400 bounded kills). */
  public static final long DEFAULT_MAX_QUEUED_BYTES = 4L << 20;

  /** OomKills created per second in the long run, and at once after a quiet spell. */
  public static final double DEFAULT_QPS = 5;

  public static final int DEFAULT_BURST = 10;

  private final OomKillWriter writer;
  private final String fallbackNamespace;
  private final AgentMetrics metrics;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final int capacity;
  private final long maxQueuedBytes;
  private final TokenBucket rate;

  private final Object lock = new Object();
  private final ArrayDeque<Item> queue = new ArrayDeque<>(); // guarded by lock

  /**
   * The first kill of a container not reported for {@link #RECENT}: ahead of the queue, earliest
   * kill first, so that the first kill of a storm reaches its Pod while the rest wait their turn.
   * Guarded by lock.
   */
  private final java.util.PriorityQueue<Item> firsts =
      new java.util.PriorityQueue<>(
          java.util.Comparator.comparingLong(KubernetesExporter::killTime)
              .thenComparingLong(i -> i.order));

  private long queued; // guarded by lock: the order items came in

  /** Containers (by key) written to lately, with when; at most {@link #MAX_RECENT}. */
  private final LinkedHashMap<String, Long> recent = new LinkedHashMap<>(64, 0.75f, true);

  static final long RECENT = java.util.concurrent.TimeUnit.MINUTES.toNanos(10);

  /** First kills written in a row at most before the oldest repeat gets its turn. */
  static final int MAX_FIRSTS_IN_A_ROW = 4;

  private int firstsInARow; // guarded by lock
  static final int MAX_RECENT = 1024;
  private final Map<String, Item> waiting = new HashMap<>(); // by container; guarded by lock
  private long queuedBytes; // guarded by lock
  private int pendingKills; // guarded by lock

  private final Thread worker;
  private volatile boolean closed;
  private volatile long lastLoopNanos = System.nanoTime();

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
        DEFAULT_QPS,
        DEFAULT_BURST,
        initialBackoff,
        maxBackoff,
        metrics);
  }

  /**
   * @param maxQueuedBytes the queue refuses a kill that would take it past this many bytes of
   *     OomKill bodies
   * @param qps OomKills created per second in the long run; {@code burst} at once
   */
  public KubernetesExporter(
      KubeConnection api,
      String fallbackNamespace,
      int capacity,
      long maxQueuedBytes,
      double qps,
      int burst,
      Duration initialBackoff,
      Duration maxBackoff,
      AgentMetrics metrics) {
    this(
        new ApiOomKillWriter(api, fallbackNamespace, metrics),
        fallbackNamespace,
        capacity,
        maxQueuedBytes,
        qps,
        burst,
        initialBackoff,
        maxBackoff,
        metrics);
  }

  /**
   * @param writer where each OomKill goes: the API server, or a test's own
   */
  public KubernetesExporter(
      OomKillWriter writer,
      String fallbackNamespace,
      int capacity,
      long maxQueuedBytes,
      double qps,
      int burst,
      Duration initialBackoff,
      Duration maxBackoff,
      AgentMetrics metrics) {
    this.writer = writer;
    this.fallbackNamespace = fallbackNamespace;
    this.capacity = capacity;
    this.maxQueuedBytes = maxQueuedBytes;
    this.rate = new TokenBucket(qps, burst);
    this.metrics = metrics;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
    this.worker = new Thread(this::drain, "oomkill-exporter");
    this.worker.setDaemon(true);
    this.worker.start();
  }

  @Override
  public void export(OomKill kill, Runnable delivered) {
    if (kill.getMetadata().getNamespace() == null) {
      kill.getMetadata().setNamespace(fallbackNamespace);
    }
    String key = key(kill);
    boolean dropped = false;
    synchronized (lock) {
      Item same = waiting.get(key);
      if (same != null && same.delivered.size() < MAX_FOLDED) {
        repeat(same.kill.getSpec(), kill.getSpec());
        same.delivered.add(delivered);
        pendingKills++;
        metrics.exportCoalesced();
        return;
      }
      long bytes = Json.body(kill).length();
      if (queue.size() + firsts.size() >= capacity || queuedBytes + bytes > maxQueuedBytes) {
        metrics.exportDropped(AgentMetrics.DROPPED_QUEUE_FULL);
        LOG.error(
            "Export queue full ({} OomKills, {} bytes waiting): dropped OomKill {} of pod {}; the"
                + " API server has been failing for a while",
            queue.size() + firsts.size(),
            queuedBytes,
            kill.getMetadata().getName(),
            kill.getSpec().pod == null ? "-" : kill.getSpec().pod.name);
        dropped = true;
      } else {
        Item item = new Item(kill, key, bytes, delivered);
        Long last = recent.get(key);
        item.first = last == null || System.nanoTime() - last > RECENT;
        item.order = queued++;
        (item.first ? firsts : queue).add(item);
        waiting.put(key, item);
        queuedBytes += bytes;
        pendingKills++;
        lock.notifyAll();
      }
    }
    if (dropped) {
      delivered.run(); // dropped for good, counted: the kernel-log cursor may move past it
    }
  }

  /**
   * Kills of one container coalesce: the same pod, container name, container ID and cgroups (so
   * that kills of two containers of a pod whose container is not resolved yet, or of two services
   * outside any pod, never do).
   */
  private static String key(OomKill kill) {
    OomKillSpec s = kill.getSpec();
    return String.join(
        "|",
        kill.getMetadata().getNamespace(),
        String.valueOf(s.pod == null ? null : s.pod.uid),
        String.valueOf(s.pod == null ? null : s.pod.container),
        String.valueOf(s.attribution == null ? null : s.attribution.podUid),
        String.valueOf(s.attribution == null ? null : s.attribution.containerId),
        String.valueOf(s.report == null ? null : s.report.taskMemcg),
        String.valueOf(s.report == null ? null : s.report.oomMemcg),
        String.valueOf(s.report == null ? null : s.report.kind));
  }

  /** Kills one OomKill stands for at most; past that a new one is queued (bounded as any). */
  static final int MAX_FOLDED = 1000;

  /** Counts {@code next} into {@code first}: one OomKill for both. */
  private static void repeat(OomKillSpec first, OomKillSpec next) {
    if (first.repeats == null) {
      first.repeats =
          Repeats.single(
              first.report == null ? null : first.report.pid,
              first.report == null ? null : first.report.timestamp);
    }
    // The next OomKill may itself stand for several kills (the agent counts a storm's kills of a
    // container into one before it is assembled): all of them count.
    first.repeats.addAll(
        next.repeats,
        next.report == null ? null : next.report.pid,
        next.report == null ? null : next.report.timestamp);
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
    synchronized (lock) {
      return pendingKills;
    }
  }

  /** The next OomKill to create, once one is queued and the rate allows; null when closed. */
  private Item next() throws InterruptedException {
    synchronized (lock) {
      while (queue.isEmpty() && firsts.isEmpty()) {
        if (closed) {
          return null;
        }
        lastLoopNanos = System.nanoTime();
        lock.wait(1000);
      }
    }
    // The head keeps taking kills of its container while it waits for the rate.
    while (!rate.tryTake()) {
      lastLoopNanos = System.nanoTime();
      Thread.sleep(Math.max(1, rate.millisToNext()));
    }
    synchronized (lock) {
      // Firsts go ahead, but never more than a few in a row: new cgroups must not starve the rest.
      boolean first = !firsts.isEmpty() && (queue.isEmpty() || firstsInARow < MAX_FIRSTS_IN_A_ROW);
      Item item = first ? firsts.poll() : queue.pollFirst();
      firstsInARow = first ? firstsInARow + 1 : 0;
      if (item != null) {
        waiting.remove(item.key, item);
      }
      return item;
    }
  }

  private void drain() {
    long backoff = initialBackoff.toMillis();
    while (!closed) {
      Item item;
      try {
        item = next();
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
        OomKillWriter.Outcome outcome;
        try {
          outcome = writer.write(item.kill);
        } catch (InterruptedException ie) {
          requeue(item);
          return;
        } catch (RuntimeException e) {
          outcome = new OomKillWriter.Failed("error", e.toString());
        }
        if (outcome instanceof OomKillWriter.Written) {
          done = true;
        } else if (outcome instanceof OomKillWriter.Refused refused) {
          if (!shrunk) {
            shrunk = true;
            LOG.warn(
                "The API server refused OomKill {} ({}); sending it again shrunk to its essentials",
                item.kill.getMetadata().getName(),
                refused.detail());
            Shrink.toEssentials(item.kill);
            continue;
          }
          metrics.exportDropped(AgentMetrics.DROPPED_REFUSED);
          LOG.error(
              "The API server refused OomKill {} even shrunk to its essentials; dropped: {}",
              item.kill.getMetadata().getName(),
              refused.detail());
          done = true; // retrying cannot succeed, and must not hold up the kills behind it
        } else if (outcome instanceof OomKillWriter.Failed failed) {
          metrics.exportFailed(failed.reason());
          LOG.warn(
              "Creating OomKill {} failed ({}); retrying in {} ms",
              item.kill.getMetadata().getName(),
              failed.detail(),
              backoff);
          try {
            Thread.sleep(backoff);
          } catch (InterruptedException ie) {
            requeue(item);
            return;
          }
          backoff = Math.min(maxBackoff.toMillis(), backoff * 2);
        }
      }
      if (!done) {
        requeue(item); // closing: leave it for the count in pending()
        continue;
      }
      synchronized (lock) {
        queuedBytes -= item.bytes;
        pendingKills -= item.delivered.size();
        recent.put(item.key, System.nanoTime());
        if (recent.size() > MAX_RECENT) {
          recent.remove(recent.keySet().iterator().next()); // the least recently written
        }
      }
      backoff = initialBackoff.toMillis();
      item.delivered.forEach(Runnable::run);
    }
  }

  private void requeue(Item item) {
    synchronized (lock) {
      if (item.first) {
        firsts.add(item);
      } else {
        queue.addFirst(item);
      }
    }
  }

  /** The kernel time of an item's kill (µs since boot); unknown ones last. */
  private static long killTime(Item item) {
    OomKillSpec s = item.kill.getSpec();
    return s.report == null || s.report.kernelTimeUs == null
        ? Long.MAX_VALUE
        : s.report.kernelTimeUs;
  }

  @Override
  public void close() {
    closed = true;
    synchronized (lock) {
      lock.notifyAll();
    }
    worker.interrupt();
    try {
      worker.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    int left = pending();
    if (left > 0) {
      LOG.warn(
          "{} kills were not delivered before shutdown; they will be re-read from the kernel log"
              + " on restart",
          left);
    }
  }
}
