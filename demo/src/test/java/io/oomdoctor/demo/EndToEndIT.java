package io.oomdoctor.demo;

import static io.oomdoctor.demo.EndToEnd.NS;
import static io.oomdoctor.demo.EndToEnd.WAIT;
import static io.oomdoctor.demo.EndToEnd.container;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomPolicy;
import io.oomdoctor.model.OomPolicySpec;
import io.oomdoctor.model.Recommendation;
import io.oomdoctor.model.evidence.Repeats;
import io.oomdoctor.testkit.JavaHog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Operator + agent + embedded API server + real kernel OOM kills, one scenario each. Each asserts
 * what a person sees: the Pod's Event, the OomKill's status, the OomPolicy's status; and records
 * the kill-to-event latency.
 */
class EndToEndIT {
  @TempDir Path state;

  static String limitOf(Deployment d, int container) {
    return d.getSpec()
        .getTemplate()
        .getSpec()
        .getContainers()
        .get(container)
        .getResources()
        .getLimits()
        .get("memory")
        .toString();
  }

  @Test
  void aLeakInADeploymentIsDiagnosedAndALimitRecommended() throws Exception {
    try (EndToEnd e = new EndToEnd(state, FakeKubelet.Driver.CGROUPFS)) {
      e.policy("web", OomPolicySpec.Mode.Recommend, "64Mi", "1Gi");
      e.deployment(
          "web", 1, container("app", "64Mi", "memhog", "--step-mb", "2", "--interval-ms", "250"));
      OomKill kill = e.diagnosedKill(NS, EndToEnd.ofPod("web-"));
      assertThat(kill.getStatus().cause).isEqualTo("MemoryLeak");
      assertThat(kill.getStatus().recommendedLimit).isEqualTo("80Mi");
      assertThat(kill.getStatus().workload.kind).isEqualTo("Deployment");
      assertThat(kill.getSpec().attribution.containerRuntime).isEqualTo("containerd");
      Event ev = e.podEvent(kill.getSpec().pod.name);
      assertThat(ev.getType()).isEqualTo("Warning");
      assertThat(ev.getReason()).isEqualTo("OOMKilled");
      assertThat(ev.getMessage())
          .startsWith(
              "Container app: process memhog (pid "
                  + kill.getSpec().report.pid
                  + ") was OOM-killed at limit 64Mi. Cause: MemoryLeak.")
          .contains("until it reached the 64Mi limit: a leak")
          .contains("Recommended limit: 80Mi.");
      OomPolicy p = e.policyStatus("web", x -> !x.getStatus().recommendations.isEmpty());
      Recommendation r = p.getStatus().recommendations.get(0);
      assertThat(r.recommendedLimit).isEqualTo("80Mi");
      assertThat(r.currentLimit).isEqualTo("64Mi");
      assertThat(r.reason).isEqualTo("ModeRecommend");
      assertThat(r.command).contains("kubectl -n shop patch deployment web");
      assertThat(limitOf(e.k.apps().deployments().inNamespace(NS).withName("web").get(), 0))
          .isEqualTo("64Mi");
      EndToEnd.record("leak", List.of(EndToEnd.latency(kill)));
    }
  }

