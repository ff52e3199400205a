package io.oomdoctor.agent.proc;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.model.evidence.ProcessSnapshot;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Reads the real /proc of processes this test starts. */
class ProcessInspectorIT {
  @Test
  void readsNameThreadsRssAndCapsAndNeverEnvironmentUnlessAsked() throws Exception {
    // memhog ignores arguments it does not know and holds its memory: a steady process whose
    // command line carries JVM flags. Started without a shell, its argv is final once start()
    // returns.
    ProcessBuilder pb =
        new ProcessBuilder(
                io.oomdoctor.testkit.RealKernel.memhog().toString(),
                "--max-mb",
                "1",
                "--step-mb",
                "1",
                "-Xmx64m",
                "-XX:MaxRAMPercentage=60")
            .redirectErrorStream(true);
    pb.environment().put("JAVA_TOOL_OPTIONS", "-XX:MaxMetaspaceSize=64m");
    pb.environment().put("SECRET_TOKEN", "must-never-be-read");
    Process p = pb.start();
    try {
      // exec -a sets argv[0]; sleep ignores nothing, so give it a moment before it exits on the bad
      // args
      ProcessInspector off = new ProcessInspector(Paths.get("/proc"), false);
      ProcessSnapshot s = off.inspect(new long[] {p.pid()}, 1L);
      if (s == null) {
        return; // sleep already rejected its arguments: nothing to inspect on this system
      }
      assertThat(s.processCount).isEqualTo(1);
      assertThat(s.threadCount).isEqualTo(1);
      var info = s.processes.get(0);
      assertThat(info.pid).isEqualTo((int) p.pid());
      assertThat(info.name).isEqualTo("memhog");
      assertThat(info.caps.runtime).isEqualTo("jvm");
      assertThat(info.caps.jvmMaxHeapBytes).isEqualTo(64L << 20);
      assertThat(info.caps.jvmMaxRamPercentage).isEqualTo(60.0);
      assertThat(info.caps.jvmMaxMetaspaceBytes).as("environment not read by default").isNull();

      ProcessInspector on = new ProcessInspector(Paths.get("/proc"), true);
      var withEnv = on.inspect(new long[] {p.pid()}, 1L).processes.get(0).caps;
      assertThat(withEnv.jvmMaxMetaspaceBytes).isEqualTo(64L << 20);
      assertThat(withEnv.source).contains("JAVA_TOOL_OPTIONS");
      assertThat(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(withEnv))
          .doesNotContain("must-never-be-read");
      assertThat(on.inspect(new long[] {999_999_999L}, 1L))
          .as("gone processes are skipped")
          .isNull();
    } finally {
      p.destroyForcibly();
      p.waitFor(5, TimeUnit.SECONDS);
    }
  }
}
