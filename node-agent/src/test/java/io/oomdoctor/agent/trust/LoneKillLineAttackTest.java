package io.oomdoctor.agent.trust;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.agent.EvidenceAssembler;
import io.oomdoctor.agent.cgroup.CgroupTree;
import io.oomdoctor.agent.pod.PodResolver;
import io.oomdoctor.model.OomKillSpec;
import io.oomdoctor.model.evidence.Attribution;
import io.oomdoctor.model.evidence.OomReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel prints only "Killed process PID (name)" once it rate-limits its reports. Which
 * container that was is inferred from the containers' oom_kill counters; a container must never be
 * blamed for a kill because its counter was already above zero, or because several rose at once.
 * The tree is a cgroup v1 fixture of real file formats ({@code memory.oom_control}).
 */
class LoneKillLineAttackTest {
  static final String POD = "0a1b2c3d-0000-4000-8000-0000000000";

  @TempDir Path root;
  private CgroupTree tree;
  private EvidenceAssembler assembler;
  private int pid = 4000;

  @BeforeEach
  void setUp() throws IOException {
    Files.writeString(root.resolve("memory.usage_in_bytes"), "0\n");
    Files.createDirectories(root.resolve("proc"));
    tree = new CgroupTree(root, root);
  }

  private Path container(String pod, char id, long kills) throws IOException {
    Path dir =
        root.resolve("kubepods/burstable/pod" + POD + pod + "/" + String.valueOf(id).repeat(64));
    Files.createDirectories(dir);
    for (String f :
        new String[] {"memory.usage_in_bytes", "memory.stat", "cgroup.procs", "tasks"}) {
      Files.writeString(dir.resolve(f), "0\n");
    }
    kills(dir, kills);
    return dir;
  }

