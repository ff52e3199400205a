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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The committed OomPolicy CRD as the API server would use it: names, columns, documentation, and
 * its schema and CEL rules accepting good policies and rejecting bad ones.
 */
class OomPolicyCrdTest {
  static CustomResourceDefinition crd;
  static JSONSchemaProps spec;

  @BeforeAll
  static void load() throws IOException {
    crd =
        new KubernetesSerialization()
            .unmarshal(
                Files.readString(Paths.get("../crds/oompolicies.oomdoctor.io-v1.yml")),
                CustomResourceDefinition.class);
    spec =
        crd.getSpec()
            .getVersions()
            .get(0)
            .getSchema()
            .getOpenAPIV3Schema()
            .getProperties()
            .get("spec");
  }

  @Test
  void namesScopeAndColumns() {
    assertThat(crd.getSpec().getGroup()).isEqualTo("oomdoctor.io");
    assertThat(crd.getSpec().getScope()).isEqualTo("Namespaced");
    assertThat(crd.getSpec().getNames().getShortNames()).containsExactly("oompol");
    assertThat(crd.getSpec().getNames().getCategories()).containsExactly("oomdoctor");
    CustomResourceDefinitionVersion v = crd.getSpec().getVersions().get(0);
    assertThat(v.getSubresources().getStatus()).isNotNull();
    assertThat(v.getAdditionalPrinterColumns())
        .extracting(c -> c.getName())
        .containsExactly("MODE", "WORKLOADS", "KILLS", "RECOMMENDATIONS", "AGE");
  }

  @Test
  void everySpecAndStatusFieldIsDocumented() {
    JSONSchemaProps root = crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
    OomKillCrdTest.assertDescribed("spec", root.getProperties().get("spec"));
    OomKillCrdTest.assertDescribed("status", root.getProperties().get("status"));
  }

  @Test
  void defaultsAreThoseOfTheArchitecture() {
    Map<String, JSONSchemaProps> p = spec.getProperties();
    assertThat(p.get("mode").getDefault().asText()).isEqualTo("Recommend");
    assertThat(p.get("headroomPercent").getDefault().asInt()).isEqualTo(25);
    assertThat(p.get("minLimit").getDefault().asText()).isEqualTo("128Mi");
    assertThat(p.get("maxLimit").getDefault().asText()).isEqualTo("4Gi");
    assertThat(p.get("maxStepPercent").getDefault().asInt()).isEqualTo(100);
    assertThat(p.get("cooldown").getDefault().asText()).isEqualTo("30m");
    assertThat(p.get("controlledValues").getDefault().asText()).isEqualTo("LimitsOnly");
    // The Java defaults match, for servers (and mocks) that do not apply schema defaults.
    OomPolicySpec java = new OomPolicySpec();
    assertThat(java.mode.name()).isEqualTo("Recommend");
    assertThat(java.minLimit).isEqualTo("128Mi");
    assertThat(java.maxLimit).isEqualTo("4Gi");
    assertThat(java.cooldown).isEqualTo("30m");
  }

  @Test
  void aGoodPolicyPasses() {
    assertThat(
            SchemaValidator.validate(
                "spec",
                spec,
                Map.of(
                    "selector",
                    Map.of(
                        "matchLabels", Map.of("app", "web"),
                        "matchExpressions",
                            List.of(
                                Map.of("key", "tier", "operator", "In", "values", List.of("a")),
                                Map.of("key", "canary", "operator", "DoesNotExist"))),
                    "mode",
                    "Apply",
                    "headroomPercent",
                    30,
                    "minLimit",
                    "64Mi",
                    "maxLimit",
                    "2Gi",
                    "maxStepPercent",
                    50,
                    "cooldown",
                    "1h30m",
                    "controlledValues",
                    "RequestsAndLimits")))
        .isEmpty();
    assertThat(SchemaValidator.validate("spec", spec, Map.of())).isEmpty();
    assertThat(
            SchemaValidator.validate("spec", spec, Map.of("minLimit", "1Gi", "maxLimit", "1024Mi")))
        .as("equal bounds in different units")
        .isEmpty();
  }

