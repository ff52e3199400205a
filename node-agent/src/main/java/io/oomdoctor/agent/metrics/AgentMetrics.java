package io.oomdoctor.agent.metrics;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.function.Supplier;

/**
 * The agent's Prometheus metrics, all prefixed {@code oomdoctor_agent_}, written in the Prometheus
 * text format by the agent itself: a metrics library costs some MiB of classes on every node for a
 * dozen counters (docs/benchmarks.md). Names are given with dots ({@code oomdoctor.agent.kills})
 * and exposed as Prometheus names ({@code oomdoctor_agent_kills_total}).
 */
public final class AgentMetrics {
  /** One metric family: its kind, its help text, and its series by label set. */
  private record Family(String type, String help, Map<String, DoubleAdder> series) {}

  private final Map<String, Family> counters = new ConcurrentHashMap<>();
  private final Map<String, Supplier<Number>> gauges = new ConcurrentHashMap<>();
  private final Map<String, String> gaugeHelp = new ConcurrentHashMap<>();

  /** Count, sum and largest of a duration, written as a Prometheus summary and a _max gauge. */
  private static final class Summary {
    final String name;
    final String help;
    final DoubleAdder sum = new DoubleAdder();
    final AtomicLong count = new AtomicLong();
    volatile double max;

    Summary(String name, String help) {
      this.name = name;
      this.help = help;
    }

    void observe(double seconds) {
      sum.add(seconds);
      count.incrementAndGet();
      if (seconds > max) {
        max = seconds;
      }
    }

    void write(StringBuilder sb) {
      head(sb, name, "summary", help);
      sb.append(name).append("_count ").append(count.get()).append('\n');
      sb.append(name).append("_sum ").append(num(sum.sum())).append('\n');
      head(sb, name + "_max", "gauge", "Largest so far");
      sb.append(name).append("_max ").append(num(max)).append('\n');
    }
  }

  private final Summary sampling =
      new Summary(
          "oomdoctor_agent_sampling_duration_seconds",
          "Time of one sampling pass over all pod and container cgroups");
  private final Summary delivery =
      new Summary(
          "oomdoctor_agent_kill_delivery_seconds",
          "From the kernel's kill to its OomKill written (or printed), for the first kill each"
              + " OomKill stands for");
  private final AtomicLong containersSampled = new AtomicLong();

  public AgentMetrics() {
    for (String[] c :
        new String[][] {
          {"oomdoctor.agent.kmsg.records.read", "Kernel log records read from /dev/kmsg"},
          {
            "oomdoctor.agent.kmsg.records.lost",
            "Kernel log records overwritten before the agent read them"
          },
          {
            "oomdoctor.agent.kmsg.records.garbled",
            "Kernel log records or lines that could not be parsed"
          }
        }) {
      counter(c[0], c[1], "");
    }
    for (String reason : new String[] {DROPPED_QUEUE_FULL, DROPPED_REFUSED}) {
      counter(DROPPED, DROPPED_HELP, labels("reason", reason));
    }
    gauge(
        "oomdoctor.agent.sampling.cgroups",
        "Pod and container cgroups in the last sampling pass",
        containersSampled::get);
  }

  private DoubleAdder counter(String name, String help, String labels) {
    return counters
        .computeIfAbsent(name, n -> new Family("counter", help, new ConcurrentHashMap<>()))
        .series()
        .computeIfAbsent(labels, l -> new DoubleAdder());
  }

