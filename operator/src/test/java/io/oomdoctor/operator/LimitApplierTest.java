package io.oomdoctor.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The patch a person commits names the container where the pod template has it. */
class LimitApplierTest {
  @Test
  void anInitContainersPatchGoesToInitContainers() {
    Recommender.Decision d =
        new Recommender.Decision(160L << 20, false, null, "GitOpsManaged", null, List.of());
    assertThat(LimitApplier.patch("Deployment", "proxy", true, d))
        .isEqualTo(
            "{\"spec\":{\"template\":{\"spec\":{\"initContainers\":[{\"name\":\"proxy\","
                + "\"resources\":{\"limits\":{\"memory\":\"160Mi\"}}}]}}}}");
    assertThat(LimitApplier.patch("CronJob", "app", false, d))
        .startsWith("{\"spec\":{\"jobTemplate\":{\"spec\":{\"template\":{\"spec\":{\"containers\"");
  }
}
