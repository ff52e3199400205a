package io.oomdoctor.agent.parse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Text made to hurt the unwrapping of pasted logs: lines hundreds of thousands of characters long
 * that repeat what a form's pattern looks for. Each document must be read to its end without an
 * error (a regular expression's recursion exhausting the stack) or a runaway backtrack; the guard
 * below is a hang detector, far above the second or two each takes (docs/benchmarks.md).
 */
class HostileTextTest {
  static Stream<String> documents() {
    return Stream.of(
        "[" + "1 ".repeat(200_000),
        ".".repeat(300_000),
        "...(" + "x".repeat(100_000) + ") ...",
        "> ".repeat(100_000) + "x",
        "kern.warn ".repeat(50_000),
        "Dec  2 ".repeat(50_000),
        "<4>1 " + "[a=\"b\"]".repeat(50_000) + " msg",
        "[" + "a".repeat(59) + "1:00:00" + "b".repeat(100_000),
        "x invoked oom-killer: ".repeat(30_000),
        "Memory cgroup stats for /a: " + "anon 1 ".repeat(100_000),
        "\"" + "a\",\"".repeat(100_000),
        "| " + "a | ".repeat(100_000),
        "a\t".repeat(200_000),
        "[ 1.000000] x ".repeat(100_000),
        "2026-12-02T10:00:00Z h kernel: x ".repeat(50_000),
        "{".repeat(100_000),
        "MESSAGE=" + "x".repeat(100_000) + "\n" + "A=1\n".repeat(50_000),
        "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/"
            + "a,task_memcg=/a".repeat(20_000),
        "Killed process 1 (" + "a) total-vm:1kB, (".repeat(20_000),
        "=3D" + "a=\n".repeat(100_000),
        "x".repeat(1_000_000));
  }

  @ParameterizedTest
  @MethodSource("documents")
  void isReadToItsEnd(String line) {
    String doc = line + "\n" + line + "\n";
    List<?> reports =
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> OomReportParserTest.parseText(doc));
    assertThat(reports).isNotNull();
  }
}