  /** A label set as Prometheus writes it, in the order given (sort the names). */
  public static String labels(String... kv) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < kv.length; i += 2) {
      sb.append(sb.length() == 0 ? "" : ",")
          .append(kv[i])
          .append("=\"")
          .append(kv[i + 1].replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n"))
          .append('"');
    }
    return sb.toString();
  }

  public void recordRead() {
    counter("oomdoctor.agent.kmsg.records.read", null, "").add(1);
  }

  public void recordsLost(long n) {
    counter("oomdoctor.agent.kmsg.records.lost", null, "").add(n);
  }

  public void recordGarbled() {
    counter("oomdoctor.agent.kmsg.records.garbled", null, "").add(1);
  }

  /** One kill seen in the kernel log, by kind (cgroup/global), limit scope and completeness. */
  public void killSeen(String kind, String scope, boolean complete) {
    counter(
            "oomdoctor.agent.kills",
            "OOM kills found in the kernel log",
            labels(
                "complete",
                Boolean.toString(complete),
                "kind",
                kind == null ? "unknown" : kind,
                "scope",
                scope == null ? "none" : scope))
        .add(1);
  }

  /** One kill of a plain Docker container, by its name, image and the cause diagnosed here. */
  public void dockerKill(String container, String image, String cause) {
    counter(
            "oomdoctor.agent.docker.kills",
            "OOM kills of Docker containers, by container, image and diagnosed cause",
            labels("cause", cause, "container", container, "image", image))
        .add(1);
  }

  public void exported(String result) {
    counter(
            "oomdoctor.agent.exports",
            "OomKills delivered, by result (created, already-exists, stdout)",
            labels("result", result))
        .add(1);
  }

  public void exportFailed(String reason) {
    counter(
            "oomdoctor.agent.exports.failed",
            "Attempts to deliver an OomKill that failed, by reason",
            labels("reason", reason))
        .add(1);
  }

  /** A kill that could not be queued (the queue is full, in kills or bytes). */
  public static final String DROPPED_QUEUE_FULL = "queue-full";

  /** A kill the API server refused for good, even shrunk to its essentials. */
  public static final String DROPPED_REFUSED = "refused";

  private static final String DROPPED = "oomdoctor.agent.exports.dropped";
  private static final String DROPPED_HELP =
      "Kills not delivered, by reason: queue-full (the API server was failing for long), refused"
          + " (the API server refused the kill even shrunk to its essentials)";

  /** A kill counted into an OomKill of the same container that was waiting to be created. */
  public void exportCoalesced() {
    counter(
            "oomdoctor.agent.exports.coalesced",
            "Kills counted into a waiting OomKill of the same container (spec.repeats) instead of"
                + " one of their own",
            "")
        .add(1);
  }

  public void exportDropped(String reason) {
    counter(DROPPED, DROPPED_HELP, labels("reason", reason)).add(1);
  }

  public void sampled(Duration took, int cgroups) {
    sampling.observe(took.toNanos() / 1e9);
    containersSampled.set(cgroups);
  }

  /** A kill's OomKill was delivered {@code seconds} after the kernel killed. */
  public void delivered(double seconds) {
    delivery.observe(Math.max(0, seconds));
  }

  /** A risk reported (raised or renewed) for a container, by risk. */
  public void riskReported(String risk) {
    counter(
            "oomdoctor.agent.risks.reported",
            "Risks before the kill reported for containers (raised or renewed), by risk",
            labels("risk", risk))
        .add(1);
  }

  static final String RATIO = "oomdoctor_container_working_set_ratio";
  static final String ETA = "oomdoctor_container_oom_eta_seconds";
  private volatile Map<String, Double> ratios = Map.of();
  private volatile Map<String, Double> etas = Map.of();

  /**
   * The per-container gauges of the latest pass, by label set: working set over limit, and seconds
   * until the limit at the current growth (only where a steady growth meets it within the risk
   * horizon). Bounded by the caller.
   */
  public void containerGauges(Map<String, Double> ratios, Map<String, Double> etas) {
    this.ratios = Map.copyOf(ratios);
    this.etas = Map.copyOf(etas);
  }

  private static void labelled(
      StringBuilder sb, String name, String help, Map<String, Double> series) {
    head(sb, name, "gauge", help);
    new TreeMap<>(series)
        .forEach(
            (l, v) ->
                sb.append(name).append('{').append(l).append("} ").append(num(v)).append('\n'));
  }

  public void gauge(String name, String description, Supplier<Number> value) {
    gauges.put(name, value);
    gaugeHelp.put(name, description);
  }

  /** The sum over all series of a counter (dotted name). */
  public double count(String name) {
    Family f = counters.get(name);
    return f == null ? 0 : f.series().values().stream().mapToDouble(DoubleAdder::sum).sum();
  }

  /** One series of a counter, by its labels ({@code result="created"}). */
  public double count(String name, String label, String value) {
    Family f = counters.get(name);
    DoubleAdder a = f == null ? null : f.series().get(labels(label, value));
    return a == null ? 0 : a.sum();
  }

  /** Every series now, by its Prometheus name and labels (for logs and tests). */
  public Map<String, Double> snapshot() {
    Map<String, Double> out = new TreeMap<>();
    counters.forEach(
        (name, f) ->
            f.series()
                .forEach(
                    (l, v) ->
                        out.put(
                            prom(name) + "_total" + (l.isEmpty() ? "" : "{" + l + "}"), v.sum())));
    gauges.forEach((name, g) -> out.put(prom(name), value(g)));
    ratios.forEach((l, v) -> out.put(RATIO + "{" + l + "}", v));
    etas.forEach((l, v) -> out.put(ETA + "{" + l + "}", v));
    for (Summary m : new Summary[] {sampling, delivery}) {
      out.put(m.name + "_count", (double) m.count.get());
      out.put(m.name + "_sum", m.sum.sum());
      out.put(m.name + "_max", m.max);
    }
    return out;
  }

  /** The Prometheus text exposition format (version 0.0.4). */
  public String scrape() {
    StringBuilder sb = new StringBuilder(2048);
    new TreeMap<>(counters)
        .forEach(
            (name, f) -> {
              String p = prom(name) + "_total";
              head(sb, p, "counter", f.help());
              new TreeMap<>(f.series())
                  .forEach(
                      (l, v) ->
                          sb.append(p)
                              .append(l.isEmpty() ? "" : "{" + l + "}")
                              .append(' ')
                              .append(num(v.sum()))
                              .append('\n'));
            });
    new TreeMap<>(gauges)
        .forEach(
            (name, g) -> {
              head(sb, prom(name), "gauge", gaugeHelp.get(name));
              sb.append(prom(name)).append(' ').append(num(value(g))).append('\n');
            });
    labelled(
        sb,
        RATIO,
        "Working set (usage less inactive file cache) over the memory limit, per container (the"
            + " highest 100 of the node)",
        ratios);
    labelled(
        sb,
        ETA,
        "Seconds until the memory limit is reached at the working set's steady growth, for"
            + " containers where it is reached within the risk horizon (the soonest 100)",
        etas);
    sampling.write(sb);
    delivery.write(sb);
    return sb.toString();
  }

  private static void head(StringBuilder sb, String name, String type, String help) {
    if (help != null) {
      sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
    }
    sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private static double value(Supplier<Number> g) {
    try {
      Number n = g.get();
      return n == null ? Double.NaN : n.doubleValue();
    } catch (RuntimeException e) {
      return Double.NaN;
    }
  }

  private static String num(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    return d == Math.rint(d) && Math.abs(d) < 1e15
        ? (long) d + ".0" // not String.format: its number formats load the locale data
        : Double.toString(d);
  }

  static String prom(String dotted) {
    return dotted.replace('.', '_');
  }
}
