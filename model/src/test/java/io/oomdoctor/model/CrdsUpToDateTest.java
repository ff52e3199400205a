package io.oomdoctor.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;

/**
 * The committed CRDs must be exactly what the Java types generate: CI fails when they are stale.
 */
class CrdsUpToDateTest {
  static final Path GENERATED = Paths.get("target/classes/META-INF/fabric8");
  static final Path COMMITTED = Paths.get("../crds");
  static final Path CHART = Paths.get("../helm/oomdoctor/crds");

  @Test
  void committedCrdsMatchAFreshGeneration() throws IOException {
    for (String name : CrdPostProcessor.RESOURCES.keySet()) {
      String fresh = Files.readString(GENERATED.resolve(name), StandardCharsets.UTF_8);
      Path committed = COMMITTED.resolve(name);
      assertThat(committed)
          .as(
              "crds/%s is missing: run mvn -pl model process-test-classes -Doomdoctor.crds.write=true",
              name)
          .exists();
      assertThat(Files.readString(committed, StandardCharsets.UTF_8))
          .as(
              "crds/%s is stale: run mvn -pl model process-test-classes -Doomdoctor.crds.write=true and commit",
              name)
          .isEqualTo(fresh);
      assertThat(CHART.resolve(name))
          .as("the chart's crds/%s must equal the generated one: run the command above", name)
          .hasContent(fresh);
    }
  }
}
