package io.oomdoctor.agent.proc;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.model.evidence.RuntimeCaps;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RuntimeFlagsTest {
  @Test
  void jvmFlags() {
    RuntimeCaps c =
        RuntimeFlags.parse(
            List.of(
                "/usr/bin/java",
                "-Xms256m",
                "-Xmx1g",
                "-Xss512k",
                "-XX:MaxRAMPercentage=75.0",
                "-XX:MaxDirectMemorySize=128M",
                "-XX:MaxMetaspaceSize=256m",
                "-XX:-UseContainerSupport",
                "-jar",
                "app.jar"),
            Map.of());
    assertThat(c.runtime).isEqualTo("jvm");
    assertThat(c.jvmInitialHeapBytes).isEqualTo(256L << 20);
    assertThat(c.jvmMaxHeapBytes).isEqualTo(1L << 30);
    assertThat(c.jvmThreadStackBytes).isEqualTo(512L << 10);
    assertThat(c.jvmMaxRamPercentage).isEqualTo(75.0);
    assertThat(c.jvmMaxDirectMemoryBytes).isEqualTo(128L << 20);
    assertThat(c.jvmMaxMetaspaceBytes).isEqualTo(256L << 20);
    assertThat(c.jvmUseContainerSupport).isFalse();
    assertThat(c.source).isEqualTo("cmdline");
  }

  @Test
  void javaToolOptionsApplyOnlyWhereTheCommandLineIsSilent() {
    RuntimeCaps c =
        RuntimeFlags.parse(
            List.of("java", "-Xmx512m", "Main"),
            Map.of("JAVA_TOOL_OPTIONS", "-Xmx2g -XX:MaxRAM=4g"));
    assertThat(c.jvmMaxHeapBytes).isEqualTo(512L << 20);
    assertThat(c.jvmMaxRamBytes).isEqualTo(4L << 30);
    assertThat(c.source).isEqualTo("cmdline,JAVA_TOOL_OPTIONS");
  }

  @Test
  void nodeGunicornAndGo() {
    assertThat(
            RuntimeFlags.parse(List.of("node", "--max-old-space-size=4096", "server.js"), Map.of())
                .nodeMaxOldSpaceMb)
        .isEqualTo(4096);
    assertThat(
            RuntimeFlags.parse(
                    List.of("node", "server.js"),
                    Map.of("NODE_OPTIONS", "--max_old_space_size 1536"))
                .nodeMaxOldSpaceMb)
        .isEqualTo(1536);
    RuntimeCaps g =
        RuntimeFlags.parse(
            List.of(
                "/usr/bin/python3",
                "/usr/local/bin/gunicorn",
                "-w",
                "4",
                "--max-requests=1000",
                "app:app"),
            Map.of());
    assertThat(g.runtime).isEqualTo("gunicorn");
    assertThat(g.gunicornWorkers).isEqualTo(4);
    assertThat(g.gunicornMaxRequests).isEqualTo(1000);
    RuntimeCaps noRecycle =
        RuntimeFlags.parse(List.of("gunicorn", "--workers", "8", "app:app"), Map.of());
    assertThat(noRecycle.gunicornMaxRequests).isNull();
    RuntimeCaps go =
        RuntimeFlags.parse(List.of("/app/server"), Map.of("GOMEMLIMIT", "900MiB", "GOGC", "50"));
    assertThat(go.runtime).isEqualTo("go");
    assertThat(go.goMemLimit).isEqualTo("900MiB");
    assertThat(go.goGc).isEqualTo("50");
  }

  @Test
  void plainProcessesAndNonsenseGiveNoCaps() {
    assertThat(RuntimeFlags.parse(List.of("/bin/sleep", "1000"), Map.of())).isNull();
    assertThat(RuntimeFlags.parse(List.of(), Map.of())).isNull();
    assertThat(RuntimeFlags.size("99999999999999999999g")).isNull();
    assertThat(RuntimeFlags.size("12x")).isNull();
    assertThat(RuntimeFlags.parse(List.of("java", "-Xmx"), Map.of()).jvmMaxHeapBytes).isNull();
  }

  @Test
  void argvSplitsNulSeparatedCmdline() {
    byte[] raw = "java\0-Xmx1g\0-jar\0my app.jar\0".getBytes(StandardCharsets.UTF_8);
    assertThat(RuntimeFlags.argv(raw)).containsExactly("java", "-Xmx1g", "-jar", "my app.jar");
  }
}
