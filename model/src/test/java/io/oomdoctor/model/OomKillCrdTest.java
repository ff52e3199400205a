package io.oomdoctor.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What kubectl users see of the OomKill resource: names, columns, documented fields. */
class OomKillCrdTest {
  static CustomResourceDefinition crd() throws IOException {
    return new KubernetesSerialization()
        .unmarshal(
            Files.readString(Paths.get("../crds/oomkills.oomdoctor.io-v1.yml")),
            CustomResourceDefinition.class);
  }

  @Test
  void namesScopeAndColumns() throws IOException {
    CustomResourceDefinition crd = crd();
    assertThat(crd.getSpec().getGroup()).isEqualTo("oomdoctor.io");
    assertThat(crd.getSpec().getScope()).isEqualTo("Namespaced");
    assertThat(crd.getSpec().getNames().getShortNames()).containsExactly("oomk");
    assertThat(crd.getSpec().getNames().getCategories()).containsExactly("oomdoctor");
    CustomResourceDefinitionVersion v = crd.getSpec().getVersions().get(0);
    assertThat(v.getName()).isEqualTo("v1alpha1");
    assertThat(v.getSubresources().getStatus()).as("status written only via /status").isNotNull();
    assertThat(v.getAdditionalPrinterColumns())
        .extracting(c -> c.getName())
        .containsExactly("POD", "CONTAINER", "PROCESS", "LIMIT", "CAUSE", "AGE");
  }

  @Test
  void everyFieldIsDocumentedForKubectlExplain() throws IOException {
    JSONSchemaProps spec =
        crd()
            .getSpec()
            .getVersions()
            .get(0)
            .getSchema()
            .getOpenAPIV3Schema()
            .getProperties()
            .get("spec");
    assertDescribed("spec", spec);
  }

  static JSONSchemaProps root() throws IOException {
    return crd().getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
  }

  /** An OomKill body as the agent writes it (the fields that matter here). */
  static Map<String, Object> kill() {
    Map<String, Object> report = new java.util.HashMap<>();
    report.put("kind", "cgroup");
    report.put("pid", 15236);
    report.put("process", "alloc");
    report.put("oomMemcg", "/kubepods/burstable/pod8f3c2a4e-1b7d-4c9a-9e2f-5d6a7b8c9d01/3aa5");
    report.put("tasks", new java.util.ArrayList<>(List.of(Map.of("pid", 15236, "name", "alloc"))));
    Map<String, Object> attribution = new java.util.HashMap<>();
    attribution.put("method", "reportPath");
    attribution.put("podUid", "8f3c2a4e-1b7d-4c9a-9e2f-5d6a7b8c9d01");
    attribution.put(
        "containerId", "3aa524735953bba4ebc64dfd3f0080cb4ac9790f83675e0b77ff9414c0165df0");
    Map<String, Object> pod = new java.util.HashMap<>();
    pod.put("namespace", "shop");
    pod.put("name", "web-5d9c7-abcde");
    pod.put("uid", "8f3c2a4e-1b7d-4c9a-9e2f-5d6a7b8c9d01");
    pod.put("container", "app");
    Map<String, Object> spec = new java.util.HashMap<>();
    spec.put("nodeName", "node-a");
    spec.put("report", report);
    spec.put("attribution", attribution);
    spec.put("pod", pod);
    return spec;
  }

  static List<String> validateSpec(Map<String, Object> spec) throws IOException {
    return SchemaValidator.validate("spec", root().getProperties().get("spec"), spec);
  }

  /** Paths of strings, lists and maps without an upper bound, under {@code p}. */
  static List<String> unbounded(String path, JSONSchemaProps p) {
    List<String> out = new java.util.ArrayList<>();
    if ("string".equals(p.getType())
        && p.getMaxLength() == null
        && (p.getEnum() == null || p.getEnum().isEmpty())) {
      out.add(path);
    }
    if ("array".equals(p.getType()) && p.getMaxItems() == null) {
      out.add(path);
    }
    if (p.getAdditionalProperties() != null && p.getAdditionalProperties().getSchema() != null) {
      if (p.getMaxProperties() == null) {
        out.add(path);
      }
      out.addAll(unbounded(path + "{}", p.getAdditionalProperties().getSchema()));
    }
    if (p.getProperties() != null) {
      p.getProperties().forEach((k, v) -> out.addAll(unbounded(path + "." + k, v)));
    }
    if (p.getItems() != null && p.getItems().getSchema() != null) {
      out.addAll(unbounded(path + "[]", p.getItems().getSchema()));
    }
    return out;
  }

