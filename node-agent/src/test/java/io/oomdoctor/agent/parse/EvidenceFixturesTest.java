package io.oomdoctor.agent.parse;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.oomdoctor.agent.cgroup.PathAttribution;
import io.oomdoctor.agent.export.Json;
import io.oomdoctor.model.evidence.OomReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The diagnosis module's evidence fixtures are generated from the kernel fixtures, as {@code
 * oomdoctor-agent parse} prints them, and checked like the CRDs: a stale one fails the build. With
 * {@code -Doomdoctor.fixtures.write=true} this test writes them instead.
 */
class EvidenceFixturesTest {
  static final Path EVIDENCE = Paths.get("../diagnosis/src/test/resources/reports");
  static final Path KERNEL = OomReportParserTest.FIXTURES;
  private static final ObjectMapper JSON = new ObjectMapper();

  static Stream<String> fixtures() throws IOException {
    try (Stream<Path> s = Files.list(EVIDENCE)) {
      return s
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".json"))
          .map(n -> n.substring(0, n.length() - ".json".length()))
          .sorted()
          .toList()
          .stream();
    }
  }

  /** The kernel fixture of that name, whatever its form's extension. */
  static Path kernelFixture(String name) throws IOException {
    try (Stream<Path> s = Files.list(KERNEL)) {
      return s.filter(p -> p.getFileName().toString().startsWith(name + "."))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no kernel fixture named " + name));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtures")
  void evidenceIsWhatParsePrintsForTheKernelFixture(String name) throws IOException {
    String text = Files.readString(kernelFixture(name), StandardCharsets.ISO_8859_1);
    List<OomReport> reports = OomReportParserTest.parseText(text);
    assertThat(reports).as(name).isNotEmpty();
    // parse prints every report; the evidence is the first kill of the fixture
    OomReport r = reports.get(0);
    String generated = Json.line(r, PathAttribution.of(r));
    Path file = EVIDENCE.resolve(name + ".json");
    if (Boolean.getBoolean("oomdoctor.fixtures.write")) {
      Files.writeString(
          file,
          JSON.writerWithDefaultPrettyPrinter().writeValueAsString(JSON.readTree(generated))
              + "\n");
      return;
    }
    JsonNode committed = JSON.readTree(Files.readString(file));
    assertThat(committed)
        .as(
            "diagnosis/src/test/resources/reports/%s.json is stale: run mvn -pl node-agent test"
                + " -Dtest=EvidenceFixturesTest -Doomdoctor.fixtures.write=true and commit",
            name)
        .isEqualTo(JSON.readTree(generated));
  }
}
