package io.oomdoctor.model;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Runs after fabric8's CRD generator (process-test-classes): puts printer columns in the order they
 * are declared on the resource class (the generator sorts them by JSON path, which would show AGE
 * first), and with {@code -Doomdoctor.crds.write=true} copies the result to the committed {@code
 * crds/} folders (the repository's and the Helm chart's).
 */
public final class CrdPostProcessor {
  /** Generated CRD file name → resource class whose annotations give the column order. */
  static final Map<String, Class<?>> RESOURCES =
      Map.of(
          "oomkills.oomdoctor.io-v1.yml", OomKill.class,
          "oompolicies.oomdoctor.io-v1.yml", OomPolicy.class,
          "oomrisks.oomdoctor.io-v1.yml", OomRisk.class);

  static final String HEADER =
      "# Generated from the model module's Java types; do not edit.\n"
          + "# Regenerate: mvn -pl model process-test-classes -Doomdoctor.crds.write=true\n";

  private CrdPostProcessor() {}

  /** What kubectl explain says of the fields of a standard Kubernetes condition. */
  static final Map<String, String> CONDITION_FIELDS =
      Map.of(
          "type", "Type of the condition (e.g. Ready, Invalid, Diagnosed).",
          "status", "True, False or Unknown.",
          "reason", "Machine-readable reason for the condition's last transition, in CamelCase.",
          "message", "Human-readable details of the condition's last transition.",
          "lastTransitionTime", "When the condition last changed status (RFC 3339).",
          "observedGeneration", "Generation of the resource that the condition was set for.");

  /** Documents the fields of every {@code conditions} list (the generator leaves them bare). */
  static void describeConditions(JSONSchemaProps schema) {
    if (schema == null || schema.getProperties() == null) {
      return;
    }
    for (Map.Entry<String, JSONSchemaProps> e : schema.getProperties().entrySet()) {
      JSONSchemaProps p = e.getValue();
      if ("conditions".equals(e.getKey()) && p.getItems() != null) {
        JSONSchemaProps item = p.getItems().getSchema();
        if (item != null && item.getProperties() != null) {
          item.getProperties()
              .forEach(
                  (name, field) -> {
                    if (field.getDescription() == null && CONDITION_FIELDS.containsKey(name)) {
                      field.setDescription(CONDITION_FIELDS.get(name));
                    }
                  });
        }
      }
      describeConditions(p);
      if (p.getItems() != null) {
        describeConditions(p.getItems().getSchema());
      }
    }
  }

  /**
   * Default bounds for what the Java types leave unbounded (conditions, map values, list items).
   */
  static final long DEFAULT_MAX_LENGTH = Bounds.TEXT;

  static final long DEFAULT_MAX_ITEMS = 1024;
  static final long DEFAULT_MAX_PROPERTIES = 256;

  /**
   * Gives every string a maxLength, every list a maxItems and every map a maxProperties, where the
   * model's annotations gave none, so that the API server refuses an oversized object whatever
   * field it hides in (the API server also needs them to estimate the cost of CEL rules).
   */
  static void bound(JSONSchemaProps p) {
    if (p == null) {
      return;
    }
    if ("string".equals(p.getType())
        && p.getMaxLength() == null
        && (p.getEnum() == null || p.getEnum().isEmpty())) {
      p.setMaxLength(DEFAULT_MAX_LENGTH);
    }
    if ("array".equals(p.getType()) && p.getMaxItems() == null) {
      p.setMaxItems(DEFAULT_MAX_ITEMS);
    }
    if (p.getAdditionalProperties() != null && p.getAdditionalProperties().getSchema() != null) {
      if (p.getMaxProperties() == null) {
        p.setMaxProperties(DEFAULT_MAX_PROPERTIES);
      }
      bound(p.getAdditionalProperties().getSchema());
    }
    if (p.getProperties() != null) {
      p.getProperties().values().forEach(CrdPostProcessor::bound);
    }
    if (p.getItems() != null) {
      bound(p.getItems().getSchema());
    }
  }

  public static void main(String[] args) throws IOException {
    Path generated = Paths.get(args[0]);
    boolean write = Boolean.parseBoolean(System.getProperty("oomdoctor.crds.write", "false"));
    KubernetesSerialization serialization = new KubernetesSerialization();
    for (var e : RESOURCES.entrySet()) {
      Path file = generated.resolve(e.getKey());
      String yaml = Files.readString(file, StandardCharsets.UTF_8);
      String out = yaml.startsWith(HEADER) ? yaml : process(yaml, e.getValue(), serialization);
      if (!out.equals(yaml)) {
        Files.writeString(file, out, StandardCharsets.UTF_8);
      }
      if (write) {
        for (int i = 1; i < args.length; i++) {
          Path dir = Paths.get(args[i]);
          Files.createDirectories(dir);
          Files.writeString(dir.resolve(e.getKey()), out, StandardCharsets.UTF_8);
        }
      }
    }
  }

  /** Orders the columns as declared and documents the conditions. */
  static String process(String yaml, Class<?> resource, KubernetesSerialization serialization) {
    CustomResourceDefinition crd = serialization.unmarshal(yaml, CustomResourceDefinition.class);
    List<String> order =
        Arrays.stream(resource.getAnnotationsByType(AdditionalPrinterColumn.class))
            .map(AdditionalPrinterColumn::name)
            .toList();
    for (CustomResourceDefinitionVersion v : crd.getSpec().getVersions()) {
      List<CustomResourceColumnDefinition> cols = new ArrayList<>(v.getAdditionalPrinterColumns());
      cols.sort(Comparator.comparingInt(c -> order.indexOf(c.getName())));
      v.setAdditionalPrinterColumns(cols);
      describeConditions(v.getSchema().getOpenAPIV3Schema());
      JSONSchemaProps root = v.getSchema().getOpenAPIV3Schema();
      bound(root.getProperties().get("spec"));
      bound(root.getProperties().get("status"));
    }
    return HEADER + serialization.asYaml(crd);
  }
}
