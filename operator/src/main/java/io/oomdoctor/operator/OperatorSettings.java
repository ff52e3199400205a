package io.oomdoctor.operator;

import java.time.Duration;
import java.util.Set;

/**
 * How the operator runs.
 *
 * @param namespaces namespaces to watch; empty for all
 * @param retention how long OomKills are kept
 * @param keepPerWorkload how many OomKills are kept per workload container (older ones go first)
 * @param eventWindow repeated kills of one pod and cause within this update one Event's count
 * @param identity this replica's name (events, leader election)
 */
public record OperatorSettings(
    Set<String> namespaces,
    Duration retention,
    int keepPerWorkload,
    Duration eventWindow,
    String identity) {
  public static OperatorSettings defaults() {
    return new OperatorSettings(
        Set.of(), Duration.ofDays(7), 50, Duration.ofMinutes(10), "oomdoctor-operator");
  }

  public OperatorSettings withNamespaces(Set<String> ns) {
    return new OperatorSettings(ns, retention, keepPerWorkload, eventWindow, identity);
  }

  public OperatorSettings withRetention(Duration age, int perWorkload) {
    return new OperatorSettings(namespaces, age, perWorkload, eventWindow, identity);
  }

  public OperatorSettings withIdentity(String id) {
    return new OperatorSettings(namespaces, retention, keepPerWorkload, eventWindow, id);
  }
}
