package io.oomdoctor.diagnosis;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.model.OomKillSpec;
import io.oomdoctor.model.evidence.MemoryTrend;
import io.oomdoctor.model.evidence.OomReport;
import io.oomdoctor.model.evidence.OomTask;
import io.oomdoctor.model.evidence.ProcessInfo;
import io.oomdoctor.model.evidence.ProcessSnapshot;
import java.util.ArrayList;
import org.junit.jupiter.api.Test;

/** What a workload would have used had the limit not stopped it: the usage at a kill is a floor. */
class DemandEstimateTest {
  static final long MI = 1L << 20;

  static OomKillSpec killedAt(long limitMi, MemoryTrend trend) {
    OomKillSpec s = new OomKillSpec();
    s.report = new OomReport();
    s.report.kind = OomReport.KIND_CGROUP;
    s.report.limitKb = limitMi * 1024;
    s.report.usageKb = limitMi * 1024;
    s.trend = trend;
    return s;
  }

  static MemoryTrend trend(int samples, Long growthPerHour, Double r2, long ageSeconds) {
    MemoryTrend t = new MemoryTrend();
    t.samples = samples;
    t.growthBytesPerHour = growthPerHour;
    t.fitR2 = r2;
    t.containerAgeSeconds = ageSeconds;
    t.peakBytes = 0L;
    return t;
  }

  @Test
  void withoutAnyTrendNothingSaysItGrew() {
    assertThat(new Facts(killedAt(64, null)).demandEstimate()).isEqualTo(64 * MI);
  }

  @Test
  void killedBeforeTheSamplerSawItGrowIsTwiceTheLimit() {
    assertThat(new Facts(killedAt(64, trend(0, null, null, 1))).demandEstimate())
        .isEqualTo(128 * MI);
  }

  @Test
  void stillGrowingSteadilyIsHalfItsAgeAgainAtItsRate() {
    // 14 MiB a minute for 4 minutes: 28 MiB more.
    MemoryTrend t = trend(24, 14 * MI * 60, 0.99, 240);
    assertThat(new Facts(killedAt(64, t)).demandEstimate()).isEqualTo(92 * MI);
    // A noisy fit is not a direction.
    assertThat(new Facts(killedAt(64, trend(24, 14 * MI * 60, 0.5, 240))).demandEstimate())
        .isEqualTo(64 * MI);
    // Never more than twice the peak.
    assertThat(new Facts(killedAt(64, trend(24, 14 * MI * 60, 0.99, 24_000))).demandEstimate())
        .isEqualTo(128 * MI);
  }

  @Test
  void workersStartedOneAfterAnotherAreExpectedToKeepComing() {
    OomKillSpec s = killedAt(100, null);
    s.report.tasks = new ArrayList<>();
    s.processes = new ProcessSnapshot();
    s.processes.processes = new ArrayList<>();
    long start = 1_000;
    for (int i = 0; i < 4; i++) {
      OomTask t = new OomTask();
      t.pid = 100 + i;
      t.name = i == 0 ? "master" : "worker";
      t.rssPages = (i == 0 ? 15 : 25) * MI / 4096;
      s.report.tasks.add(t);
      ProcessInfo p = new ProcessInfo();
      p.pid = 100 + i;
      p.startedAtSec = start + i * 60L; // a worker a minute
      s.processes.processes.add(p);
    }
    // 15 + 3 × 25 = 90 MiB now; 3 started late → 2 more of the largest (25 MiB).
    assertThat(new Facts(s).processesDemand()).isEqualTo(140 * MI);
    for (ProcessInfo p : s.processes.processes) {
      p.startedAtSec = start; // all at once: no more to come
    }
    assertThat(new Facts(s).processesDemand()).isEqualTo(90 * MI);
  }
}
