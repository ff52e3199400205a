package io.oomdoctor.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.agent.cgroup.PathAttribution;
import io.oomdoctor.agent.testing.KmsgFollower;
import io.oomdoctor.model.evidence.OomReport;
import io.oomdoctor.testkit.CgroupSandbox;
import io.oomdoctor.testkit.RealKernel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Real kernel OOM kills in real cgroups laid out as kubelet lays them out, read back from the real
 * /dev/kmsg and checked field by field.
 */
class RealOomKillIT {
  private static final Duration REPORT_TIMEOUT = Duration.ofSeconds(20);
  private CgroupSandbox sandbox;
  private KmsgFollower kmsg;

  @BeforeEach
  void setUp() throws Exception {
    RealKernel.require();
    sandbox = CgroupSandbox.create();
    kmsg = new KmsgFollower();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (kmsg != null) {
      kmsg.close();
    }
    if (sandbox != null) {
      sandbox.close();
    }
  }

  @Test
  void containerLimitInCgroupfsLayout() throws Exception {
    String uid = CgroupSandbox.podUid();
    String cid = CgroupSandbox.containerId();
    Path container = sandbox.cgroupfsContainer("burstable", uid, cid);
    sandbox.limit(container, 48L << 20);

    Process p = sandbox.start(container, List.of(RealKernel.memhog().toString()));
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("killed by SIGKILL").isEqualTo(137);

    OomReport r = kmsg.awaitOne(x -> cid.equals(PathAttribution.of(x).containerId), REPORT_TIMEOUT);
    assertThat(r.kind).isEqualTo("cgroup");
    assertThat(r.complete).isTrue();
    assertThat(r.pid).isEqualTo((int) p.pid());
    assertThat(r.process).isEqualTo("memhog");
    assertThat(PathAttribution.of(r).podUid).isEqualTo(uid);
    assertThat(PathAttribution.of(r).qosClass).isEqualTo("burstable");
    assertThat(PathAttribution.of(r).cgroupDriver).isEqualTo("cgroupfs");
    assertThat(PathAttribution.of(r).limitScope).isEqualTo("container");
    assertThat(r.constraint).isEqualTo("CONSTRAINT_MEMCG");
    assertThat(r.limitKb).isEqualTo(48L * 1024);
    assertThat(r.usageKb).isGreaterThan(40L * 1024).isLessThanOrEqualTo(48L * 1024);
    assertThat(r.failcnt).isPositive();
    assertThat(r.oomMemcg).isEqualTo(sandbox.kernelPath(container)).isEqualTo(r.taskMemcg);
    assertThat(r.anonRssKb).isGreaterThan(20L * 1024);
    assertThat(r.invoker.process).isEqualTo("memhog");
    assertThat(r.memcgStats).containsKeys("rss", "cache", "total_rss");
    assertThat(r.tasks)
        .anySatisfy(
            t -> {
              assertThat(t.pid).isEqualTo((int) p.pid());
              assertThat(t.name).isEqualTo("memhog");
              assertThat(t.rssPages).isPositive();
            });
    assertThat(kmsg.matching(x -> cid.equals(PathAttribution.of(x).containerId)))
        .as("reported once")
        .hasSize(1);
  }

  @Test
  void podLimitInSystemdLayoutWithNameOfSpacesAndParentheses() throws Exception {
    String uid = CgroupSandbox.podUid();
    String cid = CgroupSandbox.containerId();
    Path container = sandbox.systemdContainer("burstable", uid, cid);
    Path pod = container.getParent();
    sandbox.limit(pod, 40L << 20);

    Process p =
        sandbox.start(container, List.of(RealKernel.memhog().toString(), "--name", "web (w 1)"));
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(137);

    OomReport r = kmsg.awaitOne(x -> cid.equals(PathAttribution.of(x).containerId), REPORT_TIMEOUT);
    assertThat(PathAttribution.of(r).limitScope).isEqualTo("pod");
    assertThat(PathAttribution.of(r).cgroupDriver).isEqualTo("systemd");
    assertThat(PathAttribution.of(r).containerRuntime).isEqualTo("containerd");
    assertThat(PathAttribution.of(r).podUid).isEqualTo(uid);
    assertThat(r.process).isEqualTo("web (w 1)");
    assertThat(r.oomMemcg).isEqualTo(sandbox.kernelPath(pod));
    assertThat(r.taskMemcg).isEqualTo(sandbox.kernelPath(container));
    assertThat(r.limitKb).isEqualTo(40L * 1024);
    assertThat(r.tasks).anySatisfy(t -> assertThat(t.name).isEqualTo("web (w 1)"));
  }

  @Test
  void guaranteedPodWorkerChildKilledWhileMainProcessLives() throws Exception {
    String uid = CgroupSandbox.podUid();
    String cid = CgroupSandbox.containerId();
    Path container = sandbox.cgroupfsContainer("guaranteed", uid, cid);
    sandbox.limit(container, 48L << 20);

    Process main =
        sandbox.start(
            container, List.of(RealKernel.memhog().toString(), "--child", "--name", "worker"));
    OomReport r = kmsg.awaitOne(x -> cid.equals(PathAttribution.of(x).containerId), REPORT_TIMEOUT);

    assertThat(PathAttribution.of(r).qosClass).isEqualTo("guaranteed");
    assertThat(r.process).isEqualTo("worker");
    assertThat(r.pid)
        .as("the child, not the container's main process")
        .isNotEqualTo((int) main.pid());
    assertThat(main.isAlive()).as("the main process survives; only the kernel log tells").isTrue();
    assertThat(r.tasks).extracting(t -> t.pid).contains((int) main.pid(), r.pid);
  }
}