  @Test
  void everyStringListAndMapOfBothResourcesIsBounded() throws IOException {
    assertThat(unbounded("spec", root().getProperties().get("spec"))).isEmpty();
    assertThat(unbounded("status", root().getProperties().get("status"))).isEmpty();
    JSONSchemaProps policy =
        new KubernetesSerialization()
            .unmarshal(
                Files.readString(Paths.get("../crds/oompolicies.oomdoctor.io-v1.yml")),
                CustomResourceDefinition.class)
            .getSpec()
            .getVersions()
            .get(0)
            .getSchema()
            .getOpenAPIV3Schema();
    assertThat(unbounded("spec", policy.getProperties().get("spec"))).isEmpty();
    assertThat(unbounded("status", policy.getProperties().get("status"))).isEmpty();
  }

  @Test
  void aKillAsTheAgentWritesItIsValid() throws IOException {
    assertThat(validateSpec(kill())).isEmpty();
  }

  @SuppressWarnings("unchecked")
  @Test
  void everyFieldIsBoundedSoThatNoOversizedObjectIsStored() throws IOException {
    Map<String, Object> spec = kill();
    ((Map<String, Object>) spec.get("report")).put("process", "x".repeat(256 * 1024));
    assertThat(validateSpec(spec)).anyMatch(e -> e.startsWith("spec.report.process: may not"));

    spec = kill();
    List<Object> tasks = (List<Object>) ((Map<String, Object>) spec.get("report")).get("tasks");
    for (int i = 0; i < 10_000; i++) {
      tasks.add(Map.of("pid", i, "name", "t"));
    }
    assertThat(validateSpec(spec)).anyMatch(e -> e.startsWith("spec.report.tasks: must have"));

    spec = kill();
    Map<String, Object> labels = new java.util.HashMap<>();
    for (int i = 0; i < 1000; i++) {
      labels.put("k" + i, "v");
    }
    ((Map<String, Object>) spec.get("pod")).put("labels", labels);
    assertThat(validateSpec(spec)).anyMatch(e -> e.startsWith("spec.pod.labels: must have"));

    spec = kill();
    ((Map<String, Object>) spec.get("report")).put("oomMemcg", "/x".repeat(4096));
    assertThat(validateSpec(spec)).anyMatch(e -> e.startsWith("spec.report.oomMemcg: may not"));
  }

  @SuppressWarnings("unchecked")
  @Test
  void theCelRuleRefusesAPodUidThatIsNotTheAttributedOne() throws IOException {
    Map<String, Object> spec = kill();
    ((Map<String, Object>) spec.get("pod")).put("uid", "00000000-0000-4000-8000-000000000000");
    assertThat(validateSpec(spec))
        .containsExactly("spec: Invalid value: spec.pod.uid must equal spec.attribution.podUid");
    ((Map<String, Object>) spec.get("attribution")).put("podUid", "not a uid");
    assertThat(validateSpec(spec)).anyMatch(e -> e.startsWith("spec.attribution.podUid: should"));
  }

  @Test
  void statusFieldsAreBoundedToo() throws IOException {
    JSONSchemaProps status = root().getProperties().get("status");
    Map<String, Object> forged = Map.of("summary", "x".repeat(100_000), "confidence", 7.5);
    assertThat(SchemaValidator.validate("status", status, forged))
        .anyMatch(e -> e.startsWith("status.summary: may not"))
        .anyMatch(e -> e.startsWith("status.confidence: should be less"));
  }

  static void assertDescribed(String path, JSONSchemaProps p) {
    if (p.getProperties() != null) {
      for (Map.Entry<String, JSONSchemaProps> e : p.getProperties().entrySet()) {
        assertThat(e.getValue().getDescription())
            .as("%s.%s has a description", path, e.getKey())
            .isNotBlank();
        assertDescribed(path + "." + e.getKey(), e.getValue());
      }
    }
    if (p.getItems() != null && p.getItems().getSchema() != null) {
      assertDescribed(path + "[]", p.getItems().getSchema());
    }
  }
}
