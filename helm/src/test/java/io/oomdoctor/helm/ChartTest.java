package io.oomdoctor.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The chart in helm/oomdoctor, rendered by Helm itself (helm-java): it lints strictly, and what it
 * renders holds the security settings, RBAC and admission policy the security model promises.
 */
class ChartTest {
  static final Path CHART = Paths.get("oomdoctor");
  static final KubernetesSerialization SERIAL = new KubernetesSerialization();

  static List<HasMetadata> render(Map<String, Object> values) {
    var t =
        new Helm(CHART)
            .template()
            .withName("oomdoctor")
            .withNamespace("oomdoctor-system")
            .withKubeVersion("1.32.0");
    values.forEach(t::set);
    String yaml = t.call();
    List<HasMetadata> out = new ArrayList<>();
    for (String doc : yaml.split("(?m)^---\\s*$")) {
      if (doc.replaceAll("(?m)^#.*$", "").isBlank()) {
        continue;
      }
      Object o = SERIAL.unmarshal(doc);
      if (o instanceof HasMetadata h) {
        out.add(h);
      } else if (o instanceof List<?> l) {
        l.forEach(x -> out.add((HasMetadata) x));
      }
    }
    return out;
  }

  static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type, String name) {
    return objects.stream()
        .filter(type::isInstance)
        .map(type::cast)
        .filter(o -> o.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
  }

  static List<String> verbs(ClusterRole role, String group, String resource) {
    List<String> v = new ArrayList<>();
    for (PolicyRule r : role.getRules()) {
      if (r.getApiGroups().contains(group) && r.getResources().contains(resource)) {
        v.addAll(r.getVerbs());
      }
    }
    return v;
  }

  @Test
  void lintsStrictly() {
    LintResult r = new Helm(CHART).lint().strict().call();
    assertThat(r.isFailed()).as(String.join("\n", r.getMessages())).isFalse();
  }

  @Test
  void theAgentIsLockedDownAndRunsOnEveryNode() {
    List<HasMetadata> objects = render(Map.of());
    DaemonSet ds = one(objects, DaemonSet.class, "oomdoctor-agent");
    var pod = ds.getSpec().getTemplate().getSpec();
    Container c = pod.getContainers().get(0);
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getSecurityContext().getPrivileged()).isFalse();
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(c.getSecurityContext().getCapabilities().getAdd()).containsExactly("SYSLOG");
    assertThat(pod.getPriorityClassName()).isEqualTo("system-node-critical");
    assertThat(pod.getTolerations())
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.getOperator()).isEqualTo("Exists");
              assertThat(t.getKey()).isNull();
            });
    assertThat(pod.getHostPID()).as("no host PID namespace").isNull();
    for (String host : List.of("/dev/kmsg", "/sys/fs/cgroup", "/proc")) {
      Volume v =
          pod.getVolumes().stream()
              .filter(x -> x.getHostPath() != null && host.equals(x.getHostPath().getPath()))
              .findFirst()
              .orElseThrow();
      assertThat(c.getVolumeMounts())
          .filteredOn(m -> m.getName().equals(v.getName()))
          .singleElement()
          .satisfies(m -> assertThat(m.getReadOnly()).as(host + " read-only").isTrue());
    }
    assertThat(c.getVolumeMounts())
        .filteredOn(
            m ->
                m.getMountPath().equals("/host/proc")
                    || m.getMountPath().equals("/host/sys/fs/cgroup"))
        .hasSize(2)
        .allSatisfy(
            m ->
                assertThat(m.getRecursiveReadOnly())
                    .as("submounts of %s read-only too where the node can", m.getMountPath())
                    .isEqualTo("IfPossible"));
    assertThat(c.getResources().getLimits().get("memory").toString()).isEqualTo("96Mi");
    assertThat(c.getResources().getRequests().get("memory").toString()).isEqualTo("64Mi");
    assertThat(c.getArgs()).containsExactly("run");
    assertThat(c.getCommand())
        .as("the image's launcher, with the measured JVM flags")
        .isNullOrEmpty();
    assertThat(c.getEnv())
        .extracting(EnvVar::getName)
        .as("no flags that would replace or repeat the launcher's")
        .doesNotContain("JAVA_TOOL_OPTIONS", "OOMDOCTOR_JAVA_OPTS", "JDK_JAVA_OPTIONS");
    assertThat(c.getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("NODE_NAME");
              assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("spec.nodeName");
            });
  }

  @Test
  void readingEnvironmentsAddsPtraceAndNothingElse() {
    Container c =
        one(render(Map.of("agent.readEnvironment", true)), DaemonSet.class, "oomdoctor-agent")
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0);
    assertThat(c.getSecurityContext().getCapabilities().getAdd())
        .containsExactly("SYSLOG", "SYS_PTRACE");
  }

  @Test
  void theOperatorRunsTwoReplicasWithALeaseAsNonRoot() {
    Deployment d = one(render(Map.of()), Deployment.class, "oomdoctor-operator");
    assertThat(d.getSpec().getReplicas()).isEqualTo(2);
    var pod = d.getSpec().getTemplate().getSpec();
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    Container c = pod.getContainers().get(0);
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(c.getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("OOMDOCTOR_LEADER_ELECTION");
              assertThat(e.getValue()).isEqualTo("true");
            });
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
  }

  @Test
  void rbacIsLeastPrivilegeAndPatchingIsOptIn() {
    List<HasMetadata> objects = render(Map.of());
    ClusterRole agent = one(objects, ClusterRole.class, "oomdoctor-agent");
    assertThat(verbs(agent, "oomdoctor.io", "oomkills")).containsExactlyInAnyOrder("create", "get");
    assertThat(verbs(agent, "oomdoctor.io", "oomrisks"))
        .as("risks are created, then their spec replaced")
        .containsExactlyInAnyOrder("create", "patch");
    assertThat(verbs(agent, "", "pods")).containsExactlyInAnyOrder("list", "watch");
    assertThat(agent.getRules()).hasSize(3);
    ClusterRole op = one(objects, ClusterRole.class, "oomdoctor-operator");
    assertThat(verbs(op, "apps", "deployments")).containsExactly("get");
    assertThat(verbs(op, "batch", "cronjobs")).containsExactly("get");
    assertThat(verbs(op, "oomdoctor.io", "oompolicies"))
        .as("never the spec")
        .doesNotContain("update", "patch");
    assertThat(verbs(op, "oomdoctor.io", "oompolicies/status")).contains("patch");
    assertThat(verbs(op, "", "pods")).doesNotContain("watch");
    assertThat(verbs(op, "", "events")).contains("create", "patch");
    assertThat(op.getRules()).noneSatisfy(r -> assertThat(r.getVerbs()).contains("*"));
    assertThat(op.getRules()).noneSatisfy(r -> assertThat(r.getResources()).contains("secrets"));

    assertThat(objects)
        .as("nothing may patch workloads unless applyEnabled")
        .noneMatch(o -> o.getMetadata().getName().equals("oomdoctor-operator-apply"));

    List<HasMetadata> applying = render(Map.of("operator.applyEnabled", true));
    assertThat(verbs(one(applying, ClusterRole.class, "oomdoctor-operator"), "apps", "deployments"))
        .containsExactly("get");
    ClusterRole apply = one(applying, ClusterRole.class, "oomdoctor-operator-apply");
    for (String w : List.of("deployments", "statefulsets", "daemonsets")) {
      assertThat(verbs(apply, "apps", w)).containsExactlyInAnyOrder("get", "update", "patch");
    }
    assertThat(verbs(apply, "batch", "cronjobs"))
        .containsExactlyInAnyOrder("get", "update", "patch");
    assertThat(apply.getRules()).hasSize(2);
    assertThat(one(applying, ClusterRoleBinding.class, "oomdoctor-operator-apply")).isNotNull();
    var env =
        one(applying, Deployment.class, "oomdoctor-operator")
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0)
            .getEnv();
    assertThat(env)
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("OOMDOCTOR_APPLY_ENABLED");
              assertThat(e.getValue()).isEqualTo("true");
            })
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("OOMDOCTOR_APPLY_EXCLUDE_NAMESPACES");
              assertThat(e.getValue()).isEqualTo("kube-system");
            })
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("OOMDOCTOR_SYSTEM_NAMESPACE");
              assertThat(e.getValue()).isEqualTo("oomdoctor-system");
            });
  }

  @Test
  void applyIsGrantedOnlyInTheWatchedNamespacesThatAreNotExcluded() {
    List<HasMetadata> objects =
        render(
            Map.of(
                "operator.applyEnabled",
                true,
                "operator.watchNamespaces[0]",
                "shop",
                "operator.watchNamespaces[1]",
                "kube-system",
                "operator.watchNamespaces[2]",
                "web"));
    assertThat(objects)
        .filteredOn(o -> o instanceof RoleBinding && o.getMetadata().getName().endsWith("-apply"))
        .extracting(o -> o.getMetadata().getNamespace())
        .containsExactlyInAnyOrder("shop", "web");
    assertThat(objects)
        .noneMatch(
            o ->
                o instanceof ClusterRoleBinding
                    && o.getMetadata().getName().equals("oomdoctor-operator-apply"));
  }

  @Test
  void agentsMayReportOnlyTheirOwnNode() {
    List<HasMetadata> objects = render(Map.of());
    ValidatingAdmissionPolicy vap =
        one(objects, ValidatingAdmissionPolicy.class, "oomdoctor-agent-own-node");
    assertThat(vap.getSpec().getFailurePolicy()).isEqualTo("Fail");
    assertThat(vap.getSpec().getMatchConstraints().getResourceRules())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getResources()).containsExactly("oomkills", "oomrisks");
              assertThat(r.getOperations()).contains("CREATE", "UPDATE");
            });
    assertThat(vap.getSpec().getMatchConditions())
        .singleElement()
        .satisfies(
            m ->
                assertThat(m.getExpression())
                    .contains("system:serviceaccount:oomdoctor-system:oomdoctor-agent"));
    assertThat(vap.getSpec().getVariables())
        .singleElement()
        .satisfies(
            v ->
                assertThat(v.getExpression())
                    .contains(
                        "request.userInfo.extra['authentication.kubernetes.io/node-name'][0]"));
    assertThat(vap.getSpec().getValidations())
        .extracting(v -> v.getExpression())
        .anySatisfy(e -> assertThat(e).contains("object.spec.nodeName == variables.node"))
        .anySatisfy(
            e ->
                assertThat(e)
                    .contains("object.metadata.labels['oomdoctor.io/node'] == variables.node"));
    ValidatingAdmissionPolicyBinding b =
        one(objects, ValidatingAdmissionPolicyBinding.class, "oomdoctor-agent-own-node");
    assertThat(b.getSpec().getPolicyName()).isEqualTo(vap.getMetadata().getName());
    assertThat(b.getSpec().getValidationActions()).containsExactly("Deny");
    assertThat(render(Map.of("admissionPolicy.enabled", false)))
        .noneMatch(o -> o instanceof ValidatingAdmissionPolicy);
  }

  @Test
  void onlyTheMetricsPortIsReachableAndTheOperatorSurvivesADrain() {
    List<HasMetadata> objects = render(Map.of());
    for (String c : List.of("agent", "operator")) {
      NetworkPolicy np = one(objects, NetworkPolicy.class, "oomdoctor-" + c);
      assertThat(np.getSpec().getPolicyTypes()).containsExactly("Ingress");
      assertThat(np.getSpec().getPodSelector().getMatchLabels())
          .containsEntry("app.kubernetes.io/component", c);
      assertThat(np.getSpec().getIngress())
          .singleElement()
          .satisfies(
              r ->
                  assertThat(r.getPorts())
                      .singleElement()
                      .satisfies(
                          p ->
                              assertThat(p.getPort().getIntVal())
                                  .isEqualTo(c.equals("agent") ? 9402 : 9403)));
    }
    NetworkPolicy restricted =
        one(
            render(
                Map.of(
                    "networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.name",
                    "monitoring")),
            NetworkPolicy.class,
            "oomdoctor-agent");
    assertThat(restricted.getSpec().getIngress().get(0).getFrom())
        .singleElement()
        .satisfies(
            f ->
                assertThat(f.getNamespaceSelector().getMatchLabels())
                    .containsEntry("name", "monitoring"));
    assertThat(render(Map.of("networkPolicy.enabled", false)))
        .noneMatch(o -> o instanceof NetworkPolicy);

    PodDisruptionBudget pdb = one(objects, PodDisruptionBudget.class, "oomdoctor-operator");
    assertThat(pdb.getSpec().getMinAvailable().getIntVal()).isEqualTo(1);
    var affinity =
        one(objects, Deployment.class, "oomdoctor-operator")
            .getSpec()
            .getTemplate()
            .getSpec()
            .getAffinity();
    assertThat(affinity.getPodAntiAffinity().getPreferredDuringSchedulingIgnoredDuringExecution())
        .singleElement()
        .satisfies(
            t ->
                assertThat(t.getPodAffinityTerm().getTopologyKey())
                    .isEqualTo("kubernetes.io/hostname"));
    assertThat(render(Map.of("operator.replicas", 1)))
        .noneMatch(o -> o instanceof PodDisruptionBudget);
  }

  @Test
  void metricsServicesAndOptionalServiceMonitors() {
    List<HasMetadata> objects = render(Map.of());
    assertThat(objects)
        .filteredOn(o -> o.getKind().equals("Service"))
        .extracting(o -> o.getMetadata().getName())
        .containsExactlyInAnyOrder("oomdoctor-operator-metrics", "oomdoctor-agent-metrics");
    assertThat(objects).noneMatch(o -> o.getKind().equals("ServiceMonitor"));
    List<HasMetadata> monitored =
        render(Map.of("serviceMonitor.enabled", true, "serviceMonitor.labels.release", "prom"));
    assertThat(monitored)
        .filteredOn(o -> o.getKind().equals("ServiceMonitor"))
        .hasSize(2)
        .allSatisfy(
            o ->
                assertThat(((GenericKubernetesResource) o).getMetadata().getLabels())
                    .containsEntry("release", "prom"));
  }

  @Test
  void customValuesAreRendered() {
    List<HasMetadata> objects =
        render(
            Map.of(
                "operator.replicas",
                3,
                "operator.watchNamespaces[0]",
                "shop",
                "operator.watchNamespaces[1]",
                "web",
                "image.registry",
                "registry.example.com/platform",
                "image.tag",
                "1.2.3",
                "agent.javaOpts",
                "-Xmx24m"));
    Deployment d = one(objects, Deployment.class, "oomdoctor-operator");
    assertThat(d.getSpec().getReplicas()).isEqualTo(3);
    Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(c.getImage()).isEqualTo("registry.example.com/platform/oomdoctor-operator:1.2.3");
    assertThat(c.getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("OOMDOCTOR_NAMESPACES");
              assertThat(e.getValue()).isEqualTo("shop,web");
            });
    Container agent =
        one(objects, DaemonSet.class, "oomdoctor-agent")
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0);
    assertThat(agent.getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("OOMDOCTOR_JAVA_OPTS");
              assertThat(e.getValue()).isEqualTo("-Xmx24m");
            });
  }

  @Test
  void theValuesSchemaRejectsWhatIsWrong() {
    assertThatThrownBy(() -> render(Map.of("operator.replicas", 0)))
        .hasMessageContaining("replicas");
    assertThatThrownBy(() -> render(Map.of("operator.retention", "a week")))
        .hasMessageContaining("retention");
    assertThatThrownBy(() -> render(Map.of("agent.stateHostPath", "relative/dir")))
        .hasMessageContaining("stateHostPath");
    assertThatThrownBy(() -> render(Map.of("operator.typo", true))).hasMessageContaining("typo");
  }

  @Test
  void theChartShipsTheGeneratedCrds() throws Exception {
    for (String crd : io.oomdoctor.model.Crds.FILES) {
      assertThat(CHART.resolve("crds").resolve(crd))
          .hasSameTextualContentAs(Paths.get("../crds").resolve(crd));
    }
    assertThat(Files.readString(CHART.resolve("values.schema.json")))
        .contains("\"additionalProperties\": false");
  }
}
