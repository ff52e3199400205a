package io.oomdoctor.helm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelFunctionBinding;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import dev.cel.runtime.CelStandardFunctions;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The chart's admission policies, evaluated as the API server evaluates them (their CEL, with
 * cel-java) against requests an attacker would send: a tenant creating an OomKill or writing its
 * status, an agent reporting another node's kill or naming a pod of another namespace. Each must be
 * denied, and the agent's and operator's own requests allowed.
 */
class AdmissionAttackTest {
  static final String AGENT = "system:serviceaccount:oomdoctor-system:oomdoctor-agent";
  static final String OPERATOR = "system:serviceaccount:oomdoctor-system:oomdoctor-operator";
  static final String TENANT = "system:serviceaccount:shop:default";

  private static final CelCompiler COMPILER =
      CelCompilerFactory.standardCelCompilerBuilder()
          .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
          .addVar("request", SimpleType.DYN)
          .addVar("object", SimpleType.DYN)
          .addVar("variables", SimpleType.DYN)
          .build();
  // The checker resolves size() of a dynamic value to its string overload alone; here that
  // overload takes what CEL's size() takes (strings, lists, maps), as the API server's typed
  // request would pick the list overload.
  private static final CelRuntime RUNTIME =
      CelRuntimeFactory.standardCelRuntimeBuilder()
          .setStandardEnvironmentEnabled(false)
          .setStandardFunctions(
              CelStandardFunctions.newBuilder()
                  .excludeFunctions(CelStandardFunctions.StandardFunction.SIZE)
                  .build())
          .addFunctionBindings(
              CelFunctionBinding.from("size_string", Object.class, AdmissionAttackTest::size))
          .build();

  private static long size(Object o) {
    if (o instanceof String s) {
      return s.codePointCount(0, s.length());
    }
    if (o instanceof java.util.Collection<?> c) {
      return c.size();
    }
    if (o instanceof Map<?, ?> m) {
      return m.size();
    }
    throw new IllegalArgumentException("size() of " + o);
  }

  static Object eval(String expression, Map<String, Object> vars) {
    try {
      return RUNTIME.createProgram(COMPILER.compile(expression).getAst()).eval(vars);
    } catch (Exception e) {
      throw new IllegalStateException("does not evaluate: " + expression, e);
    }
  }

  static List<ValidatingAdmissionPolicy> policies() {
    List<HasMetadata> objects = ChartTest.render(Map.of());
    return objects.stream()
        .filter(ValidatingAdmissionPolicy.class::isInstance)
        .map(ValidatingAdmissionPolicy.class::cast)
        .toList();
  }

  /** True when every policy that matches the request lets it through. */
  static boolean admitted(Map<String, Object> request, Map<String, Object> object) {
    return admitted("oomkills", request, object);
  }

  /** The same for a request on {@code resource} (oomkills, oomrisks). */
  static boolean admitted(String kind, Map<String, Object> request, Map<String, Object> object) {
    for (ValidatingAdmissionPolicy p : policies()) {
      Map<String, Object> vars = new HashMap<>();
      vars.put("request", request);
      vars.put("object", object);
      var rule = p.getSpec().getMatchConstraints().getResourceRules().get(0);
      String resource =
          request.get("subResource").toString().isEmpty()
              ? kind
              : kind + "/" + request.get("subResource");
      if (!rule.getResources().contains(resource)) {
        continue;
      }
      if (p.getSpec().getMatchConditions() != null
          && !p.getSpec().getMatchConditions().stream()
              .allMatch(m -> Boolean.TRUE.equals(eval(m.getExpression(), vars)))) {
        continue;
      }
      Map<String, Object> variables = new HashMap<>();
      if (p.getSpec().getVariables() != null) {
        for (var v : p.getSpec().getVariables()) {
          variables.put(
              v.getName(), eval(v.getExpression(), Map.of("request", request, "object", object)));
        }
      }
      vars.put("variables", variables);
      for (var v : p.getSpec().getValidations()) {
        if (!Boolean.TRUE.equals(eval(v.getExpression(), vars))) {
          return false;
        }
      }
    }
    return true;
  }