  @Test
  void aLimitTooLowIsRaisedWithinBoundsAndTheNextPodSurvives() throws Exception {
    try (EndToEnd e = new EndToEnd(state, FakeKubelet.Driver.CGROUPFS)) {
      e.policy("api", OomPolicySpec.Mode.Apply, "32Mi", "256Mi");
      // 56 MiB at once, 64 after 6 s, 72 after 12 s and then steady: more than 64Mi allows.
      e.deployment(
          "api",
          1,
          container(
              "app",
              "64Mi",
              "memhog",
              "--start-mb",
              "48",
              "--step-mb",
              "8",
              "--interval-ms",
              "6000",
              "--max-mb",
              "72"));
      OomKill kill = e.diagnosedKill(NS, EndToEnd.ofPod("api-"));
      assertThat(kill.getStatus().cause).isEqualTo("LimitTooLow");
      assertThat(kill.getStatus().recommendedLimit).isEqualTo("80Mi");
      assertThat(e.podEvent(kill.getSpec().pod.name).getMessage())
          .contains("Cause: LimitTooLow.")
          .contains("Recommended limit: 80Mi.");
      OomPolicy p =
          e.policyStatus(
              "api",
              x ->
                  !x.getStatus().recommendations.isEmpty()
                      && Boolean.TRUE.equals(x.getStatus().recommendations.get(0).applied));
      assertThat(p.getStatus().recommendations.get(0).recommendedLimit).isEqualTo("80Mi");
      Deployment d = e.k.apps().deployments().inNamespace(NS).withName("api").get();
      assertThat(limitOf(d, 0)).isEqualTo("80Mi");
      assertThat(e.k.v1().events().inNamespace(NS).list().getItems())
          .anySatisfy(ev -> assertThat(ev.getReason()).isEqualTo("MemoryLimitRaised"));
      // The kubelet rolls out a pod with the new limit; under the same load it lives on.
      Pod next =
          await()
              .atMost(WAIT)
              .until(
                  () ->
                      e.cluster.kubelet().podsOf(NS, "api").stream()
                          .filter(
                              pod ->
                                  "80Mi"
                                      .equals(
                                          pod.getSpec()
                                              .getContainers()
                                              .get(0)
                                              .getResources()
                                              .getLimits()
                                              .get("memory")
                                              .toString()))
                          .findFirst()
                          .orElse(null),
                  x -> x != null);
      Thread.sleep(10_000);
      Pod after = e.k.pods().inNamespace(NS).withName(next.getMetadata().getName()).get();
      assertThat(after).as("still there").isNotNull();
      assertThat(after.getStatus().getContainerStatuses().get(0).getRestartCount()).isZero();
      assertThat(e.kills(NS).filter(EndToEnd.ofPod(next.getMetadata().getName())))
          .as("not killed again")
          .isEmpty();
      EndToEnd.record("limit-too-low", List.of(EndToEnd.latency(kill)));
    }
  }

  @Test
  void aJvmWhoseXmxExceedsTheLimitGetsTheFlagToSet() throws Exception {
    try (EndToEnd e = new EndToEnd(state, FakeKubelet.Driver.CGROUPFS)) {
      e.policy("jvm", OomPolicySpec.Mode.Recommend, "64Mi", "1Gi");
      e.deployment(
          "jvm",
          1,
          container(
              "app",
              "160Mi",
              "java",
              "-Xmx512m",
              "-XX:+UseSerialGC",
              "-XX:TieredStopAtLevel=1",
              "-cp",
              "@demo-classpath",
              JavaHog.class.getName(),
              "heap",
              "8",
              "20"));
      OomKill kill = e.diagnosedKill(NS, EndToEnd.ofPod("jvm-"));
      assertThat(kill.getSpec().report.process).isEqualTo("java");
      assertThat(kill.getStatus().cause).isEqualTo("RuntimeCapMisconfigured");
      assertThat(kill.getStatus().runtimeFlags).containsEntry("-Xmx", "112m");
      assertThat(kill.getStatus().recommendedLimit).as("fix the flag, not the limit").isNull();
      assertThat(e.podEvent(kill.getSpec().pod.name).getMessage())
          .contains("The JVM may grow its heap to 512Mi, 320 % of the 160Mi limit")
          .contains("Set: -Xmx112m.");
      OomPolicy p = e.policyStatus("jvm", x -> !x.getStatus().recommendations.isEmpty());
      assertThat(p.getStatus().recommendations.get(0).reason).isEqualTo("NoLimitChange");
      assertThat(p.getStatus().recommendations.get(0).fix).contains("Set -Xmx112m");
      EndToEnd.record("jvm", List.of(EndToEnd.latency(kill)));
    }
  }

