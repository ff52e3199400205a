package io.oomdoctor.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher script the image runs: it finds the agent (the built jar, or Jib's class path in the
 * image) and starts it with the JVM flags the memory budget was measured with. The footprint
 * benchmark runs it with the built jar.
 */
class LauncherIT {
  static final Path LAUNCHER = Paths.get("bin/oomdoctor-agent").toAbsolutePath();

  record Run(int code, String out) {}

  static Run run(Path script, Map<String, String> env, String... args) throws Exception {
    ProcessBuilder pb = new ProcessBuilder();
    pb.command().add(script.toString());
    pb.command().addAll(List.of(args));
    pb.environment().remove("OOMDOCTOR_AGENT_JAR");
    pb.environment().remove("OOMDOCTOR_JAVA_OPTS");
    pb.environment()
        .put("JAVA", Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    pb.environment().putAll(env);
    Process p = pb.redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }

  /** The image's layout: the script in /app/bin, no target/ beside it, Jib's two files in /app. */
  static Path imageLayout(Path app) throws IOException {
    Path script = Files.createDirectories(app.resolve("bin")).resolve("oomdoctor-agent");
    Files.copy(LAUNCHER, script);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(app.resolve("jib-classpath-file"), System.getProperty("java.class.path"));
    Files.writeString(app.resolve("jib-main-class-file"), AgentCli.class.getName());
    return script;
  }

  @Test
  void inTheImageItRunsJibsClassPathWithTheShippedFlagsAndExtraOnesLast(@TempDir Path app)
      throws Exception {
    Run r =
        run(
            imageLayout(app),
            Map.of(
                "OOMDOCTOR_APP_DIR",
                app.toString(),
                "OOMDOCTOR_JAVA_OPTS",
                "-XX:+PrintCommandLineFlags -Xmx24m"),
            "--version");
    assertThat(r.code()).as(r.out()).isZero();
    assertThat(r.out())
        .contains("oomdoctor-agent ")
        .contains("-XX:+UseSerialGC")
        .contains("-XX:TieredStopAtLevel=1")
        .contains("-XX:Tier3InvocationThreshold=2000")
        .contains("-XX:+ExitOnOutOfMemoryError")
        .as("extra options come last and win")
        .contains("-XX:MaxHeapSize=25165824");
    Run help =
        run(
            imageLayout(app.resolve("again")),
            Map.of("OOMDOCTOR_APP_DIR", app.resolve("again").toString()),
            "run",
            "--help");
    assertThat(help.code()).as(help.out()).isZero();
    assertThat(help.out()).contains("Usage: oomdoctor-agent run [OPTIONS]");
  }

  @Test
  void withoutTheAgentItSaysHowToBuildIt(@TempDir Path tmp) throws IOException, Exception {
    Path script = tmp.resolve("oomdoctor-agent");
    Files.copy(LAUNCHER, script);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    Run r = run(script, Map.of("OOMDOCTOR_APP_DIR", tmp.resolve("none").toString()), "run");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.out()).contains("cannot find oomdoctor-agent.jar");
  }
}
