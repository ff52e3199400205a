package io.oomdoctor.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.oomdoctor.agent.AgentConfig;
import io.oomdoctor.agent.AgentNode;
import io.oomdoctor.agent.metrics.AgentMetrics;
import io.oomdoctor.operator.OperatorMetrics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart's alerts and dashboard: off by default, rendered when enabled, the dashboard's JSON
 * loads, and every query names only metrics the agent and the operator export — read from their own
 * scrapes, with every series made to exist once.
 */
class MonitoringTest {
  private static final Pattern METRIC = Pattern.compile("\\boomdoctor_[a-z0-9_]+\\b");

  @TempDir Path dir;

  /** The sample names of the agent's and the operator's /metrics, every family present. */
  Set<String> exported() {
    AgentMetrics a = new AgentMetrics();
    AgentConfig config =
        new AgentConfig(
            "node-a",
            dir.resolve("kmsg"),
            dir,
            dir,
            Path.of("/proc"),
            Duration.ofSeconds(10),
            null,
            false,
            "oomdoctor-system");
    try (AgentNode node =
        AgentNode.stdout(
            config, new PrintStream(new ByteArrayOutputStream()), a, Clock.systemUTC())) {
      a.recordRead();
      a.recordsLost(1);
      a.recordGarbled();
      a.killSeen("cgroup", "container", true);
      a.exported("created");
      a.exportFailed("500");
      a.exportDropped(AgentMetrics.DROPPED_QUEUE_FULL);
      a.exportCoalesced();
      a.riskReported("LimitInSight");
      a.sampled(Duration.ofMillis(3), 1);
      a.delivered(1);
      String l = AgentMetrics.labels("container", "app", "namespace", "shop", "pod", "web-1");
      a.containerGauges(Map.of(l, 0.9), Map.of(l, 600.0));
      Set<String> names = new TreeSet<>(samples(a.scrape()));
      PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      OperatorMetrics o = new OperatorMetrics(r);
      o.killDiagnosed("shop", "Deployment/web", "app", "LimitTooLow");
      o.killToEvent(Duration.ofSeconds(1));
      o.applied("shop", "web", "app");
      o.recommendations("shop", "all", 1);
      List<String[]> limits = new ArrayList<>();
      limits.add(new String[] {"Deployment/web", "app", "134217728", "67108864"});
      o.recommendedLimits("shop", "all", limits);
      o.riskSeen("LimitInSight", "Verified");
      o.timed("oomkill", () -> 1);
      names.addAll(samples(r.scrape()));
      return names;
    }
  }

  static List<String> samples(String scrape) {
    List<String> out = new ArrayList<>();
    for (String line : scrape.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int end = line.indexOf('{');
      int sp = line.indexOf(' ');
      out.add(line.substring(0, end >= 0 && end < sp ? end : sp));
    }
    return out;
  }

  static List<String> metricsIn(String expr) {
    List<String> out = new ArrayList<>();
    Matcher m = METRIC.matcher(expr);
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }

  @Test
  void alertsAndDashboardAreOffByDefault() {
    List<HasMetadata> objects = ChartTest.render(Map.of());
    assertThat(objects).noneMatch(o -> o.getKind().equals("PrometheusRule"));
    assertThat(objects)
        .noneMatch(o -> o instanceof ConfigMap c && c.getData().containsKey("oomdoctor.json"));
  }

  @Test
  void everyAlertNamesOnlyMetricsTheProjectExports() {
    Set<String> exported = exported();
    List<HasMetadata> objects = ChartTest.render(Map.of("prometheusRule.enabled", true));
    GenericKubernetesResource rule =
        objects.stream()
            .filter(o -> o.getKind().equals("PrometheusRule"))
            .map(GenericKubernetesResource.class::cast)
            .findFirst()
            .orElseThrow();
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> groups =
        (List<Map<String, Object>>)
            ((Map<String, Object>) rule.getAdditionalProperties().get("spec")).get("groups");
    List<String> alerts = new ArrayList<>();
    for (Map<String, Object> g : groups) {
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> rules = (List<Map<String, Object>>) g.get("rules");
      for (Map<String, Object> r : rules) {
        String expr = r.get("expr").toString();
        alerts.add(r.get("alert").toString());
        assertThat(metricsIn(expr)).as(expr).isNotEmpty();
        assertThat(exported).as(expr).containsAll(metricsIn(expr));
      }
    }
    assertThat(alerts)
        .contains(
            "OomDoctorOOMKilled",
            "OomDoctorOOMRisk",
            "OomDoctorAgentNotLive",
            "OomDoctorKernelRecordsLost",
            "OomDoctorExportsFailing");
  }

  @Test
  void theDashboardLoadsAndEveryQueryNamesAMetricTheProjectExports() throws Exception {
    Set<String> exported = exported();
    List<HasMetadata> objects =
        ChartTest.render(
            Map.of("grafanaDashboard.enabled", true, "grafanaDashboard.namespace", "monitoring"));
    ConfigMap cm = ChartTest.one(objects, ConfigMap.class, "oomdoctor-dashboard");
    assertThat(cm.getMetadata().getNamespace()).isEqualTo("monitoring");
    assertThat(cm.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
    JsonNode d = new ObjectMapper().readTree(cm.getData().get("oomdoctor.json"));
    assertThat(d.get("title").asText()).isEqualTo("OOM Doctor");
    List<String> queries = new ArrayList<>();
    for (JsonNode p : d.get("panels")) {
      assertThat(p.get("targets").size()).as(p.get("title").asText()).isPositive();
      for (JsonNode t : p.get("targets")) {
        queries.add(t.get("expr").asText());
      }
    }
    for (JsonNode v : d.get("templating").get("list")) {
      if (v.has("definition")) {
        queries.add(v.get("definition").asText());
      }
    }
    assertThat(queries).hasSizeGreaterThan(10);
    for (String q : queries) {
      assertThat(metricsIn(q)).as(q).isNotEmpty();
      assertThat(exported).as(q).containsAll(metricsIn(q));
    }
    // What the issue asks to see: kills by cause and namespace, containers at risk with their ETA,
    // top recommendations, agent health and footprint.
    String all = String.join("\n", queries);
    assertThat(all)
        .contains("sum by (cause) (increase(oomdoctor_kills_total")
        .contains("sum by (namespace) (increase(oomdoctor_kills_total")
        .contains("oomdoctor_container_oom_eta_seconds")
        .contains("oomdoctor_recommended_limit_bytes")
        .contains("oomdoctor_agent_live")
        .contains("oomdoctor_agent_resident_bytes");
  }
}
