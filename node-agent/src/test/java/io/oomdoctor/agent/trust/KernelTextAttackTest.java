package io.oomdoctor.agent.trust;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.agent.cgroup.PathAttribution;
import io.oomdoctor.agent.kmsg.KmsgRecord;
import io.oomdoctor.agent.kmsg.KmsgRecordParser;
import io.oomdoctor.agent.parse.OomReportParser;
import io.oomdoctor.model.evidence.Attribution;
import io.oomdoctor.model.evidence.OomReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A process inside a container attacks the agent through the only kernel text it controls: its own
 * name (prctl PR_SET_NAME, 15 bytes, any bytes) and the names of cgroups it makes below its
 * container's. The report is a real one (Linux 6.18, cgroup v1) with the victim renamed, as
 * /dev/kmsg prints it: commas as they are, other bytes as {@code \xNN}.
 */
class KernelTextAttackTest {
  static final String POD_A = "8f3c2a4e-1b7d-4c9a-9e2f-5d6a7b8c9d01";
  static final String CID_A = "3aa524735953bba4ebc64dfd3f0080cb4ac9790f83675e0b77ff9414c0165df0";
  static final String POD_B = "0b0b0b0b-1111-4222-8333-444444444444";
  static final String CID_B = "b".repeat(64);

  static List<String> realReport() throws IOException {
    return Files.readAllLines(
        io.oomdoctor.testkit.Fixtures.of("kernel", "6.18-v1-cgroupfs-container-limit.kmsg"),
        StandardCharsets.ISO_8859_1);
  }

  /** The real report with the victim's name replaced by {@code name} (kmsg-escaped already). */
  static List<String> renamed(String name) throws IOException {
    List<String> out = new ArrayList<>();
    for (String l : realReport()) {
      out.add(
          l.replace("-;alloc invoked", "-;" + name + " invoked")
              .replace("Comm: alloc ", "Comm: " + name + " ")
              .replace(" 0 alloc", " 0 " + name)
              .replace("task=alloc,", "task=" + name + ",")
              .replace("(alloc)", "(" + name + ")"));
    }
    return out;
  }

  static List<OomReport> parse(List<String> records) {
    List<OomReport> out = new ArrayList<>();
    OomReportParser parser = OomReportParser.collecting(out::add);
    for (String raw : records) {
      KmsgRecord r = KmsgRecordParser.parse(raw);
      r.lines(null).forEach(parser::accept);
    }
    parser.flush();
    return out;
  }

  @Test
  void aNameCarryingKeysOverridesNoFieldOfTheSummary() throws IOException {
    for (String name : List.of(",constraint=X", ",global_oom", "x,pid=1,uid=7", "x,cpuset=/evil")) {
      OomReport r = parse(renamed(name)).get(0);
      assertThat(r.constraint).as(name).isEqualTo("CONSTRAINT_MEMCG");
      assertThat(r.kind).as("%s: still a cgroup OOM, not a host OOM", name).isEqualTo("cgroup");
      assertThat(r.constraintDetails).as(name).doesNotContainKey("global_oom");
      assertThat(r.constraintDetails.get("cpuset")).as(name).isEqualTo("/");
      assertThat(r.pid).as(name).isEqualTo(15236);
      assertThat(r.uid).as(name).isZero();
      assertThat(r.process).as(name).isEqualTo(name);
      assertThat(r.constraintDetails.get("task")).as(name).isEqualTo(name);
      assertThat(r.complete).as(name).isTrue();
      assertThat(PathAttribution.of(r).podUid).as(name).isEqualTo(POD_A);
    }
  }

  @Test
  void aNameCarryingAUidFieldDoesNotChangeTheUid() throws IOException {
    OomReport r = parse(renamed("UID:4242 x")).get(0);
    assertThat(r.uid).isZero();
    assertThat(r.process).isEqualTo("UID:4242 x");
  }

  @Test
  void anEscapedNewlineInANameAddsNoTaskRowAndKeepsTheVictim() throws IOException {
    String name = "a\\x0a[9] 0 9 99";
    List<OomReport> reports = parse(renamed(name));
    assertThat(reports).singleElement();
    OomReport r = reports.get(0);
    assertThat(r.complete).as("the victim line is read whole").isTrue();
    assertThat(r.pid).isEqualTo(15236);
    assertThat(r.process).isEqualTo(name);
    assertThat(r.tasks).singleElement().satisfies(t -> assertThat(t.pid).isEqualTo(15236));
    assertThat(r.tasks.get(0).name).isEqualTo(name);
    assertThat(r.invoker.process).isEqualTo(name);
  }

  @Test
  void controlCharactersStayEscapedInTheReport() throws IOException {
    OomReport r = parse(renamed("\\x1b[31mred\\x0d")).get(0);
    assertThat(r.process).isEqualTo("\\x1b[31mred\\x0d");
    assertThat(r.process.chars().noneMatch(c -> c < 0x20 || c == 0x7f)).isTrue();
  }

  @Test
  void aKubepodsPathNestedInsideAContainerIsStillThatContainer() {
    OomReport r = new OomReport();
    r.kind = OomReport.KIND_CGROUP;
    String outer = "/kubepods/burstable/pod" + POD_A + "/" + CID_A;
    r.oomMemcg = outer;
    r.taskMemcg = outer + "/kubepods/burstable/pod" + POD_B + "/" + CID_B;
    Attribution a = PathAttribution.of(r);
    assertThat(a.podUid).as("the outermost kubepods is the hierarchy's").isEqualTo(POD_A);
    assertThat(a.containerId).isEqualTo(CID_A);
    assertThat(a.limitScope).isEqualTo("container");

    String systemd =
        "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
            + POD_A.replace('-', '_')
            + ".slice/cri-containerd-"
            + CID_A
            + ".scope";
    r.taskMemcg = systemd + "/kubepods.slice/kubepods-pod" + POD_B.replace('-', '_') + ".slice";
    r.oomMemcg = systemd;
    assertThat(PathAttribution.of(r).podUid).isEqualTo(POD_A);
    assertThat(PathAttribution.of(r).containerId).isEqualTo(CID_A);
  }

