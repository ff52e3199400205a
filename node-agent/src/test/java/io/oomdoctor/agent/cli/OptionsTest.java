package io.oomdoctor.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptionsTest {
  private static Options options(Map<String, String> env) {
    return new Options("run", "Does a thing.", env::get)
        .value("--interval", "DURATION", "X_INTERVAL", "10s", "How often.")
        .value("--port", "PORT", "X_PORT", "9402", "Port.")
        .value("--root", "PATH", null, null, "A directory.")
        .flag("--read", "X_READ", false, "Read more.")
        .flag("--filter", null, true, "Filter on the server.");
  }

  @Test
  void commandLineWinsOverEnvironmentWhichWinsOverDefault() throws Exception {
    Options o = options(Map.of("X_INTERVAL", "2m", "X_PORT", "1")).parse(List.of("--port=8080"));
    assertThat(o.integer("--port")).isEqualTo(8080);
    assertThat(o.duration("--interval")).isEqualTo(Duration.ofMinutes(2));
    assertThat(options(Map.of()).parse(List.of()).duration("--interval"))
        .isEqualTo(Duration.ofSeconds(10));
    assertThat(options(Map.of()).parse(List.of()).path("--root")).isNull();
    assertThat(options(Map.of("X_PORT", "")).parse(List.of()).integer("--port"))
        .as("an empty variable is unset")
        .isEqualTo(9402);
  }

  @Test
  void flagsStandAloneOrTakeTrueOrFalse() throws Exception {
    assertThat(options(Map.of()).parse(List.of("--read")).bool("--read")).isTrue();
    assertThat(options(Map.of()).parse(List.of("--filter", "false")).bool("--filter")).isFalse();
    assertThat(options(Map.of()).parse(List.of("--filter=false")).bool("--filter")).isFalse();
    assertThat(options(Map.of("X_READ", "true")).parse(List.of()).bool("--read")).isTrue();
    assertThat(options(Map.of()).parse(List.of("--read", "--port", "1")).integer("--port"))
        .isEqualTo(1);
  }

  @Test
  void valuesAreTyped() throws Exception {
    Options o = options(Map.of()).parse(List.of("--interval", "500ms", "--root", "/sys/fs/cgroup"));
    assertThat(o.duration("--interval")).isEqualTo(Duration.ofMillis(500));
    assertThat(o.path("--root")).isEqualTo(Path.of("/sys/fs/cgroup"));
    assertThat(Options.parseDuration("PT1H")).isEqualTo(Duration.ofHours(1));
    assertThat(Options.parseDuration("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(Options.parseDuration("soon")).isNull();
    assertThat(Options.parseDuration("")).isNull();
    assertThat(Options.parseDuration("10x")).isNull();
  }

  @Test
  void mistakesSayWhatIsWrong() throws Exception {
    assertThatThrownBy(() -> options(Map.of()).parse(List.of("--intervall", "1s")))
        .hasMessage("unknown option '--intervall'");
    assertThatThrownBy(() -> options(Map.of()).parse(List.of("--port")))
        .hasMessage("option '--port' needs a value (PORT)");
    assertThatThrownBy(() -> options(Map.of()).parse(List.of("file.txt")))
        .hasMessage("unexpected argument 'file.txt'");
    assertThatThrownBy(() -> options(Map.of()).parse(List.of("--port", "x")).integer("--port"))
        .hasMessage("--port: 'x' is not a whole number");
    assertThatThrownBy(
            () -> options(Map.of("X_INTERVAL", "soon")).parse(List.of()).duration("--interval"))
        .hasMessage(
            "--interval (from X_INTERVAL): 'soon' is not a duration (use e.g. 10s, 500ms, 2m)");
    assertThatThrownBy(() -> options(Map.of()).parse(List.of("--read=maybe")).bool("--read"))
        .hasMessage("--read: 'maybe' is not true or false");
  }

  @Test
  void positionalArgumentsAfterOptionsAndAfterDoubleDash() throws Exception {
    Options o =
        new Options("parse", "Parses.", k -> null)
            .positional("FILE", "Files.")
            .parse(List.of("a.log", "-", "--", "--odd-name.log"));
    assertThat(o.positional()).containsExactly("a.log", "-", "--odd-name.log");
    assertThatThrownBy(
            () ->
                new Options("parse", "Parses.", k -> null)
                    .positional("FILE", "F")
                    .parse(List.of("-x")))
        .hasMessage("unknown option '-x'");
  }

  @Test
  void helpListsEveryOptionWithItsVariableAndDefault() {
    String help = options(Map.of()).usage();
    assertThat(help)
        .startsWith("Usage: oomdoctor-agent run [OPTIONS]\nDoes a thing.\n")
        .contains("  --interval DURATION\n      How often. (env X_INTERVAL; default 10s)")
        .contains("  --root PATH\n      A directory.\n")
        .contains("  --read[=true|false]\n      Read more. (env X_READ; default false)")
        .contains("  --help");
    for (String line : help.split("\n")) {
      assertThat(line.length()).isLessThanOrEqualTo(100);
    }
  }

  @Test
  void theAgentsCommandsHelpVersionAndUnknownCommands() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    assertThat(AgentCli.execute(List.of("run", "--help"), k -> null, o, e)).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("--pod-field-selector[=true|false]")
        .contains("(env OOMDOCTOR_INTERVAL; default 10s)");
    out.reset();
    assertThat(AgentCli.execute(List.of("--version"), k -> null, o, e)).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("oomdoctor-agent ");
    assertThat(AgentCli.execute(List.of("frobnicate"), k -> null, o, e)).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown command 'frobnicate'");
    err.reset();
    assertThat(AgentCli.execute(List.of("run", "--exporter", "kafka"), k -> null, o, e))
        .isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--exporter: 'kafka' is not one of kubernetes, stdout")
        .contains("Try 'oomdoctor-agent run --help'.");
    assertThat(AgentCli.execute(List.of(), k -> null, o, e)).isEqualTo(2);
  }
}
