package io.oomdoctor.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first command, as a process: what it prints, how long it takes, what it leaves. */
class DemoIT {
  @TempDir Path state;

  static String run(Path state, String... args) throws Exception {
    return run(state, List.of(), args);
  }

  static String run(Path state, List<String> jvm, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvm);
    cmd.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            Demo.class.getName(),
            "--state-dir",
            state.toString()));
    cmd.addAll(List.of(args));
    Path stdout = state.resolve("stdout.log");
    Process p =
        new ProcessBuilder(cmd)
            .redirectError(state.resolve("stderr.log").toFile())
            .redirectOutput(stdout.toFile())
            .start();
    boolean done = p.waitFor(180, TimeUnit.SECONDS);
    if (!done) {
      p.destroy(); // SIGTERM: the demo's shutdown hook removes its cgroups and processes
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
    String out = Files.readString(stdout, StandardCharsets.UTF_8);
    assertThat(done).as("finished within 180 s: " + out).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  @Test
  void aRealKillIsDiagnosedOnThePodWithinAMinuteAndEverythingIsCleanedUp() throws Exception {
    String why = Host.cannotKill();
    if (why != null && !"true".equalsIgnoreCase(System.getenv("CI"))) {
      org.junit.jupiter.api.Assumptions.abort("real kills cannot be made here: " + why);
    }
    String out = run(state);
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("diagnosed it (\\d+) s after the demo started")
            .matcher(out);
    assertThat(m.find()).as(out).isTrue();
    long seconds = Long.parseLong(m.group(1));
    assertThat(out).doesNotContain("REPLAY");
    assertThat(out).contains("The kernel killed memhog");
    assertThat(out).contains("$ kubectl describe pod -n shop web-");
    assertThat(out)
        .containsPattern(
            "Warning +OOMKilled .* oomdoctor +Container app: process memhog \\(pid \\d+\\) was OOM-killed at limit 64Mi\\. Cause: MemoryLeak\\.");
    assertThat(out).containsPattern("oompolicy.oomdoctor.io/web +Recommend +1 +1 +1");
    assertThat(out)
        .containsPattern(
            "oomkill.oomdoctor.io/demo-node-\\S+ +web-\\S+ +app +memhog +64Mi +MemoryLeak");
    assertThat(out).contains("recommendedLimit: \"80Mi\"").contains("reason: \"ModeRecommend\"");
    assertThat(seconds).as("under a minute").isLessThan(60);
    // Before the cliff: a JVM's heap cap above its limit is named at start, before any kill; a
    // steady growth is warned of before the kernel kills it.
    assertThat(out)
        .containsPattern(
            "Warning +MemoryMisconfigured +api-\\S+ +1 +Container app: The JVM may grow its heap to"
                + " 256Mi, 200 % of the 128Mi limit.*Set: -Xmx90m\\.");
    assertThat(out).contains("No kill of api so far: 0 OomKills.");
    assertThat(out)
        .containsPattern(
            "Warning +OOMRisk +grower-\\S+ +\\d+ +Container app: working set \\d+ % of 160Mi; at"
                + " \\+\\d+Mi/(h|min) the limit is reached in about \\d+ s");
    assertThat(out).contains("OomKills of grower when the warning came: 0.");
    assertThat(out).containsPattern("The kernel killed grower \\d+ s after the OOMRisk warning\\.");
    assertThat(out).containsPattern("grower-\\S+-eta-\\S+ +grower-\\S+ +app +LimitInSight +Active");
    assertThat(out).contains("Cleaned up");
    try (var dirs = Files.list(Host.selfMemcg())) {
      assertThat(dirs.filter(d -> d.getFileName().toString().startsWith("oomdoctor-demo-")))
          .as("no cgroup left behind")
          .isEmpty();
    }
  }

  @Test
  void whereKillsCannotBeMadeARecordedReportIsReplayedAndSaidSo() throws Exception {
    String out = run(state, List.of("-Doomdoctor.demo.noKubectl=true"), "--replay");
    assertThat(out).contains("REPLAY: a kernel OOM report recorded on Linux 6.18 is replayed");
    assertThat(out)
        .contains("(kubectl is not installed here: the demo prints the same from the API server)");
    assertThat(out).containsPattern("oompolicy.oomdoctor.io/web +Recommend +1 +1 +1");
    assertThat(out)
        .containsPattern(
            "oomkill.oomdoctor.io/demo-node-\\S+ +web-7d4b9c-x2x7q +app +alloc +64Mi +\\w+");
    assertThat(out)
        .contains("The kernel killed alloc (pid 15236) in pod web-7d4b9c-x2x7q [REPLAY]");
    assertThat(out).contains("OOMKilled");
    assertThat(out).contains("Cleaned up");
  }
}
