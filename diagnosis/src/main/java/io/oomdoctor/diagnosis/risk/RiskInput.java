package io.oomdoctor.diagnosis.risk;

import java.util.List;

/**
 * What the agent sampled of one container, for the risk rules.
 *
 * @param nowSec epoch seconds of the latest sample
 * @param limitBytes the limit that applies (the container's, or its pod's when tighter)
 * @param workingSet samples {epoch second, working-set bytes}, oldest first
 * @param tmpfs samples {epoch second, shmem bytes}, oldest first (may be empty)
 * @param pressureSomeAvg60 cgroup v2 memory.pressure "some avg60", or null
 * @param failcntRise cgroup v1 memory.failcnt rise over the sustain window, or null
 * @param usageBytes usage now (working set plus cache)
 */
public record RiskInput(
    long nowSec,
    long limitBytes,
    List<long[]> workingSet,
    List<long[]> tmpfs,
    Double pressureSomeAvg60,
    Long failcntRise,
    long usageBytes) {

  public long workingSetNow() {
    return workingSet.isEmpty() ? 0 : workingSet.get(workingSet.size() - 1)[1];
  }

  public long tmpfsNow() {
    return tmpfs.isEmpty() ? 0 : tmpfs.get(tmpfs.size() - 1)[1];
  }
}
