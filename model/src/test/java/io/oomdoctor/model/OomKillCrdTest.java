package io.oomdoctor.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
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