  @Test
  void aWorkerKilledWhilePid1LivesIsSeenOnlyThroughTheKernel() throws Exception {
    try (EndToEnd e = new EndToEnd(state, FakeKubelet.Driver.CGROUPFS)) {
      e.policy("workers", OomPolicySpec.Mode.Recommend, "32Mi", "1Gi");
      e.deployment(
          "workers",
          1,
          container(
              "app", "48Mi", "memhog", "--child", "--name", "worker", "--interval-ms", "100"));
      OomKill kill = e.diagnosedKill(NS, EndToEnd.ofPod("workers-"));
      assertThat(kill.getSpec().report.process).isEqualTo("worker");
      assertThat(kill.getStatus().cause).isEqualTo("SharedLimit");
      assertThat(e.podEvent(kill.getSpec().pod.name).getMessage())
          .contains("Container app: process worker")
          .contains("the pod shows no restart");
      Pod pod = e.k.pods().inNamespace(NS).withName(kill.getSpec().pod.name).get();
      assertThat(pod.getStatus().getContainerStatuses().get(0).getRestartCount())
          .as("the container did not exit")
          .isZero();
      assertThat(e.cluster.kubelet().oomKilled()).isZero();
      e.policyStatus("workers", x -> !x.getStatus().recommendations.isEmpty());
      EndToEnd.record("worker-child", List.of(EndToEnd.latency(kill)));
    }
  }

  @Test
  void aPodLevelLimitInTheSystemdLayout() throws Exception {
    try (EndToEnd e = new EndToEnd(state, FakeKubelet.Driver.SYSTEMD)) {
      e.policy("pair", OomPolicySpec.Mode.Recommend, "32Mi", "1Gi");
      Deployment d =
          new io.fabric8.kubernetes.api.model.apps.DeploymentBuilder()
              .withNewMetadata()
              .withName("pair")
              .withNamespace(NS)
              .endMetadata()
              .withNewSpec()
              .withReplicas(1)
              .withNewSelector()
              .addToMatchLabels("app", "pair")
              .endSelector()
              .withNewTemplate()
              .withNewMetadata()
              .addToLabels("app", "pair")
              .endMetadata()
              .withNewSpec()
              .withContainers(
                  container(
                      "app",
                      "64Mi",
                      "memhog",
                      "--step-mb",
                      "1",
                      "--interval-ms",
                      "100",
                      "--max-mb",
                      "60"),
                  container(
                      "sidecar",
                      "64Mi",
                      "memhog",
                      "--step-mb",
                      "1",
                      "--interval-ms",
                      "100",
                      "--max-mb",
                      "60"))
              .withResources(
                  new ResourceRequirementsBuilder()
                      .addToLimits("memory", new Quantity("96Mi"))
                      .build())
              .endSpec()
              .endTemplate()
              .endSpec()
              .build();
      e.k.resource(d).create();
      OomKill kill = e.diagnosedKill(NS, EndToEnd.ofPod("pair-"));
      assertThat(kill.getSpec().attribution.limitScope).isEqualTo("pod");
      assertThat(kill.getSpec().attribution.cgroupDriver).isEqualTo("systemd");
      assertThat(kill.getSpec().limit).isEqualTo("96Mi");
      assertThat(kill.getStatus().summary).contains("The limit hit was the pod's");
      assertThat(e.podEvent(kill.getSpec().pod.name).getMessage())
          .contains("at limit 96Mi")
          .contains("The limit hit was the pod's");
      e.policyStatus("pair", x -> !x.getStatus().recommendations.isEmpty());
      EndToEnd.record("pod-limit", List.of(EndToEnd.latency(kill)));
    }
  }

  @Test
  void aKillInAPodTheApiServerDoesNotKnowIsStillReported() throws Exception {
    try (EndToEnd e = new EndToEnd(state, FakeKubelet.Driver.CGROUPFS)) {
      String uid = UUID.randomUUID().toString();
      String cid = (UUID.randomUUID().toString() + UUID.randomUUID()).replace("-", "");
      Path cg =
          Files.createDirectories(
              e.cluster.cgroupRoot().resolve("kubepods/besteffort/pod" + uid + "/" + cid));
      FakeKubelet.limit(cg, 32L << 20);
      Path memhog = e.cluster.state().resolve("bin/memhog");
      Process p =
          new ProcessBuilder(
                  "bash",
                  "-c",
                  "echo $$ > \"$0\" && exec \"$@\"",
                  cg.resolve("cgroup.procs").toString(),
                  memhog.toString())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      try {
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        OomKill kill =
            e.diagnosedKill(
                LocalCluster.AGENT_NAMESPACE, o -> cid.equals(o.getSpec().attribution.containerId));
        assertThat(kill.getSpec().attribution.podUid).isEqualTo(uid);
        assertThat(kill.getSpec().pod == null || kill.getSpec().pod.name == null)
            .as("no pod known")
            .isTrue();
        assertThat(kill.getStatus().cause).isNotNull();
        assertThat(kill.getStatus().workload).isNull();
        assertThat(e.k.v1().events().inAnyNamespace().list().getItems())
            .noneSatisfy(ev -> assertThat(ev.getReason()).isEqualTo("OOMKilled"));
        EndToEnd.record("unknown-pod", List.of(EndToEnd.latency(kill)));
      } finally {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        for (Path dir = cg; !dir.equals(e.cluster.cgroupRoot()); dir = dir.getParent()) {
          FakeKubelet.removeCgroup(dir);
        }
      }
    }
  }

