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
  MemoryLimitRaised,
  /** Warning on the Pod: a container at risk of an OOM kill before any kill. */
  OOMRisk,
  /** Normal on the Pod: a container's risk has gone. */
  OOMRiskCleared,
  /** Warning on the Pod: a runtime's memory cap does not fit the limit, seen at start. */
  MemoryMisconfigured
}
