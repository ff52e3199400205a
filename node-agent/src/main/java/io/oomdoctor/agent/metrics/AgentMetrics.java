package io.oomdoctor.agent.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/** The agent's Prometheus metrics, all prefixed {@code oomdoctor_agent_}. */
public final class AgentMetrics {
  private final MeterRegistry registry;
  private final Counter recordsRead;
  private final Counter recordsLost;
  private final Counter recordsGarbled;
  private final Counter exportDropped;
  private final Timer sampling;
  private final AtomicLong containersSampled = new AtomicLong();

  public AgentMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.recordsRead =
        Counter.builder("oomdoctor.agent.kmsg.records.read")
            .description("Kernel log records read from /dev/kmsg")
            .register(registry);
    this.recordsLost =
        Counter.builder("oomdoctor.agent.kmsg.records.lost")
            .description("Kernel log records overwritten before the agent read them")
            .register(registry);
    this.recordsGarbled =
        Counter.builder("oomdoctor.agent.kmsg.records.garbled")
            .description("Kernel log records or lines that could not be parsed")
            .register(registry);
    this.exportDropped =
        Counter.builder("oomdoctor.agent.exports.dropped")
            .description("Kills dropped because the export queue was full")
            .register(registry);
    this.sampling =
        Timer.builder("oomdoctor.agent.sampling.duration")
            .description("Time of one sampling pass over all pod and container cgroups")
            .register(registry);
    registry.gauge("oomdoctor.agent.sampling.cgroups", containersSampled);
  }

  public MeterRegistry registry() {
    return registry;
  }

  public void recordRead() {
    recordsRead.increment();
  }

  public void recordsLost(long n) {
    recordsLost.increment(n);
  }

  public void recordGarbled() {
    recordsGarbled.increment();
  }

  /** One kill seen in the kernel log, by kind (cgroup/global), limit scope and completeness. */
  public void killSeen(String kind, String scope, boolean complete) {
    Counter.builder("oomdoctor.agent.kills")
        .description("OOM kills found in the kernel log")
        .tag("kind", kind == null ? "unknown" : kind)
        .tag("scope", scope == null ? "none" : scope)
        .tag("complete", Boolean.toString(complete))
        .register(registry)
        .increment();
  }

  public void exported(String result) {
    Counter.builder("oomdoctor.agent.exports")
        .description("OomKills delivered, by result (created, already-exists, stdout)")
        .tag("result", result)
        .register(registry)
        .increment();
  }

  public void exportFailed(String reason) {
    Counter.builder("oomdoctor.agent.exports.failed")
        .description("Attempts to deliver an OomKill that failed, by reason")
        .tag("reason", reason)
        .register(registry)
        .increment();
  }

  public void exportDropped() {
    exportDropped.increment();
  }

  public void sampled(Duration took, int cgroups) {
    sampling.record(took);
    containersSampled.set(cgroups);
  }

  public void gauge(String name, String description, Supplier<Number> value) {
    io.micrometer.core.instrument.Gauge.builder(name, value)
        .description(description)
        .register(registry);
  }

  public double count(String name) {
    return registry.find(name).counters().stream().mapToDouble(Counter::count).sum();
  }
}
