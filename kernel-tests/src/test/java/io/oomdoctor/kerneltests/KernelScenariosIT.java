package io.oomdoctor.kerneltests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.oomdoctor.diagnosis.Cause;
import io.oomdoctor.diagnosis.Diagnoser;
import io.oomdoctor.model.OomKillSpec;
import io.oomdoctor.model.evidence.Attribution;
import io.oomdoctor.model.evidence.CgroupSnapshot;
import io.oomdoctor.model.evidence.MemoryTrend;
import io.oomdoctor.model.evidence.OomReport;
import io.oomdoctor.model.evidence.ProcessSnapshot;
import io.oomdoctor.testkit.RealKernel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The real agent ({@code oomdoctor-agent run --exporter stdout}, through its launcher with its real
 * JVM flags) against real OOM kills in kubelet's cgroup layouts, on two kernels with one scenario
 * body and one set of assertions: this machine's kernel with the cgroup v1 memory controller, and
 * Debian's 6.1 in a qemu guest with every controller on cgroup v2 (where a host OOM and
 * memory.oom.group can be had too). Every field is checked against what the scenario set up and
 * what the kernel counted. docs/testing.md says how to run one scenario by hand.
 */
class KernelScenariosIT {
  private static final boolean CI = "true".equalsIgnoreCase(System.getenv("CI"));

  @TestFactory
  Stream<DynamicTest> v1OnThisMachinesKernel() throws Exception {
    RealKernel.require();
    requireGuestParts();
    ScenarioRun run = ScenarioRun.onThisMachine();
    return tests(run, ScenarioRun.COMMON);
  }

  @TestFactory
  Stream<DynamicTest> v2InADebianKernelGuest() throws Exception {
    requireGuestParts();
    ScenarioRun run = ScenarioRun.inGuest();
    List<String> all = new ArrayList<>(ScenarioRun.COMMON);
    all.addAll(ScenarioRun.V2_ONLY);
    return tests(run, all);
  }

  private static void requireGuestParts() {
    String reason = Guest.unavailableReason();
    if (reason == null) {
      return;
    }
    if (CI) {
      fail("The kernel tier must run in CI, but: " + reason);
    }
    Assumptions.abort("Kernel tier skipped: " + reason);
  }

  private static Stream<DynamicTest> tests(ScenarioRun run, List<String> scenarios) {
    String hierarchy = "v" + run.version + " (" + run.kernel + ")";
    List<DynamicTest> out = new ArrayList<>();
    out.add(
        DynamicTest.dynamicTest(
            hierarchy + " · the run finished",
            () ->
                assertThat(run.finished())
                    .as("the scenarios ran to their end; the output ended with:\n%s", run.tail())
                    .isTrue()));
    for (String s : scenarios) {
      out.add(DynamicTest.dynamicTest(hierarchy + " · " + s, () -> check(run, s)));
    }
    return out.stream();
  }

  /** The process name each scenario gives its victim. */
  static String victimName(String scenario) {
    return switch (scenario) {
      case "systemd-burstable-container" -> "kt-sd-burst";
      case "cgroupfs-guaranteed-container" -> "kt-fs-guar";
      case "systemd-besteffort-node-allocatable" -> "kt-sd-best";
      case "cgroupfs-burstable-pod-limit" -> "kt-fs-pod";
      case "cgroupfs-burstable-child-process" -> "kt-child";
      case "systemd-burstable-oom-group" -> "kt-group";
      case "host-oom" -> "kt-host";
      default -> throw new IllegalArgumentException(scenario);
    };
  }