  private static void kills(Path dir, long n) throws IOException {
    Files.writeString(
        dir.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill " + n + "\n");
  }

  private void start() {
    assembler =
        new EvidenceAssembler(
            "node-a", "oomdoctor-system", tree, null, PodResolver.NONE, root.resolve("proc"));
    assembler.baseline();
  }

  /** What the agent makes of the kernel's lone kill line. */
  private OomKillSpec loneLine() {
    OomReport r = new OomReport();
    r.kind = OomReport.KIND_CGROUP;
    r.complete = true;
    r.pid = ++pid;
    r.process = "worker";
    r.seq = (long) pid;
    return assembler.assemble(r, System.currentTimeMillis()).getSpec();
  }

  @Test
  void aCounterAboveZeroBeforeStartUpIsNeverBlamed() throws IOException {
    container("01", 'a', 3);
    container("02", 'b', 0);
    start();
    OomKillSpec s = loneLine();
    assertThat(s.attribution.podUid).as("unattributed, never guessed").isNull();
    assertThat(s.attribution.method).isNull();
    assertThat(s.pod).isNull();
    assertThat(s.report.complete).isFalse();
    assertThat(s.report.taskMemcg).as("the report keeps only what the kernel said").isNull();
  }

  @Test
  void theOnlyCounterThatRoseTakesTheKillOnce() throws IOException {
    Path a = container("01", 'a', 3);
    container("02", 'b', 1);
    start();
    kills(a, 4);
    OomKillSpec s = loneLine();
    assertThat(s.attribution.podUid).isEqualTo(POD + "01");
    assertThat(s.attribution.containerId).isEqualTo("a".repeat(64));
    assertThat(s.attribution.method).isEqualTo(Attribution.METHOD_COUNTER);
    assertThat(loneLine().attribution.podUid).as("one rise accounts for one kill line").isNull();
  }

  @Test
  void severalRisenCountersAttributeNothingAndDoNotStayAmbiguous() throws IOException {
    Path a = container("01", 'a', 0);
    Path b = container("02", 'b', 0);
    Path c = container("03", 'c', 0);
    start();
    kills(a, 1);
    kills(b, 1);
    assertThat(loneLine().attribution.podUid).isNull();
    assertThat(loneLine().attribution.podUid).isNull();
    kills(c, 1);
    assertThat(loneLine().attribution.podUid).isEqualTo(POD + "03");
  }

  @Test
  void aContainerMadeAfterStartUpAccountsForItsKillsFromZero() throws IOException {
    container("01", 'a', 5); // killed five times before the agent started
    start();
    container("02", 'b', 1); // made, and killed, between two looks
    OomKillSpec s = loneLine();
    assertThat(s.attribution.podUid)
        .as("the only counter that rose while the agent watched")
        .isEqualTo(POD + "02");
    assertThat(loneLine().attribution.podUid).isNull();
  }

  @Test
  void aReusedPidIsNotBelievedWithoutItsCounterRising() throws IOException {
    container("01", 'a', 0);
    Path b = container("02", 'b', 0);
    start();
    int victim = pid + 1;
    // The victim is gone; a new process of another container got its PID.
    Path proc = Files.createDirectories(root.resolve("proc").resolve(Integer.toString(victim)));
    Files.writeString(proc.resolve("cgroup"), "5:memory:" + tree.kernelPath(b) + "\n");
    OomKillSpec s = loneLine();
    assertThat(s.attribution.podUid).isNull();

    // The same with the counter risen: the process was the victim, found through /proc.
    kills(b, 1);
    int next = pid + 1;
    proc = Files.createDirectories(root.resolve("proc").resolve(Integer.toString(next)));
    Files.writeString(proc.resolve("cgroup"), "5:memory:" + tree.kernelPath(b) + "\n");
    s = loneLine();
    assertThat(s.attribution.podUid).isEqualTo(POD + "02");
    assertThat(s.attribution.method).isEqualTo(Attribution.METHOD_PROC);
  }

  @Test
  void aFullReportOfAKillBelowAContainerIsAccountedAtTheContainer() throws IOException {
    // On cgroup v2 a container's counter also counts the kills in cgroups it made below its own.
    Path a = container("01", 'a', 0);
    Path b = container("02", 'b', 0);
    start();
    kills(a, 1);
    OomReport full = new OomReport();
    full.kind = OomReport.KIND_CGROUP;
    full.complete = true;
    full.pid = ++pid;
    full.seq = (long) pid;
    full.taskMemcg = tree.kernelPath(a) + "/worker-pool";
    full.oomMemcg = full.taskMemcg;
    assembler.assemble(full, System.currentTimeMillis());
    kills(b, 1);
    assertThat(loneLine().attribution.podUid)
        .as("a's rise was the full report's, so only b's is left for the lone line")
        .isEqualTo(POD + "02");
  }

  @Test
  void aFullReportReadLateAccountsForItsOwnKillOnly() throws IOException {
    Path a = container("01", 'a', 0);
    container("02", 'b', 0);
    start();
    kills(a, 3); // three kills; the agent reads the first one's full report only now
    OomReport full = new OomReport();
    full.kind = OomReport.KIND_CGROUP;
    full.complete = true;
    full.pid = ++pid;
    full.seq = (long) pid;
    full.taskMemcg = tree.kernelPath(a);
    full.oomMemcg = full.taskMemcg;
    assembler.assemble(full, System.currentTimeMillis());
    assertThat(loneLine().attribution.podUid)
        .as("the second and third kill are still a's to claim")
        .isEqualTo(POD + "01");
    assertThat(loneLine().attribution.podUid).isEqualTo(POD + "01");
    assertThat(loneLine().attribution.podUid).isNull();
  }

  /** The victim line a storm's pool of lone lines starts with. */
  private OomReport line() {
    OomReport r = new OomReport();
    r.kind = OomReport.KIND_CGROUP;
    r.complete = true;
    r.pid = ++pid;
    r.process = "worker";
    r.uid = 1000L;
    r.anonRssKb = 9000L;
    r.seq = (long) pid;
    r.timestamp = "2026-12-02T10:00:00Z";
    return r;
  }

  @Test
  void severalRisenCountersShareTheLinesByCountAndNameNoVictim() throws IOException {
    Path a = container("01", 'a', 4);
    Path b = container("02", 'b', 0);
    container("03", 'c', 7);
    start();
    kills(a, 6); // two kills
    kills(b, 1); // one kill
    List<EvidenceAssembler.Share> shares = assembler.apportion(3, Map.of());
    assertThat(shares)
        .containsExactly(
            new EvidenceAssembler.Share(tree.kernelPath(a), 2, false),
            new EvidenceAssembler.Share(tree.kernelPath(b), 1, false));
    OomReport first = line();
    OomKillSpec s = assembler.assembleShare(first, shares.get(0), first.seq, 0).getSpec();
    assertThat(s.attribution.podUid).isEqualTo(POD + "01");
    assertThat(s.attribution.method).isEqualTo(Attribution.METHOD_COUNTER);
    assertThat(s.report.pid).as("which line was a's is not known: no victim is named").isNull();
    assertThat(s.report.process).isNull();
    assertThat(s.report.uid).isNull();
    assertThat(s.report.anonRssKb).isNull();
    assertThat(s.report.complete).isFalse();
    assertThat(s.report.incompleteReason).contains("which of the lines were its is not known");
    assertThat(s.report.timestamp).isEqualTo(first.timestamp);
    OomKillSpec t = assembler.assembleShare(first, shares.get(1), first.seq + 2, 0).getSpec();
    assertThat(t.attribution.podUid).isEqualTo(POD + "02");
    assertThat(t.report.seq).as("a name of its own").isEqualTo(first.seq + 2);
    assertThat(t.report.pid).isNull();
    assertThat(assembler.apportion(1, Map.of()))
        .as("every rise is accounted: the next line is nobody's")
        .containsExactly(new EvidenceAssembler.Share(null, 1, false));
  }

  @Test
  void theOnlyRisenCounterTakesItsLinesWithTheirVictim() throws IOException {
    Path a = container("01", 'a', 0);
    container("02", 'b', 0);
    start();
    kills(a, 2);
    List<EvidenceAssembler.Share> shares = assembler.apportion(3, Map.of());
    assertThat(shares)
        .containsExactly(
            new EvidenceAssembler.Share(tree.kernelPath(a), 2, true),
            new EvidenceAssembler.Share(null, 1, false));
    OomReport first = line();
    OomKillSpec s = assembler.assembleShare(first, shares.get(0), first.seq, 0).getSpec();
    assertThat(s.attribution.podUid).isEqualTo(POD + "01");
    assertThat(s.report.pid).as("the lines are a's own").isEqualTo(first.pid);
    assertThat(s.report.process).isEqualTo("worker");
    OomKillSpec rest = assembler.assembleShare(first, shares.get(1), first.seq + 2, 0).getSpec();
    assertThat(rest.attribution.podUid).as("a line no counter accounts for").isNull();
    assertThat(rest.report.pid).isNull();
  }

  @Test
  void killsWhoseFullReportsStillWaitAreNotTakenByLoneLines() throws IOException {
    Path a = container("01", 'a', 0);
    Path b = container("02", 'b', 0);
    start();
    kills(a, 2); // both of a's kills have full reports the agent has read but not yet assembled
    kills(b, 1);
    assertThat(assembler.apportion(2, Map.of(tree.kernelPath(a), 2)))
        .containsExactly(
            new EvidenceAssembler.Share(tree.kernelPath(b), 1, true),
            new EvidenceAssembler.Share(null, 1, false));
  }

  @Test
  void aRiseLeftOverFromSharingByCountNamesNoVictim() throws IOException {
    Path a = container("01", 'a', 0);
    Path b = container("02", 'b', 0);
    start();
    kills(a, 2);
    kills(b, 1);
    // One line read so far, three kills counted: shared by count, two kills left without lines.
    assertThat(assembler.apportion(1, Map.of()))
        .containsExactly(new EvidenceAssembler.Share(tree.kernelPath(a), 1, false));
    // Two kills left (one of each); then only one counter has a kill left, but that line may be
    // the other container's.
    List<EvidenceAssembler.Share> second = assembler.apportion(1, Map.of());
    List<EvidenceAssembler.Share> third = assembler.apportion(1, Map.of());
    assertThat(second).hasSize(1);
    assertThat(third).hasSize(1);
    assertThat(List.of(second.get(0).path(), third.get(0).path()))
        .containsExactlyInAnyOrder(tree.kernelPath(a), tree.kernelPath(b));
    assertThat(third.get(0).sole()).as("a rise left over from sharing by count").isFalse();
    // Every counted kill has had its line: a new rise of one counter is that container's line.
    kills(b, 2);
    assertThat(assembler.apportion(1, Map.of()))
        .containsExactly(new EvidenceAssembler.Share(tree.kernelPath(b), 1, true));
  }

  @Test
  void aKillLineAfterAnOomGroupIsAMemberOnlyWhenItsProcSaysSo() throws IOException {
    Path a = container("01", 'a', 0);
    Path b = container("02", 'b', 0);
    start();
    String group = tree.kernelPath(a);
    assertThat(assembler.inGroup(tree.kernelPath(a), group)).isTrue();
    assertThat(assembler.inGroup(tree.kernelPath(b), group))
        .as("another tenant's next kill, rate-limited to its kill line")
        .isFalse();
    assertThat(assembler.inGroup(null, group)).as("no /proc: not believed").isFalse();
    Path below = Files.createDirectories(a.resolve("worker"));
    assertThat(assembler.inGroup(tree.kernelPath(a), tree.kernelPath(below)))
        .as("a group below the container holds only what is below it")
        .isFalse();
  }

  @Test
  void aLineWhoseProcNamedAnotherContainerNeverLendsItsVictimToASoleRise() throws IOException {
    Path a = container("01", 'a', 0);
    Path b = container("02", 'b', 0);
    start();
    kills(b, 1); // only b's counter rose; the line's /proc said a (a's counter did not rise)
    List<EvidenceAssembler.Share> shares = assembler.apportion(1, Map.of());
    assertThat(shares).containsExactly(new EvidenceAssembler.Share(tree.kernelPath(b), 1, true));
    OomReport line = line();
    OomKillSpec s =
        assembler.assembleShare(line, tree.kernelPath(a), shares.get(0), line.seq, 0).getSpec();
    assertThat(s.attribution.podUid).isEqualTo(POD + "02");
    assertThat(s.report.pid).as("a's process is not b's victim").isNull();
    assertThat(s.report.process).isNull();
  }
}
