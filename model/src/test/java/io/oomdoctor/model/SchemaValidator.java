package io.oomdoctor.model;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.types.MapType;
import dev.cel.common.types.OpaqueType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelFunctionBinding;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks an object against a generated CRD schema the way the API server does for the parts our
 * CRDs use: types, enums, patterns, bounds, required fields, and the {@code
 * x-kubernetes-validations} CEL rules, including Kubernetes' {@code quantity()} library.
 */
final class SchemaValidator {
  private static final OpaqueType QUANTITY = OpaqueType.create("kubernetes.Quantity");

  /** A parsed quantity, as the Kubernetes CEL library keeps it. */
  record Q(BigDecimal bytes) {}

  private static final CelCompiler COMPILER =
      CelCompilerFactory.standardCelCompilerBuilder()
          .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
          .addVar("self", MapType.create(SimpleType.STRING, SimpleType.DYN))
          .addFunctionDeclarations(
              CelFunctionDecl.newFunctionDeclaration(
                  "quantity",
                  CelOverloadDecl.newGlobalOverload(
                      "quantity_string", QUANTITY, SimpleType.STRING)),
              CelFunctionDecl.newFunctionDeclaration(
                  "compareTo",
                  CelOverloadDecl.newMemberOverload(
                      "quantity_compareTo", SimpleType.INT, QUANTITY, QUANTITY)),
              CelFunctionDecl.newFunctionDeclaration(
                  "isGreaterThan",
                  CelOverloadDecl.newMemberOverload(
                      "quantity_isGreaterThan", SimpleType.BOOL, QUANTITY, QUANTITY)))
          .build();

  private static final CelRuntime RUNTIME =
      CelRuntimeFactory.standardCelRuntimeBuilder()
          .addFunctionBindings(
              CelFunctionBinding.from(
                  "quantity_string",
                  String.class,
                  s -> new Q(Quantity.getAmountInBytes(new Quantity(s)))),
              CelFunctionBinding.from(
                  "quantity_compareTo",
                  Q.class,
                  Q.class,
                  (a, b) -> (long) a.bytes().compareTo(b.bytes())),
              CelFunctionBinding.from(
                  "quantity_isGreaterThan",
                  Q.class,
                  Q.class,
                  (a, b) -> a.bytes().compareTo(b.bytes()) > 0))
          .build();

  private SchemaValidator() {}

  /** The API server's complaints about {@code value} at {@code path}; empty when it is valid. */
  static List<String> validate(String path, JSONSchemaProps schema, Object value) {
    List<String> errors = new ArrayList<>();
    check(path, schema, value, errors);
    return errors;
  }

  @SuppressWarnings("unchecked")
  private static void check(String path, JSONSchemaProps s, Object value, List<String> errors) {
    if (value == null) {
      return;
    }
    String type = s.getType();
    if ("object".equals(type)) {
      if (!(value instanceof Map)) {
        errors.add(path + ": must be an object");
        return;
      }
      Map<String, Object> map = (Map<String, Object>) value;
      if (s.getMaxProperties() != null && map.size() > s.getMaxProperties()) {
        errors.add(path + ": must have at most " + s.getMaxProperties() + " items");
      }
      if (s.getRequired() != null) {
        for (String r : s.getRequired()) {
          if (!map.containsKey(r)) {
            errors.add(path + "." + r + ": Required value");
          }
        }
      }
      for (Map.Entry<String, Object> e : map.entrySet()) {
        JSONSchemaProps p =
            s.getProperties() != null && !s.getProperties().isEmpty()
                ? s.getProperties().get(e.getKey())
                : s.getAdditionalProperties() != null
                    ? s.getAdditionalProperties().getSchema()
                    : null;
        if (p == null) {
          errors.add(path + "." + e.getKey() + ": unknown field");
        } else {
          check(path + "." + e.getKey(), p, e.getValue(), errors);
        }
      }
      if (s.getXKubernetesValidations() != null && errors.isEmpty()) {
        for (ValidationRule rule : s.getXKubernetesValidations()) {
          if (!evaluate(rule.getRule(), map)) {
            errors.add(path + ": Invalid value: " + rule.getMessage());
          }
        }
      }
    } else if ("array".equals(type)) {
      if (!(value instanceof List<?> list)) {
        errors.add(path + ": must be an array");
        return;
      }
      if (s.getMaxItems() != null && list.size() > s.getMaxItems()) {
        errors.add(path + ": must have at most " + s.getMaxItems() + " items");
        return;
      }
      for (int i = 0; i < list.size(); i++) {
        check(path + "[" + i + "]", s.getItems().getSchema(), list.get(i), errors);
      }
    } else if ("integer".equals(type)) {
      if (!(value instanceof Integer || value instanceof Long)) {
        errors.add(path + ": must be an integer");
        return;
      }
      long v = ((Number) value).longValue();
      if (s.getMinimum() != null && v < s.getMinimum()) {
        errors.add(path + ": should be greater than or equal to " + s.getMinimum().longValue());
      }
      if (s.getMaximum() != null && v > s.getMaximum()) {
        errors.add(path + ": should be less than or equal to " + s.getMaximum().longValue());
      }
    } else if ("number".equals(type)) {
      if (!(value instanceof Number n)) {
        errors.add(path + ": must be a number");
        return;
      }
      if (s.getMinimum() != null && n.doubleValue() < s.getMinimum()) {
        errors.add(path + ": should be greater than or equal to " + s.getMinimum());
      }
      if (s.getMaximum() != null && n.doubleValue() > s.getMaximum()) {
        errors.add(path + ": should be less than or equal to " + s.getMaximum());
      }
    } else if ("string".equals(type)) {
      if (!(value instanceof String str)) {
        errors.add(path + ": must be a string");
        return;
      }
      if (s.getMaxLength() != null && str.length() > s.getMaxLength()) {
        errors.add(path + ": may not be more than " + s.getMaxLength() + " bytes");
      }
      if (s.getEnum() != null
          && !s.getEnum().isEmpty()
          && s.getEnum().stream().noneMatch(e -> str.equals(e.asText()))) {
        errors.add(path + ": Unsupported value: \"" + str + "\"");
      }
      if (s.getPattern() != null
          && !java.util.regex.Pattern.compile(s.getPattern()).matcher(str).find()) {
        errors.add(path + ": should match '" + s.getPattern() + "'");
      }
    }
  }

  static boolean evaluate(String rule, Map<String, Object> self) {
    try {
      CelAbstractSyntaxTree ast = COMPILER.compile(rule).getAst();
      Object result = RUNTIME.createProgram(ast).eval(Map.of("self", self));
      return Boolean.TRUE.equals(result);
    } catch (Exception e) {
      throw new IllegalStateException("CEL rule does not evaluate: " + rule, e);
    }
  }
}