  @Test
  void aCgroupNamedLikeTheSummaryKeysCannotMoveTheSplit() throws IOException {
    // A container made a child cgroup, set a limit on it, and named it to look like the start of
    // another pod's task_memcg; the kernel prints the whole name.
    String outer = "/sandbox/kubepods/burstable/pod" + POD_A + "/" + CID_A;
    String evil = outer + "/x,task_memcg=/kubepods/burstable/pod" + POD_B + "/" + CID_B;
    List<String> records = new ArrayList<>();
    for (String l : realReport()) {
      if (l.contains("oom-kill:constraint=")) {
        l =
            l.substring(0, l.indexOf(";") + 1)
                + "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
                + "oom_memcg="
                + evil
                + ",task_memcg="
                + evil
                + "/w,task=alloc,pid=15236,uid=0";
      }
      records.add(l);
    }
    OomReport r = parse(records).get(0);
    assertThat(r.oomMemcg).isEqualTo(evil);
    assertThat(r.taskMemcg).isEqualTo(evil + "/w");
    Attribution a = PathAttribution.of(r);
    assertThat(a.podUid).isEqualTo(POD_A);
    assertThat(a.containerId).isEqualTo(CID_A);
  }

  /** The real report with its oom-kill summary replaced by {@code summary}. */
  static List<String> withSummary(String summary) throws IOException {
    List<String> out = new ArrayList<>();
    for (String l : realReport()) {
      out.add(
          l.contains("oom-kill:") ? l.substring(0, l.indexOf(';') + 1) + "oom-kill:" + summary : l);
    }
    return out;
  }

  @Test
  void aCpusetNamedLikeTheSummaryKeysCannotMakeAHostOom() throws IOException {
    // With cpuset enabled below its container, a process names its cpuset cgroup; the kernel
    // prints that name as cpuset=, before the OOM cgroup.
    String real = "/sandbox/kubepods/burstable/pod" + POD_A + "/" + CID_A;
    for (String cpuset :
        List.of(
            "c,mems_allowed=0,oom_memcg=kubepods,task_memcg=kubepods,task=Q",
            "c,mems_allowed=0,global_oom")) {
      OomReport r =
          parse(
                  withSummary(
                      "constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset="
                          + cpuset
                          + ",mems_allowed=0,oom_memcg="
                          + real
                          + ",task_memcg="
                          + real
                          + ",task=alloc,pid=15236,uid=0"))
              .get(0);
      assertThat(r.constraintDetails.get("cpuset")).as(cpuset).isEqualTo(cpuset);
      assertThat(r.constraintDetails).as(cpuset).doesNotContainKey("global_oom");
      assertThat(r.oomMemcg).as(cpuset).isEqualTo(real);
      assertThat(r.taskMemcg).as(cpuset).isEqualTo(real);
      assertThat(r.kind).isEqualTo("cgroup");
      Attribution a = PathAttribution.of(r);
      assertThat(a.limitScope).as(cpuset).isEqualTo("container");
      assertThat(a.containerId).as(cpuset).isEqualTo(CID_A);
    }
  }

  @Test
  void aSummaryNoSplitOfWhichTheKernelCouldPrintIsNotBelieved() throws IOException {
    // The victim's cgroup outside the OOM cgroup: no kernel prints that.
    OomReport r =
        parse(
                withSummary(
                    "constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0"
                        + ",oom_memcg=/kubepods/burstable/pod"
                        + POD_B
                        + "/"
                        + CID_B
                        + ",task_memcg=/kubepods/burstable/pod"
                        + POD_A
                        + "/"
                        + CID_A
                        + ",task=alloc,pid=15236,uid=0"))
            .get(0);
    assertThat(r.complete).isFalse();
    assertThat(r.incompleteReason).contains("oom-kill summary line could not be read");
    assertThat(r.constraintDetails).isNull();
  }

  @Test
  void anOldKernelsTaskInLineIsSplitOnlyWhereTheVictimLiesInsideTheLimit() {
    // Kernels before 4.19. Directories the container made below its own, named so that the path
    // holds the line's own words and another pod's path.
    String a = "/kubepods/burstable/pod" + POD_A + "/" + CID_A;
    String victim =
        a + "/q killed as a result of limit of /kubepods/burstable/pod" + POD_B + "/" + CID_B;
    List<OomReport> out = new ArrayList<>();
    OomReportParser parser = OomReportParser.collecting(out::add);
    for (String raw :
        List.of(
            "4,1,100,-;q invoked oom-killer: gfp_mask=0xd0, order=0, oom_score_adj=0",
            "6,2,101,-;Task in " + victim + " killed as a result of limit of " + victim,
            "6,3,102,-;memory: usage 65536kB, limit 65536kB, failcnt 3",
            "3,4,103,-;Memory cgroup out of memory: Kill process 77 (q) score 999 or sacrifice child",
            "3,5,104,-;Killed process 77 (q) total-vm:1000kB, anon-rss:900kB, file-rss:0kB")) {
      KmsgRecordParser.parse(raw).lines(null).forEach(parser::accept);
    }
    parser.flush();
    OomReport r = out.get(0);
    assertThat(r.taskMemcg).isEqualTo(victim);
    assertThat(r.oomMemcg).isEqualTo(victim);
    assertThat(PathAttribution.of(r).podUid).isEqualTo(POD_A);
  }
}