  static Map<String, Object> request(String user, String node, String subResource) {
    Map<String, Object> userInfo = new HashMap<>();
    userInfo.put("username", user);
    userInfo.put(
        "extra",
        node == null ? Map.of() : Map.of("authentication.kubernetes.io/node-name", List.of(node)));
    Map<String, Object> r = new HashMap<>();
    r.put("userInfo", userInfo);
    r.put("subResource", subResource);
    return r;
  }

  static Map<String, Object> kill(String namespace, String podNamespace, String node) {
    return Map.of(
        "metadata",
        Map.of("namespace", namespace, "labels", Map.of("oomdoctor.io/node", node)),
        "spec",
        Map.of("nodeName", node, "pod", Map.of("namespace", podNamespace, "name", "web-1")));
  }

  @Test
  void theAgentReportsItsOwnNodesKillsAndTheOperatorWritesTheirStatus() {
    assertThat(admitted(request(AGENT, "node-a", ""), kill("shop", "shop", "node-a"))).isTrue();
    assertThat(admitted(request(OPERATOR, null, "status"), kill("shop", "shop", "node-a")))
        .isTrue();
  }

  @Test
  void aTenantCanNeitherCreateAnOomKillNorWriteItsStatus() {
    assertThat(admitted(request(TENANT, null, ""), kill("shop", "shop", "node-a"))).isFalse();
    assertThat(admitted(request(TENANT, null, "status"), kill("shop", "shop", "node-a"))).isFalse();
  }

  @Test
  void anAgentCanNeitherReportAnotherNodeNorWriteAStatus() {
    assertThat(admitted(request(AGENT, "node-a", ""), kill("shop", "shop", "node-b"))).isFalse();
    assertThat(admitted(request(AGENT, null, ""), kill("shop", "shop", "node-a"))).isFalse();
    assertThat(admitted(request(AGENT, "node-a", "status"), kill("shop", "shop", "node-a")))
        .isFalse();
  }

  @Test
  void anOomKillNamesOnlyAPodOfItsOwnNamespace() {
    assertThat(admitted(request(AGENT, "node-a", ""), kill("evil", "shop", "node-a"))).isFalse();
  }

  @Test
  void oomRisksAreGuardedAsOomKillsAre() {
    // The agent's own node's risk, and the operator's status of it, pass.
    assertThat(admitted("oomrisks", request(AGENT, "node-a", ""), kill("shop", "shop", "node-a")))
        .isTrue();
    assertThat(
            admitted("oomrisks", request(OPERATOR, null, "status"), kill("shop", "shop", "node-a")))
        .isTrue();
    // A tenant forging a risk (an Event on any pod of its namespace) or its status: denied.
    assertThat(admitted("oomrisks", request(TENANT, null, ""), kill("shop", "shop", "node-a")))
        .isFalse();
    assertThat(
            admitted("oomrisks", request(TENANT, null, "status"), kill("shop", "shop", "node-a")))
        .isFalse();
    // A node reporting another node's pod, or a pod of another namespace: denied.
    assertThat(admitted("oomrisks", request(AGENT, "node-a", ""), kill("shop", "shop", "node-b")))
        .isFalse();
    assertThat(admitted("oomrisks", request(AGENT, "node-a", ""), kill("evil", "shop", "node-a")))
        .isFalse();
    assertThat(admitted("oomrisks", request(OPERATOR, null, ""), kill("shop", "shop", "node-a")))
        .isFalse();
  }

  @Test
  void theOperatorCannotCreateOomKills() {
    assertThat(admitted(request(OPERATOR, null, ""), kill("shop", "shop", "node-a"))).isFalse();
  }
}
