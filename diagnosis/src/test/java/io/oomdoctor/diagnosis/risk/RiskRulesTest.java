package io.oomdoctor.diagnosis.risk;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.model.OomRisk;
import io.oomdoctor.model.OomRiskSpec;
import io.oomdoctor.model.evidence.RuntimeCaps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each risk rule on the sample shapes that should and should not raise it. */
class RiskRulesTest {
  static final long MI = 1L << 20;
  static final RiskSettings S = RiskSettings.defaults();
  static final long NOW = 1_700_000_000L;

  /** One sample every 10 s for {@code minutes}, the value at each from {@code f}. */
  static List<long[]> samples(int minutes, java.util.function.LongUnaryOperator f) {
    List<long[]> out = new ArrayList<>();
    for (long t = -minutes * 60L; t <= 0; t += 10) {
      out.add(new long[] {NOW + t, f.applyAsLong(t)});
    }
    return out;
  }

  static RiskInput in(long limit, List<long[]> ws) {
    return new RiskInput(NOW, limit, ws, List.of(), null, null, ws.get(ws.size() - 1)[1]);
  }

  @Test
  void aSteadyRiseThatMeetsTheLimitWithinTheHourIsInSight() {
    // 300 MiB now, +100 MiB/h: the 512 MiB limit in about 2.1 h — not yet.
    Map<String, OomRiskSpec> far =
        RiskRules.evaluate(in(512 * MI, samples(30, t -> 300 * MI + t * 100 * MI / 3600)), S);
    assertThat(far).doesNotContainKey(OomRisk.LIMIT_IN_SIGHT);
    // 450 MiB now, +100 MiB/h: in about 37 min.
    OomRiskSpec near =
        RiskRules.evaluate(in(512 * MI, samples(30, t -> 450 * MI + t * 100 * MI / 3600)), S)
            .get(OomRisk.LIMIT_IN_SIGHT);
    assertThat(near).isNotNull();
    assertThat(near.etaSeconds).isBetween(36 * 60L, 38 * 60L);
    assertThat(near.fitR2).isGreaterThan(0.99);
    assertThat(RiskText.message(withRisk(near, OomRisk.LIMIT_IN_SIGHT)).orElseThrow())
        .startsWith("working set 88 % of 512Mi; at +100Mi/h the limit is reached in about 37 min");
  }

  @Test
  void aSawtoothOfGarbageCollectionsIsNoTrend() {
    // A JVM heap: up 40 MiB over a minute, collected back, over and over — flat on average.
    Map<String, OomRiskSpec> r =
        RiskRules.evaluate(
            in(512 * MI, samples(30, t -> 380 * MI + ((t % 60 + 60) % 60) * 40 * MI / 60)), S);
    assertThat(r).doesNotContainKey(OomRisk.LIMIT_IN_SIGHT);
  }

  @Test
  void nearTheLimitCountsOnlyOnceSustained() {
    // 95 % for 5 minutes: not yet (10 are needed).
    assertThat(RiskRules.evaluate(in(100 * MI, samples(30, t -> t > -300 ? 95 * MI : 50 * MI)), S))
        .doesNotContainKey(OomRisk.NEAR_LIMIT);
    OomRiskSpec f =
        RiskRules.evaluate(in(100 * MI, samples(30, t -> t > -900 ? 95 * MI : 50 * MI)), S)
            .get(OomRisk.NEAR_LIMIT);
    assertThat(f.sustainedSeconds).isBetween(890L, 900L);
    assertThat(RiskText.message(withRisk(f, OomRisk.NEAR_LIMIT)).orElseThrow())
        .startsWith("working set 95 % of 100Mi for 15 min");
  }

  @Test
  void pressureOnV2AndFailcntAtTheLimitOnV1() {
    List<long[]> flat = samples(20, t -> 60 * MI);
    assertThat(
            RiskRules.evaluate(
                new RiskInput(NOW, 100 * MI, flat, List.of(), 25.0, null, 60 * MI), S))
        .containsKey(OomRisk.PRESSURE);
    assertThat(
            RiskRules.evaluate(
                new RiskInput(NOW, 100 * MI, flat, List.of(), 2.0, null, 60 * MI), S))
        .doesNotContainKey(OomRisk.PRESSURE);
    // v1: failcnt rising with a working set at 60 % is page cache being reclaimed: no risk.
    assertThat(
            RiskRules.evaluate(
                new RiskInput(NOW, 100 * MI, flat, List.of(), null, 500L, 99 * MI), S))
        .doesNotContainKey(OomRisk.PRESSURE);
    List<long[]> full = samples(20, t -> 85 * MI);
    assertThat(
            RiskRules.evaluate(
                new RiskInput(NOW, 100 * MI, full, List.of(), null, 500L, 99 * MI), S))
        .containsKey(OomRisk.PRESSURE);
  }

