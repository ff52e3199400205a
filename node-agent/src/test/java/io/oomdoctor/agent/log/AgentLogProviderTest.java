package io.oomdoctor.agent.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

class AgentLogProviderTest {
  @Test
  void writesTheLinesSlf4jSimpleWroteWithTheAgentsSettings() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Properties settings = new Properties();
    settings.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
    settings.setProperty("org.slf4j.simpleLogger.log.io.fabric8", "warn");
    settings.setProperty("org.slf4j.simpleLogger.log.io.fabric8.kubernetes.Noisy", "error");
    var factory =
        new AgentLogProvider.Factory(
            settings, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    Logger agent = factory.getLogger("io.oomdoctor.agent.Agent");
    agent.info("OOM kill: pid {} ({})", 4242, "python3");
    agent.debug("not written");
    Logger client = factory.getLogger("io.fabric8.kubernetes.client.Watch");
    client.info("not written");
    client.warn("written");
    factory.getLogger("io.fabric8.kubernetes.Noisy").warn("not written");
    agent.error("failed", new IllegalStateException("the cause"));
    String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
    assertThat(lines[0])
        .matches(
            "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\+0000 \\[main\\] INFO Agent - OOM"
                + " kill: pid 4242 \\(python3\\)");
    assertThat(lines[1]).endsWith("] WARN Watch - written");
    assertThat(lines[2]).endsWith("] ERROR Agent - failed");
    assertThat(lines[3]).isEqualTo("java.lang.IllegalStateException: the cause");
    assertThat(bytes.toString(StandardCharsets.UTF_8)).doesNotContain("not written");
  }

  @Test
  void aTimestampIsUtcToTheMillisecond() {
    StringBuilder sb = new StringBuilder();
    AgentLogProvider.AgentLogger.timestamp(sb, 1_796_264_648_007L);
    assertThat(sb).hasToString("2026-12-03T02:24:08.007+0000");
    sb.setLength(0);
    AgentLogProvider.AgentLogger.timestamp(sb, 0);
    assertThat(sb).hasToString("1970-01-01T00:00:00.000+0000");
  }

  @Test
  void aSystemPropertyOverridesTheFile() {
    Properties settings = new Properties();
    settings.setProperty("org.slf4j.simpleLogger.log.com.github.dockerjava", "info");
    System.setProperty("org.slf4j.simpleLogger.log.com.github.dockerjava", "warn");
    try {
      var factory = new AgentLogProvider.Factory(settings, System.err);
      assertThat(factory.getLogger("com.github.dockerjava.core.Client").isInfoEnabled()).isFalse();
      assertThat(factory.getLogger("com.github.dockerjava.core.Client").isWarnEnabled()).isTrue();
    } finally {
      System.clearProperty("org.slf4j.simpleLogger.log.com.github.dockerjava");
    }
  }
}
