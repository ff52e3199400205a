package io.oomdoctor.operator;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** The operator's Prometheus metrics. */
public final class OperatorMetrics {
  private final MeterRegistry registry;

  /** One gauge per policy, registered once: a policy's reconcile costs the same at 10,000. */
  private final Map<String, PolicyGauge> recommendations = new ConcurrentHashMap<>();

  private record PolicyGauge(AtomicInteger value, Gauge gauge) {}

  public OperatorMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Distinct (namespace, workload, container, cause) series of the kill counter, at most. */
  static final int MAX_KILL_SERIES = 5_000;

  private final java.util.Set<String> killSeries = ConcurrentHashMap.newKeySet();

  /**
   * Counts a diagnosed kill. Label values are made printable and cut to 128 characters; past {@link
   * #MAX_KILL_SERIES} series, new workloads and containers are counted as "other", so that no
   * stream of kills (or forged ones) can grow the registry without bound.
   */
  public void killDiagnosed(String namespace, String workload, String container, String cause) {
    killDiagnosed(namespace, workload, container, cause, 1);
  }

  /** Counts {@code kills} diagnosed kills at once (an OomKill that stands for several). */
  public void killDiagnosed(
      String namespace, String workload, String container, String cause, int kills) {
    String ns = label(namespace);
    String w = label(workload);
    String c = label(container);
    String k = label(cause);
    String key = ns + "\u0000" + w + "\u0000" + c + "\u0000" + k;
    if (!killSeries.contains(key)) {
      if (killSeries.size() >= MAX_KILL_SERIES) {
        w = "other";
        c = "other";
      } else {
        killSeries.add(key);
      }
    }
    Counter.builder("oomdoctor_kills")
        .description("OOM kills diagnosed, by namespace, workload, container and cause")
        .tags("namespace", ns, "workload", w, "container", c, "cause", k)
        .register(registry)
        .increment(kills);
  }

  private static String label(String v) {
    return nz(io.oomdoctor.model.Text.clip(v, 128));
  }

  private static final java.util.Set<String> RISKS =
      java.util.Set.of(
          io.oomdoctor.model.OomRisk.NEAR_LIMIT,
          io.oomdoctor.model.OomRisk.LIMIT_IN_SIGHT,
          io.oomdoctor.model.OomRisk.PRESSURE,
          io.oomdoctor.model.OomRisk.TMPFS,
          io.oomdoctor.model.OomRisk.MISCONFIGURED);

  /** One report of a risk looked at (a raise or a renewal), by risk and the operator's trust. */
  public void riskSeen(String risk, String trust) {
    Counter.builder("oomdoctor_risks")
        .description(
            "Reports of risks before the kill (raised or renewed) the operator looked at, by risk"
                + " and trust (Verified, or why not)")
        .tags("risk", RISKS.contains(risk) ? risk : "other", "trust", label(trust))
        .register(registry)
        .increment();
  }

  /** From the kernel's kill to the Event on the Pod. */
  public void killToEvent(java.time.Duration d) {
    if (d.isNegative()) {
      return; // clocks of node and operator disagree
    }
    Timer.builder("oomdoctor_kill_to_event")
        .description("Time from the kernel's OOM kill to the Warning Event on the Pod")
        .publishPercentiles(0.5, 0.99)
        .register(registry)
        .record(d);
  }

  public void applied(String namespace, String workload, String container) {
    Counter.builder("oomdoctor_applies")
        .description("Memory limits the operator changed in workloads")
        .tags("namespace", nz(namespace), "workload", nz(workload), "container", nz(container))
        .register(registry)
        .increment();
  }

  public void recommendations(String namespace, String policy, int count) {
    recommendations
        .computeIfAbsent(
            namespace + "/" + policy,
            k -> {
              AtomicInteger v = new AtomicInteger();
              Gauge g =
                  Gauge.builder("oomdoctor_recommendations", v, AtomicInteger::get)
                      .description(
                          "Recommendations held in OomPolicy status, by namespace and policy")
                      .tags(Tags.of("namespace", namespace, "policy", policy))
                      .register(registry);
              return new PolicyGauge(v, g);
            })
        .value()
        .set(count);
  }

  /** Series of the recommended-limit gauge at most, over all policies. */
  static final int MAX_RECOMMENDATION_SERIES = 5_000;

  private final Map<String, List<MultiGauge.Row<?>>> recommendedRows = new ConcurrentHashMap<>();
  private volatile MultiGauge recommendedLimits;

  /**
   * The limits a policy recommends now, per workload container (bytes), replacing what it
   * recommended before: {@code oomdoctor_recommended_limit_bytes}, with the current limit beside it
   * as {@code oomdoctor_current_limit_bytes}.
   */
  public synchronized void recommendedLimits(String namespace, String policy, List<String[]> rows) {
    if (recommendedLimits == null) {
      recommendedLimits =
          MultiGauge.builder("oomdoctor_recommended_limit_bytes")
              .description(
                  "Memory limit an OomPolicy recommends for a workload container (kind"
                      + " current: the limit it has now)")
              .register(registry);
    }
    List<MultiGauge.Row<?>> mine = new ArrayList<>();
    for (String[] r : rows) { // workload, container, recommended, current
      Tags base =
          Tags.of(
              "namespace",
              label(namespace),
              "policy",
              label(policy),
              "workload",
              label(r[0]),
              "container",
              label(r[1]));
      try {
        if (r[2] != null) {
          mine.add(MultiGauge.Row.of(base.and("kind", "recommended"), Long.parseLong(r[2])));
        }
        if (r[3] != null) {
          mine.add(MultiGauge.Row.of(base.and("kind", "current"), Long.parseLong(r[3])));
        }
      } catch (NumberFormatException e) {
        // not a byte count: left out
      }
    }
    recommendedRows.put(namespace + "/" + policy, mine);
    List<MultiGauge.Row<?>> all = new ArrayList<>();
    for (List<MultiGauge.Row<?>> l : recommendedRows.values()) {
      for (MultiGauge.Row<?> row : l) {
        if (all.size() < MAX_RECOMMENDATION_SERIES) {
          all.add(row);
        }
      }
    }
    recommendedLimits.register(all, true);
  }

  /** Drops the gauges of policies that no longer exist ("namespace/name" keys kept). */
  public void retainPolicies(java.util.Set<String> existing) {
    recommendations
        .entrySet()
        .removeIf(
            e -> {
              if (existing.contains(e.getKey())) {
                return false;
              }
              registry.remove(e.getValue().gauge());
              recommendedRows.remove(e.getKey());
              return true;
            });
  }

  /** Times one reconcile and counts it as an error when it throws. */
  public <T> T timed(String controller, Supplier<T> reconcile) {
    Timer.Sample sample = Timer.start(registry);
    String outcome = "success";
    try {
      return reconcile.get();
    } catch (RuntimeException e) {
      outcome = "error";
      Counter.builder("oomdoctor_reconcile_errors")
          .description("Reconciles that ended in an error (they are retried)")
          .tags("controller", controller, "error", e.getClass().getSimpleName())
          .register(registry)
          .increment();
      throw e;
    } finally {
      sample.stop(
          Timer.builder("oomdoctor_reconcile")
              .description("Time spent in one reconcile")
              .tags(
                  List.of(
                      io.micrometer.core.instrument.Tag.of("controller", controller),
                      io.micrometer.core.instrument.Tag.of("outcome", outcome)))
              .register(registry));
    }
  }

  private static String nz(String s) {
    return s == null || s.isEmpty() ? "none" : s;
  }
}