  @Test
  void tmpfsGrowingTowardTheLimit() {
    List<long[]> tmpfs = samples(30, t -> 200 * MI + t * 200 * MI / 3600);
    List<long[]> ws = samples(30, t -> 350 * MI + t * 200 * MI / 3600);
    OomRiskSpec f =
        RiskRules.evaluate(new RiskInput(NOW, 512 * MI, ws, tmpfs, null, null, 300 * MI), S)
            .get(OomRisk.TMPFS);
    assertThat(f).isNotNull();
    assertThat(f.tmpfsBytes).isEqualTo(200 * MI);
    assertThat(RiskText.message(withRisk(f, OomRisk.TMPFS)).orElseThrow())
        .contains("tmpfs")
        .contains("holds 200Mi and grows +200Mi/h");
  }

  @Test
  void runtimeCapsAtStart() {
    RuntimeCaps go = new RuntimeCaps();
    go.runtime = "go";
    go.goMemLimit = "1GiB";
    assertThat(RiskRules.misconfigured(go, 512 * MI, 0, 0)).isPresent();
    go.goMemLimit = "2GiB\u001b[2J\nWarning OOMKilled";
    assertThat(RiskRules.misconfigured(go, 512 * MI, 0, 0))
        .as("a value that is not GOMEMLIMIT's syntax is not a limit, and never echoed")
        .isEmpty();
    go.goMemLimit = "400MiB";
    assertThat(RiskRules.misconfigured(go, 512 * MI, 0, 0)).isEmpty();
    go.goMemLimit = null;
    go.goGc = "off";
    assertThat(RiskRules.misconfigured(go, 512 * MI, 0, 0))
        .hasValueSatisfying(
            f -> assertThat(f.runtimeFlags()).containsEntry("GOMEMLIMIT", "461MiB"));
    go.goGc = "100";
    assertThat(RiskRules.misconfigured(go, 512 * MI, 0, 0))
        .as("no GOMEMLIMIT is fine while the collector runs")
        .isEmpty();

    RuntimeCaps gunicorn = new RuntimeCaps();
    gunicorn.runtime = "gunicorn";
    gunicorn.gunicornWorkers = 8;
    assertThat(RiskRules.misconfigured(gunicorn, 512 * MI, 2, 40 * MI))
        .as("8 × 40Mi fits 512Mi")
        .isEmpty();
    assertThat(RiskRules.misconfigured(gunicorn, 512 * MI, 3, 90 * MI))
        .hasValueSatisfying(
            f -> {
              assertThat(f.runtimeFlags()).containsEntry("--workers", "4");
              assertThat(RiskText.misconfiguration(f)).contains("Set: --workers=4.");
            });

    RuntimeCaps node = new RuntimeCaps();
    node.runtime = "node";
    node.nodeMaxOldSpaceMb = 512L;
    assertThat(RiskRules.misconfigured(node, 512 * MI, 0, 0)).isPresent();
    RuntimeCaps blind = new RuntimeCaps();
    blind.runtime = "jvm";
    blind.jvmUseContainerSupport = false;
    assertThat(RiskRules.misconfigured(blind, 512 * MI, 0, 0))
        .hasValueSatisfying(
            f ->
                assertThat(RiskText.misconfiguration(f))
                    .contains("Set: -XX:+UseContainerSupport -XX:MaxRAMPercentage=70.0."));
  }

  @Test
  void figuresThatDoNotShowTheRiskMakeNoSentence() {
    OomRiskSpec s = new OomRiskSpec();
    s.risk = OomRisk.LIMIT_IN_SIGHT;
    s.limitBytes = 100 * MI;
    s.workingSetBytes = 50 * MI;
    assertThat(RiskText.message(s)).isEmpty();
    s.risk = "Anything";
    assertThat(RiskText.message(s)).isEmpty();
    s.risk = OomRisk.MISCONFIGURED;
    assertThat(RiskText.message(s)).as("no caps").isEmpty();
  }

  static OomRiskSpec withRisk(OomRiskSpec s, String risk) {
    s.risk = risk;
    return s;
  }
}
