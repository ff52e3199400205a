package io.oomdoctor.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** The kill counter's labels stay printable, short and few, whatever the kills say. */
class OperatorMetricsTest {
  @Test
  void labelValuesAreBoundedInSizeCharactersAndNumber() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    OperatorMetrics m = new OperatorMetrics(registry);
    m.killDiagnosed("shop", "Deployment/" + "w".repeat(10_000), "app\u001b[2J", "LimitTooLow");
    var first = registry.find("oomdoctor_kills").counter();
    assertThat(first.getId().getTag("workload")).hasSize(128);
    assertThat(first.getId().getTag("container")).isEqualTo("app\\x1b[2J");

    for (int i = 0; i < OperatorMetrics.MAX_KILL_SERIES + 1000; i++) {
      m.killDiagnosed("shop", "Deployment/w" + i, "app", "LimitTooLow");
    }
    assertThat(registry.find("oomdoctor_kills").counters())
        .hasSizeLessThanOrEqualTo(OperatorMetrics.MAX_KILL_SERIES + 1);
    assertThat(registry.find("oomdoctor_kills").tag("workload", "other").counter().count())
        .isEqualTo(1001.0);
  }
}
