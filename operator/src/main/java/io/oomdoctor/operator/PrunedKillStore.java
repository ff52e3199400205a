package io.oomdoctor.operator;

import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomKillSpec;

/**
 * The operator's caches of OomKills keep what reconciling and grouping need (names, labels, the pod
 * reference, the report's scalar fields, the status) and drop the bulk of the evidence — the task
 * table, memory.stat, the trend's points, the processes, the cgroups' stats — which a diagnosis
 * reads from the API server once, when it is made ({@link KillObserver#evidence}).
 */
final class PrunedKillStore extends BasicItemStore<OomKill> {
  /** OomKills the informers list per page at start-up and on a relist. */
  static final long LIST_LIMIT = 500;

  PrunedKillStore() {
    super(Cache::metaNamespaceKeyFunc);
  }

  @Override
  public OomKill put(String key, OomKill kill) {
    return super.put(key, prune(kill));
  }

  /** The same OomKill without its bulky evidence (changed in place: the informer's own copy). */
  static OomKill prune(OomKill kill) {
    OomKillSpec spec = kill.getSpec();
    if (spec == null) {
      return kill;
    }
    if (spec.report != null) {
      spec.report.tasks = null;
      spec.report.memcgStats = null;
      spec.report.constraintDetails = null;
    }
    if (spec.trend != null) {
      spec.trend.series = null;
    }
    spec.processes = null;
    if (spec.cgroups != null) {
      spec.cgroups.forEach(c -> c.stats = null);
    }
    return kill;
  }
}
