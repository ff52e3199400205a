package io.oomdoctor.agent.parse;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.agent.json.JsonReader;
import io.oomdoctor.model.evidence.OomReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reports as they were published (bug trackers, mailing lists), each with the fields a person read
 * from it by hand: every field read must come out of the parser as read.
 */
class PublishedReportsTest {
  static final Path DIR = io.oomdoctor.testkit.Fixtures.of("pasted", "published");

  static Stream<String> files() throws IOException {
    try (Stream<Path> s = Files.list(DIR)) {
      return s
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".txt"))
          .sorted()
          .toList()
          .stream();
    }
  }

  /** Field name → (expected, got) for every field that differs. */
  static Map<String, List<Object>> differences(String file) throws IOException {
    String text = Files.readString(DIR.resolve(file), StandardCharsets.UTF_8);
    String expectedJson =
        Files.readString(
            DIR.resolve(file.replaceFirst("\\.txt$", ".expected.json")), StandardCharsets.UTF_8);
    List<?> expected = (List<?>) JsonReader.parse(expectedJson);
    List<OomReport> got = OomReportParserTest.parseText(text);
    Map<String, List<Object>> diff = new LinkedHashMap<>();
    for (int i = 0; i < expected.size(); i++) {
      Map<?, ?> e = (Map<?, ?>) expected.get(i);
      OomReport r = i < got.size() ? got.get(i) : null;
      for (Map.Entry<?, ?> f : e.entrySet()) {
        String name = String.valueOf(f.getKey());
        Object want = f.getValue();
        Object have = r == null ? "(no report)" : value(r, name);
        if (!same(want, have)) {
          diff.put("#" + i + "." + name, java.util.Arrays.asList(want, have));
        }
      }
    }
    if (got.size() != expected.size()) {
      diff.put("reports", List.of(expected.size(), got.size()));
    }
    return diff;
  }

  static Object value(OomReport r, String field) {
    return switch (field) {
      case "invoker" ->
          r.invoker == null
              ? null
              : Map.of(
                  "process", String.valueOf(r.invoker.process),
                  "gfpMask", String.valueOf(r.invoker.gfpMask),
                  "order", r.invoker.order == null ? -1L : (long) r.invoker.order);
      default -> {
        try {
          Object v = OomReport.class.getField(field).get(r);
          yield v instanceof Integer n ? Long.valueOf(n) : v;
        } catch (ReflectiveOperationException e) {
          throw new IllegalArgumentException("no field " + field);
        }
      }
    };
  }

  static boolean same(Object want, Object have) {
    if (want instanceof Map<?, ?> w && have instanceof Map<?, ?> h) {
      for (Map.Entry<?, ?> e : w.entrySet()) {
        if (!same(e.getValue(), h.get(e.getKey()))) {
          return false;
        }
      }
      return true;
    }
    if (want instanceof Number a && have instanceof Number b) {
      return a.longValue() == b.longValue();
    }
    return java.util.Objects.equals(want, have);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void everyFieldReadByHandIsParsed(String file) throws IOException {
    assertThat(differences(file)).as(file).isEmpty();
  }

  @Test
  void theCollectionIsThere() throws IOException {
    assertThat(files().count()).isGreaterThanOrEqualTo(12);
  }

  /** Prints the share of fields right, for docs/benchmarks.md. */
  public static void main(String[] args) throws IOException {
    int fields = 0;
    int wrong = 0;
    List<String> notes = new ArrayList<>();
    for (String f : files().toList()) {
      String expectedJson =
          Files.readString(DIR.resolve(f.replaceFirst("\\.txt$", ".expected.json")));
      for (Object o : (List<?>) JsonReader.parse(expectedJson)) {
        fields += ((Map<?, ?>) o).size();
      }
      Map<String, List<Object>> d = differences(f);
      d.remove("reports");
      wrong += d.size();
      d.forEach((k, v) -> notes.add(f + " " + k + " want " + v.get(0) + " got " + v.get(1)));
    }
    notes.forEach(System.out::println);
    System.out.printf(
        "fields=%d right=%d (%.1f %%)%n",
        fields, fields - wrong, 100.0 * (fields - wrong) / fields);
  }
}
