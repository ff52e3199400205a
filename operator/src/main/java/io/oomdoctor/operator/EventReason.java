package io.oomdoctor.operator;

/** The reasons of the Events the operator writes: CamelCase and stable, for alerts and filters. */
public enum EventReason {
  /** Warning on the Pod (or the OomKill, when the pod is gone): a kill, its cause and fix. */
  OOMKilled,
  /** Warning on the Node: a host-wide OOM. */
  SystemOOM,
  /** Normal on the workload: a new limit to commit or apply. */
  MemoryLimitRecommended,
  /** Normal on the workload: the operator raised its limit. */
  MemoryLimitRaised
}