  @Test
  void minLimitAboveMaxLimitIsRejectedByTheCelRule() {
    assertThat(
            SchemaValidator.validate("spec", spec, Map.of("minLimit", "2Gi", "maxLimit", "512Mi")))
        .containsExactly("spec: Invalid value: minLimit must not be greater than maxLimit");
    assertThat(
            SchemaValidator.validate(
                "spec", spec, Map.of("minLimit", "1000M", "maxLimit", "954Mi")))
        .as("1000M is 953.7Mi")
        .isEmpty();
    assertThat(
            SchemaValidator.validate(
                "spec", spec, Map.of("minLimit", "1001M", "maxLimit", "954Mi")))
        .as("1001M is 954.6Mi")
        .hasSize(1);
    assertThat(SchemaValidator.validate("spec", spec, Map.of("maxLimit", "0")))
        .containsExactly("spec: Invalid value: maxLimit must be greater than zero");
  }

  @Test
  void negativeAndOutOfRangePercentagesAreRejected() {
    assertThat(SchemaValidator.validate("spec", spec, Map.of("headroomPercent", -5)))
        .containsExactly("spec.headroomPercent: should be greater than or equal to 0");
    assertThat(SchemaValidator.validate("spec", spec, Map.of("maxStepPercent", 0)))
        .containsExactly("spec.maxStepPercent: should be greater than or equal to 1");
    assertThat(SchemaValidator.validate("spec", spec, Map.of("maxStepPercent", -10))).hasSize(1);
    assertThat(SchemaValidator.validate("spec", spec, Map.of("headroomPercent", 1000))).hasSize(1);
  }

  @Test
  void malformedValuesAreRejected() {
    assertThat(SchemaValidator.validate("spec", spec, Map.of("mode", "Auto")))
        .containsExactly("spec.mode: Unsupported value: \"Auto\"");
    assertThat(SchemaValidator.validate("spec", spec, Map.of("minLimit", "lots"))).hasSize(1);
    assertThat(SchemaValidator.validate("spec", spec, Map.of("maxLimit", "-1Gi"))).hasSize(1);
    assertThat(SchemaValidator.validate("spec", spec, Map.of("cooldown", "soon"))).hasSize(1);
    assertThat(SchemaValidator.validate("spec", spec, Map.of("cooldown", "-5m"))).hasSize(1);
    assertThat(SchemaValidator.validate("spec", spec, Map.of("controlledValues", "Requests")))
        .hasSize(1);
    assertThat(SchemaValidator.validate("spec", spec, Map.of("headroomPercent", "25")))
        .containsExactly("spec.headroomPercent: must be an integer");
  }

  @Test
  void selectorRequirementsAreChecked() {
    assertThat(
            SchemaValidator.validate(
                "spec",
                spec,
                Map.of(
                    "selector",
                    Map.of("matchExpressions", List.of(Map.of("key", "a", "operator", "In"))))))
        .containsExactly(
            "spec.selector.matchExpressions[0]: Invalid value: In and NotIn need values; Exists"
                + " and DoesNotExist take none");
    assertThat(
            SchemaValidator.validate(
                "spec",
                spec,
                Map.of(
                    "selector",
                    Map.of(
                        "matchExpressions",
                        List.of(
                            Map.of("key", "a", "operator", "Exists", "values", List.of("x")))))))
        .hasSize(1);
    assertThat(
            SchemaValidator.validate(
                "spec",
                spec,
                Map.of(
                    "selector",
                    Map.of("matchExpressions", List.of(Map.of("key", "a", "operator", "Has"))))))
        .containsExactly("spec.selector.matchExpressions[0].operator: Unsupported value: \"Has\"");
    assertThat(
            SchemaValidator.validate(
                "spec",
                spec,
                Map.of(
                    "selector", Map.of("matchExpressions", List.of(Map.of("operator", "Exists"))))))
        .containsExactly("spec.selector.matchExpressions[0].key: Required value");
  }
}