  @Test
  void fiftyKillsInABurstAreEachReportedOnceAndTheirEventsAggregated() throws Exception {
    try (EndToEnd e = new EndToEnd(state, FakeKubelet.Driver.CGROUPFS)) {
      e.cluster.kubelet().restartDelayMs(200);
      e.cluster.kubelet().maxRestarts(9); // 5 pods × 10 kills
      e.policy("burst", OomPolicySpec.Mode.Recommend, "32Mi", "1Gi");
      e.deployment("burst", 5, container("app", "32Mi", "memhog", "--start-mb", "48"));
      await().atMost(WAIT).until(() -> e.cluster.kubelet().oomKilled() >= 50);
      await()
          .atMost(WAIT)
          .until(
              () ->
                  java.util.stream.Stream.concat(
                                  e.kills(NS).filter(EndToEnd.ofPod("burst-")),
                                  e.kills(LocalCluster.AGENT_NAMESPACE))
                              .mapToInt(k -> Repeats.count(k.getSpec().repeats))
                              .sum()
                          >= 50
                      || !e.kubeletAndAgentBusy());
      Thread.sleep(2000);
      List<OomKill> kills = e.kills(NS).filter(EndToEnd.ofPod("burst-")).toList();
      System.out.println(
          "burst: kubelet saw "
              + e.cluster.kubelet().oomKilled()
              + " kills; OomKills in shop "
              + kills.size()
              + ", in "
              + LocalCluster.AGENT_NAMESPACE
              + " "
              + e.kills(LocalCluster.AGENT_NAMESPACE).count()
              + "; agent "
              + e.agentCounters());
      e.kills(LocalCluster.AGENT_NAMESPACE)
          .forEach(
              o ->
                  System.out.println(
                      "burst: unattributed "
                          + o.getSpec().attribution.podUid
                          + " "
                          + o.getSpec().attribution.containerId
                          + " seq "
                          + o.getSpec().report.seq
                          + " at "
                          + o.getSpec().report.timestamp
                          + " created "
                          + o.getMetadata().getCreationTimestamp()));
      e.k
          .pods()
          .inNamespace(NS)
          .list()
          .getItems()
          .forEach(
              pod ->
                  System.out.println(
                      "burst: pod "
                          + pod.getMetadata().getUid()
                          + " "
                          + pod.getMetadata().getName()));
      // Lone kill lines (the kernel's rate-limited form) name no cgroup: each is attributed when
      // exactly one container's oom_kill counter rose, else reported unattributed, never guessed.
      // Under a storm the agent may count several kills of one container into one OomKill
      // (spec.repeats, at its write rate): every kill is counted once all the same.
      List<OomKill> unattributed = e.kills(LocalCluster.AGENT_NAMESPACE).toList();
      int attributed = kills.stream().mapToInt(k -> Repeats.count(k.getSpec().repeats)).sum();
      int others = unattributed.stream().mapToInt(k -> Repeats.count(k.getSpec().repeats)).sum();
      assertThat(attributed + others).as("every kill once").isEqualTo(50);
      assertThat(
              java.util.stream.Stream.concat(kills.stream(), unattributed.stream())
                  .map(k -> k.getSpec().report.seq)
                  .distinct())
          .hasSize(kills.size() + unattributed.size());
      assertThat(unattributed)
          .allSatisfy(
              k -> {
                assertThat(k.getSpec().report.complete).isFalse();
                assertThat(k.getSpec().pod).isNull();
                assertThat(k.getSpec().attribution.method).isNull();
              });
      assertThat(attributed).as("most kills attributed").isGreaterThanOrEqualTo(40);
      long rateLimited =
          kills.stream().filter(k -> Boolean.FALSE.equals(k.getSpec().report.complete)).count();
      System.out.println(
          "burst: "
              + rateLimited
              + " of the attributed reports rate-limited by the kernel to the kill line; "
              + unattributed.size()
              + " unattributed");
      assertThat(kills)
          .filteredOn(k -> Boolean.FALSE.equals(k.getSpec().report.complete))
          .allSatisfy(
              k -> {
                assertThat(k.getSpec().report.incompleteReason).contains("rate-limits OOM reports");
                assertThat(k.getSpec().attribution.method).isIn("proc", "counter");
              });
      assertThat(kills)
          .allSatisfy(
              k ->
                  assertThat(k.getSpec().attribution.podUid)
                      .isEqualTo(k.getSpec().pod.uid)
                      .isEqualTo(k.getMetadata().getLabels().get(OomKill.LABEL_POD_UID)));
      List<Event> events =
          e.k.v1().events().inNamespace(NS).list().getItems().stream()
              .filter(ev -> "OOMKilled".equals(ev.getReason()))
              .toList();
      assertThat(events.stream().mapToInt(Event::getCount).sum())
          .as("all counted")
          .isEqualTo(attributed);
      assertThat(events.size()).as("aggregated per pod and cause").isLessThanOrEqualTo(5 * 2);
      assertThat(
              e.policyStatus(
                      "burst",
                      x -> x.getStatus().killsSeen != null && x.getStatus().killsSeen == attributed)
                  .getStatus()
                  .workloads)
          .isEqualTo(1);
      EndToEnd.record("burst", kills.stream().map(EndToEnd::latency).toList());
    }
  }

