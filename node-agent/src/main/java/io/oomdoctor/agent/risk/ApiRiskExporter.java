package io.oomdoctor.agent.risk;

import io.oomdoctor.agent.export.Json;
import io.oomdoctor.agent.json.JsonWriter;
import io.oomdoctor.agent.kube.KubeConnection;
import io.oomdoctor.agent.metrics.AgentMetrics;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomRisk;
import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes OomRisks to the API server on a thread of its own: the latest state of each risk waits in
 * a map (a newer state replaces an older one not yet written, so a slow API server costs at most
 * one entry per risk), at most {@link #CAPACITY} of them; a risk's spec is replaced whole with a
 * JSON patch, and created when the patch finds none. At most {@code qps} writes a second, from a
 * thread started at the first risk.
 */
public final class ApiRiskExporter implements RiskExporter {
  private static final Logger LOG = LoggerFactory.getLogger(ApiRiskExporter.class);
  private static final JsonWriter JSON = new JsonWriter(false);
  static final int CAPACITY = 1000;
  private static final String PATH =
      "/apis/" + OomKill.GROUP + "/" + OomKill.VERSION + "/namespaces/%s/oomrisks";

  private final KubeConnection api;
  private final AgentMetrics metrics;
  private final long minGapNanos;
  private final Map<String, OomRisk> waiting = new LinkedHashMap<>();
  private final Thread worker;
  private volatile boolean closed;

  public ApiRiskExporter(KubeConnection api, AgentMetrics metrics, double qps) {
    this.api = api;
    this.metrics = metrics;
    this.minGapNanos = (long) (1e9 / Math.max(0.1, qps));
    this.worker = new Thread(this::run, "risk-exporter");
    worker.setDaemon(true);
  }

  @Override
  public void report(OomRisk risk) {
    if (risk.getMetadata().getNamespace() == null) {
      return; // no pod known: nothing to put a risk on
    }
    String key = risk.getMetadata().getNamespace() + "/" + risk.getMetadata().getName();
    synchronized (waiting) {
      OomRisk before = waiting.remove(key);
      if (before == null && waiting.size() >= CAPACITY) {
        // The oldest waiting renewal goes first; a raise or a clear is kept.
        Iterator<Map.Entry<String, OomRisk>> it = waiting.entrySet().iterator();
        boolean dropped = false;
        while (it.hasNext()) {
          OomRisk r = it.next().getValue();
          if (r.getSpec().occurrence != null
              && r.getSpec().occurrence > 1
              && OomRisk.ACTIVE.equals(r.getSpec().state)) {
            it.remove();
            dropped = true;
            break;
          }
        }
        if (!dropped) {
          metrics.exportDropped("risk-queue-full");
          return;
        }
        metrics.exportDropped("risk-queue-full");
      }
      waiting.put(key, risk);
      waiting.notifyAll();
    }
    // Started at the first risk: a node without any costs no thread.
    synchronized (worker) {
      if (!closed && worker.getState() == Thread.State.NEW) {
        worker.start();
      }
    }
  }

  @Override
  public int pending() {
    synchronized (waiting) {
      return waiting.size();
    }
  }

  private void run() {
    long backoffMs = 1000;
    long last = 0;
    while (!closed) {
      OomRisk next;
      synchronized (waiting) {
        while (waiting.isEmpty() && !closed) {
          try {
            waiting.wait();
          } catch (InterruptedException e) {
            return;
          }
        }
        if (closed) {
          return;
        }
        Iterator<Map.Entry<String, OomRisk>> it = waiting.entrySet().iterator();
        next = it.next().getValue();
        it.remove();
      }
      long gap = minGapNanos - (System.nanoTime() - last);
      if (gap > 0) {
        sleep(gap / 1_000_000);
      }
      last = System.nanoTime();
      String result = write(next);
      if (result == null) {
        backoffMs = 1000;
        continue;
      }
      // Failed: back in line unless a newer state came meanwhile; wait before the next attempt.
      String key = next.getMetadata().getNamespace() + "/" + next.getMetadata().getName();
      synchronized (waiting) {
        waiting.putIfAbsent(key, next);
      }
      LOG.debug("Writing risk {} failed ({}); retrying in {} ms", key, result, backoffMs);
      sleep(backoffMs);
      backoffMs = Math.min(30_000, backoffMs * 2);
    }
  }

  /** Null when written or refused for good; a reason when worth retrying. */
  String write(OomRisk r) {
    String ns = r.getMetadata().getNamespace();
    String name = r.getMetadata().getName();
    try {
      String patch =
          JSON.write(
              List.of(
                  Map.of("op", "replace", "path", "/spec", "value", r.getSpec()),
                  Map.of(
                      "op",
                      "replace",
                      "path",
                      "/metadata/labels",
                      "value",
                      r.getMetadata().getLabels())));
      KubeConnection.Response res = api.send("PATCH", String.format(PATH, ns) + "/" + name, patch);
      int code = res.statusCode();
      if (code == 404) {
        res = api.send("POST", String.format(PATH, ns), Json.body(r));
        code = res.statusCode();
        if (code == 409) {
          return "conflict"; // created meanwhile: patch it next time
        }
      }
      if (code >= 200 && code < 300) {
        metrics.exported("risk");
        return null;
      }
      if (code == 404 && OomRisk.CLEARED.equals(r.getSpec().state)) {
        return null; // namespace gone with the pod
      }
      if (code == 400 || code == 403 || code == 404 || code == 413 || code == 422) {
        LOG.warn(
            "The API server refused risk {}/{} (HTTP {}): {}",
            ns,
            name,
            code,
            res.body() == null || res.body().length() <= 300
                ? res.body()
                : res.body().substring(0, 300));
        metrics.exportFailed("risk-refused-" + code);
        return null;
      }
      metrics.exportFailed("risk-" + code);
      return Integer.toString(code);
    } catch (IOException | RuntimeException e) {
      metrics.exportFailed("risk-unreachable");
      return e.toString();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(Math.max(0, ms));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closed = true;
    synchronized (waiting) {
      waiting.notifyAll();
    }
    worker.interrupt();
  }
}