  static void check(ScenarioRun run, String scenario) throws Exception {
    String name = victimName(scenario);
    Map<String, String> truth = run.truth.get(name);
    assertThat(truth).as("the scenario ran; output:\n%s", run.tail()).isNotNull();
    List<JsonNode> kills = run.killsOf(name);
    assertThat(kills)
        .as("one line of the agent names %s; output:\n%s", name, run.tail())
        .hasSize(1);
    JsonNode k = kills.get(0);
    OomKillSpec spec = spec(k);
    OomReport r = spec.report;
    Attribution a = spec.attribution;

    // Who was killed, and where.
    assertThat(r.kind).isEqualTo(truth.getOrDefault("kind", OomReport.KIND_CGROUP));
    assertThat(r.complete).as("a full report (%s)", r.incompleteReason).isTrue();
    assertThat(a.method).isEqualTo(Attribution.METHOD_REPORT_PATH);
    assertThat(a.podUid).isEqualTo(truth.get("pod"));
    assertThat(a.containerId).isEqualTo(truth.get("container"));
    assertThat(a.qosClass).isEqualTo(truth.get("qos"));
    assertThat(a.limitScope).isEqualTo(truth.get("scope"));
    assertThat(a.cgroupDriver).isEqualTo(truth.get("driver"));
    assertThat(r.taskMemcg)
        .endsWith(
            truth.get("container")
                + (scenario.startsWith("systemd") || scenario.equals("host-oom") ? ".scope" : ""));
    if ("true".equals(truth.get("child"))) {
      long parent = run.pids.get("PARENT " + name).get(0);
      assertThat(r.pid)
          .as("the child, not the container's first process")
          .isNotEqualTo((int) parent);
      assertThat(r.pid).isNotNull();
    } else {
      assertThat(r.pid).isEqualTo(run.pids.get("PID " + name).get(0).intValue());
    }
    assertThat(r.anonRssKb).isGreaterThan(0L);

    // What the kernel counted, as the agent read it right after the kill.
    Map<String, String> kernel = run.counters.get(name);
    assertThat(kernel).isNotNull();
    CgroupSnapshot task =
        spec.cgroups.stream().filter(c -> r.taskMemcg.equals(c.path)).findFirst().orElse(null);
    assertThat(task).as("the victim's cgroup as the agent read it").isNotNull();
    assertThat(task.version).isEqualTo(run.version);
    assertThat(task.oomKills).as("oom_kill").isEqualTo(Long.valueOf(kernel.get("oom_kill")));
    if (!kernel.get("peak").isEmpty()) {
      assertThat(task.peakBytes)
          .as("the high-water mark")
          .isEqualTo(Long.valueOf(kernel.get("peak")));
    }
    if (run.version == 2 && truth.get("scope").equals("container")) {
      assertThat(task.oomEvents).as("memory.events oom").isEqualTo(Long.valueOf(kernel.get("oom")));
      assertThat(task.oomGroupKills)
          .as("memory.events oom_group_kill")
          .isEqualTo(Long.valueOf(kernel.get("oom_group_kill")));
    }

    // The trend the sampler recorded before the kill (it grows 4 MiB every 300 ms, sampled every
    // second; a host OOM grows faster).
    MemoryTrend t = spec.trend;
    assertThat(t).isNotNull();
    assertThat(t.samples).as("samples before the kill").isGreaterThanOrEqualTo(2);
    assertThat(t.peakBytes).isGreaterThan(0L);
    if (!scenario.equals("host-oom")) {
      assertThat(t.growthBytesPerHour).as("it grew").isGreaterThan(0L);
    }

    if ("true".equals(truth.get("group"))) {
      List<Long> members = run.pids.get("MEMBERS " + name);
      assertThat(r.oomGroup).as("the cgroup killed as a group").isEqualTo(r.taskMemcg);
      assertThat(spec.repeats).as("one event with all its victims").isNotNull();
      assertThat(spec.repeats.count).isEqualTo(1 + members.size());
      assertThat(spec.repeats.pids)
          .containsExactlyInAnyOrder(r.pid, members.get(0).intValue(), members.get(1).intValue());
      assertThat(Long.valueOf(kernel.get("oom_group_kill"))).isEqualTo(1L);
      for (Long m : members) {
        assertThat(run.agent.stream().filter(x -> x.path("pid").asLong() == m))
            .as("a member is no kill of its own")
            .isEmpty();
      }
    }
    if (scenario.equals("host-oom")) {
      assertThat(new Diagnoser().diagnose(spec).cause()).isEqualTo(Cause.HostOom);
    }
  }

  /** The OomKill spec of one of the agent's JSON lines (the report flat, then the evidence). */
  static OomKillSpec spec(JsonNode line) throws Exception {
    OomKillSpec s = new OomKillSpec();
    s.report = ScenarioRun.JSON.treeToValue(line, OomReport.class);
    s.attribution = ScenarioRun.JSON.treeToValue(line.get("attribution"), Attribution.class);
    s.nodeName = line.path("node").asText(null);
    s.cgroups = List.of(ScenarioRun.JSON.treeToValue(line.get("cgroups"), CgroupSnapshot[].class));
    s.trend = ScenarioRun.JSON.treeToValue(line.get("trend"), MemoryTrend.class);
    s.processes = ScenarioRun.JSON.treeToValue(line.get("processes"), ProcessSnapshot.class);
    s.repeats =
        ScenarioRun.JSON.treeToValue(
            line.get("repeats"), io.oomdoctor.model.evidence.Repeats.class);
    s.pod =
        ScenarioRun.JSON.treeToValue(
            line.get("pod"), io.oomdoctor.model.evidence.PodReference.class);
    s.limit = line.path("limitKb").isNumber() ? line.path("limitKb").asText() + "Ki" : null;
    return s;
  }
}