  /**
   * Two containers at their limits in real cgroups, for as long: one holds 76 MiB of its own memory
   * under 80Mi (working set near the limit: OOMRisk), the other has written 256 MiB of files under
   * 64Mi (usage at the limit, all of it page cache the kernel reclaims: no risk). The first one's
   * Warning is the marker that the second one was weighed as long.
   */
  @Test
  void pageCacheAtTheLimitIsNoRiskWhileAWorkingSetNearItIs() throws Exception {
    try (EndToEnd e = new EndToEnd(state, FakeKubelet.Driver.CGROUPFS)) {
      Path files = Files.createDirectories(state.resolve("cache-files"));
      e.deployment(
          "cache",
          1,
          container(
              "app",
              "64Mi",
              "memhog",
              "--file-dir",
              files.toString(),
              "--step-mb",
              "8",
              "--interval-ms",
              "100",
              "--max-mb",
              "256"));
      e.deployment(
          "near",
          1,
          container(
              "app", "80Mi", "memhog", "--step-mb", "8", "--interval-ms", "100", "--max-mb", "76"));
      Event near =
          await()
              .atMost(WAIT)
              .until(
                  () ->
                      e.k.v1().events().inNamespace(NS).list().getItems().stream()
                          .filter(x -> "OOMRisk".equals(x.getReason()))
                          .filter(x -> x.getInvolvedObject().getName().startsWith("near-"))
                          .findFirst()
                          .orElse(null),
                  x -> x != null);
      assertThat(near.getMessage()).containsPattern("working set 9\\d % of 80Mi for \\d+ s");
      assertThat(e.k.v1().events().inNamespace(NS).list().getItems())
          .as("the page cache container, at its limit as long, has no risk")
          .noneMatch(
              x ->
                  x.getReason().startsWith("OOMRisk")
                      && x.getInvolvedObject().getName().startsWith("cache-"));
      String scrape = e.cluster.agentMetrics().scrape();
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile(
                  "oomdoctor_container_working_set_ratio\\{container=\"app\",namespace=\"shop\","
                      + "pod=\"cache-[^\"]+\"\\} ([0-9.]+)")
              .matcher(scrape);
      assertThat(m.find()).as(scrape).isTrue();
      assertThat(Double.parseDouble(m.group(1))).as("working set over limit").isLessThan(0.6);
      assertThat(e.kills(NS).filter(EndToEnd.ofPod("cache-"))).as("no kill either").isEmpty();
    }
  }
}
