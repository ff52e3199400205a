package io.oomdoctor.agent.parse;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.agent.cgroup.PathAttribution;
import io.oomdoctor.model.evidence.Attribution;
import io.oomdoctor.model.evidence.OomReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** Every fixture of real kernel text, field by field. */
class OomReportParserTest {
  static final Path FIXTURES = io.oomdoctor.testkit.Fixtures.of("kernel");

  /** Parses a fixture file as `oomdoctor-agent parse` does. */
  static List<OomReport> parse(String file) {
    return parseLines(read(file));
  }

  static List<String> read(String file) {
    try {
      return Files.readAllLines(FIXTURES.resolve(file), StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<OomReport> parseLines(List<String> lines) {
    return parseText(String.join("\n", lines) + "\n");
  }

  /** Parses a document of pasted text as `oomdoctor-agent parse` does. */
  static List<OomReport> parseText(String text) {
    List<OomReport> out = new ArrayList<>();
    PastedLog pasted = new PastedLog(new LogLineDecoder(ZoneOffset.UTC, 2026));
    OomReportParser parser = OomReportParser.collecting(out::add);
    pasted.read(text).lines().forEach(parser::accept);
    parser.flush();
    return out;
  }

  @Test
  void kernel61OomGroupKillNamesItsMembersCgroup() {
    // memory.oom.group on a container (cgroup v2, Debian 6.1 in the kernel tier's guest): the
    // victim's full report, then "Tasks in PATH are going to be killed ..." and a kill line for
    // each other task of the cgroup.
    List<OomReport> reports = parse("6.1-v2-oom-group.dmesg-r");
    assertThat(reports).hasSize(3);
    OomReport first = reports.get(0);
    assertThat(first.complete).isTrue();
    assertThat(first.pid).isEqualTo(232);
    assertThat(first.taskMemcg).endsWith("cri-containerd-c" + "0".repeat(62) + "6.scope");
    assertThat(first.oomGroup).as("the line comes after the report").isNull();
    for (int i = 1; i < 3; i++) {
      OomReport member = reports.get(i);
      assertThat(member.oomGroup).isEqualTo(first.taskMemcg);
      assertThat(member.kind).isEqualTo(OomReport.KIND_CGROUP);
      assertThat(member.process).startsWith("kt-group-");
      assertThat(io.oomdoctor.agent.EvidenceAssembler.loneLine(member))
          .as("the kernel named its cgroup")
          .isFalse();
    }
    assertThat(reports.get(1).pid).isEqualTo(229);
    assertThat(reports.get(2).pid).isEqualTo(230);
  }

  @Test
  void anyOtherKernelLineEndsAnOomGroup() {
    // The kernel kills a group's tasks in one go; the next OOM kill, rate-limited to its kill
    // line, must not pass for a member.
    List<String> lines = new ArrayList<>(read("6.1-v2-oom-group.dmesg-r"));
    lines.add("<6>[   14.931000] oom_reaper: reaped process 230 (kt-group-b), now anon-rss:0kB");
    lines.add("<6>[   14.940000] eth0: link up");
    lines.add(
        "<3>[   14.950313] Memory cgroup out of memory: Killed process 778 (next) total-vm:4520kB,"
            + " anon-rss:1112kB, file-rss:1140kB, shmem-rss:0kB, UID:0 pgtables:44kB"
            + " oom_score_adj:0");
    List<OomReport> reports = parseLines(lines);
    assertThat(reports.get(2).oomGroup).as("a member, after the reaper's line").isNotNull();
    OomReport next = reports.get(reports.size() - 1);
    assertThat(next.pid).isEqualTo(778);
    assertThat(next.oomGroup).isNull();
  }

  @Test
  void killLinesLongAfterAnOomGroupLineAreNotItsMembers() {
    List<String> lines = new ArrayList<>(read("6.1-v2-oom-group.dmesg-r"));
    lines.add(
        "<3>[   24.930313] Memory cgroup out of memory: Killed process 777 (later) total-vm:4520kB,"
            + " anon-rss:1112kB, file-rss:1140kB, shmem-rss:0kB, UID:0 pgtables:44kB"
            + " oom_score_adj:0");
    List<OomReport> reports = parseLines(lines);
    OomReport later = reports.get(reports.size() - 1);
    assertThat(later.pid).isEqualTo(777);
    assertThat(later.oomGroup).isNull();
  }

  @Test
  void kernel618ContainerLimitCgroupfs() {
    List<OomReport> reports = parse("6.18-v1-cgroupfs-container-limit.kmsg");
    assertThat(reports).hasSize(1);
    OomReport r = reports.get(0);
    assertThat(r.complete).isTrue();
    assertThat(r.kind).isEqualTo("cgroup");
    assertThat(r.seq).isEqualTo(501);
    assertThat(r.kernelTimeUs).isEqualTo(1492976303L);
    assertThat(r.pid).isEqualTo(15236);
    assertThat(r.process).isEqualTo("alloc");
    assertThat(r.uid).isEqualTo(0);
    assertThat(a(r).podUid).isEqualTo("8f3c2a4e-1b7d-4c9a-9e2f-5d6a7b8c9d01");
    assertThat(a(r).containerId)
        .isEqualTo("3aa524735953bba4ebc64dfd3f0080cb4ac9790f83675e0b77ff9414c0165df0");
    assertThat(a(r).qosClass).isEqualTo("burstable");
    assertThat(a(r).cgroupDriver).isEqualTo("cgroupfs");
    assertThat(a(r).containerRuntime).as("a bare ID does not say which runtime").isNull();
    assertThat(a(r).limitScope).isEqualTo("container");
    assertThat(r.usageKb).isEqualTo(65536);
    assertThat(r.limitKb).isEqualTo(65536);
    assertThat(r.failcnt).isEqualTo(26);
    assertThat(r.swapUsageKb).isEqualTo(65536);
    assertThat(r.swapLimitKb).as("9007199254740988kB means unlimited").isNull();
    assertThat(r.kmemUsageKb).isEqualTo(180);
    assertThat(r.totalVmKb).isEqualTo(66784);
    assertThat(r.anonRssKb).isEqualTo(65280);
    assertThat(r.fileRssKb).isEqualTo(652);
    assertThat(r.shmemRssKb).isEqualTo(0);
    assertThat(r.pgtablesKb).isEqualTo(168);
    assertThat(r.oomScoreAdj).isEqualTo(0);
    assertThat(r.invoker.process).isEqualTo("alloc");
    assertThat(r.invoker.gfpMask).isEqualTo("0xcc0(GFP_KERNEL)");
    assertThat(r.invoker.order).isEqualTo(0);
    assertThat(r.constraint).isEqualTo("CONSTRAINT_MEMCG");
    assertThat(r.constraintDetails)
        .containsEntry("nodemask", "(null)")
        .containsEntry("cpuset", "/")
        .containsEntry("mems_allowed", "0")
        .containsEntry("task", "alloc")
        .containsEntry("pid", "15236");
    assertThat(r.memcgStats)
        .hasSize(42)
        .containsEntry("rss", 66924544L)
        .containsEntry("hierarchical_memory_limit", 67108864L)
        .containsEntry("total_inactive_anon", 66916352L);
    assertThat(r.tasks).hasSize(1);
    var t = r.tasks.get(0);
    assertThat(t.pid).isEqualTo(15236);
    assertThat(t.tgid).isEqualTo(15236);
    assertThat(t.totalVmPages).isEqualTo(16696);
    assertThat(t.rssPages).isEqualTo(16483);
    assertThat(t.rssAnonPages).isEqualTo(16320);
    assertThat(t.rssFilePages).isEqualTo(163);
    assertThat(t.rssShmemPages).isEqualTo(0);
    assertThat(t.pgtablesBytes).isEqualTo(172032);
    assertThat(t.swapents).isEqualTo(0);
    assertThat(t.name).isEqualTo("alloc");
  }

  @Test
  void kernel618PodLimitSystemdContainerd() {
    OomReport r = parse("6.18-v1-systemd-pod-limit.kmsg").get(0);
    assertThat(a(r).limitScope).isEqualTo("pod");
    assertThat(a(r).cgroupDriver).isEqualTo("systemd");
    assertThat(a(r).containerRuntime).isEqualTo("containerd");
    assertThat(a(r).podUid).isEqualTo("1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e5f");
    assertThat(a(r).containerId).startsWith("c8bfdfc0202a");
    assertThat(r.memcgStatsPath)
        .isEqualTo(r.oomMemcg)
        .endsWith("pod1d2e3f40_5a6b_4c7d_8e9f_0a1b2c3d4e5f.slice");
    assertThat(r.memcgStats).containsEntry("rss", 0L).containsEntry("total_rss", 66666496L);
  }

  @Test
  void jvmVictimCapturedHere() {
    OomReport r = parse("6.18-v1-jvm-heap-above-limit.kmsg").get(0);
    assertThat(r.complete).isTrue();
    assertThat(r.process).isEqualTo("java");
    assertThat(r.limitKb).isEqualTo(96 * 1024);
    assertThat(r.anonRssKb).isGreaterThan(90_000);
    assertThat(r.tasks).extracting(t -> t.name).contains("java");
  }

  @Test
  void workerChildNameIsTruncatedByTheKernelAndKept() {
    OomReport r = parse("6.18-v1-systemd-worker-child-killed.kmsg").get(0);
    assertThat(r.process).isEqualTo("gunicorn: worke");
    assertThat(r.invoker.process).isEqualTo("gunicorn: worke");
    assertThat(r.tasks).as("parent and child share the limit").hasSizeGreaterThanOrEqualTo(2);
    assertThat(r.tasks).extracting(t -> t.name).contains("gunicorn: worke", "memhog");
  }

  @Test
  void tmpfsKillShowsShmemInTheCgroupNotInTheVictim() {
    OomReport r = parse("6.18-v1-tmpfs-shmem.kmsg").get(0);
    assertThat(r.memcgStats.get("shmem")).isGreaterThan(40L << 20);
    assertThat(r.anonRssKb).isLessThan(4096);
  }

  @Test
  void kernel310SystemdDockerOldStatsAndSacrificedChild() {
    List<OomReport> reports = parse("3.10-rhel7-systemd-docker-pod-limit.dmesg");
    assertThat(reports).hasSize(1);
    OomReport r = reports.get(0);
    assertThat(r.complete).as("old kernels name a parent, then kill a child").isTrue();
    assertThat(r.pid).isEqualTo(24518);
    assertThat(r.process).isEqualTo("monocular");
    assertThat(r.kernelTimeUs).isEqualTo(147913552593L);
    assertThat(r.kind).isEqualTo("cgroup");
    assertThat(r.invoker.gfpMask).isEqualTo("0xd0");
    assertThat(r.invoker.oomScoreAdj).isEqualTo(-998);
    assertThat(a(r).containerRuntime).isEqualTo("docker");
    assertThat(a(r).qosClass).isEqualTo("guaranteed");
    assertThat(a(r).limitScope).isEqualTo("pod");
    assertThat(a(r).podUid).isEqualTo("bee65b57-7e71-11e8-9ced-d24398b14524");
    assertThat(r.memcgStats)
        .containsEntry("rss", 0L)
        .containsEntry("total_rss", (233428L + 44) * 1024);
    assertThat(r.tasks).hasSize(2);
    assertThat(r.tasks.get(1).pgtablesBytes).as("nr_ptes in pages").isEqualTo(134L * 4096);
    assertThat(r.shmemRssKb).isEqualTo(0);
    assertThat(r.uid).isNull();
  }

  @Test
  void kernel415SyslogPodLimit() {
    OomReport r = parse("4.15-ubuntu-cgroupfs-pod-limit.syslog").get(0);
    assertThat(r.pid).isEqualTo(28285);
    assertThat(a(r).limitScope).isEqualTo("pod");
    assertThat(a(r).containerId).startsWith("beead52e53d4");
    assertThat(r.kernelTimeUs).isEqualTo(6686782276513L);
    assertThat(r.tasks).hasSize(5);
    assertThat(r.tasks.get(4).pgtablesBytes).isEqualTo(577536);
    assertThat(r.invoker.oomScoreAdj).isEqualTo(968);
  }

  @Test
  void kernel515CgroupV2SyslogWithOtherProgramsAndACutOffSecondReport() {
    List<OomReport> reports = parse("5.15-aks-v2-systemd-pod-limit.syslog");
    assertThat(reports).as("one kill, plus the start of the next one").hasSize(2);
    OomReport r = reports.get(0);
    assertThat(r.complete).isTrue();
    assertThat(r.pid).isEqualTo(183960);
    assertThat(r.swapUsageKb).isEqualTo(0);
    assertThat(r.swapLimitKb).isNull();
    assertThat(r.memcgStats)
        .containsEntry("anon", 98742272L)
        .containsEntry("shmem", 2297856L)
        .hasSize(27);
    assertThat(r.tasks).hasSize(9);
    assertThat(r.tasks.get(0).uid).isEqualTo(65535);
    assertThat(r.shmemRssKb).isEqualTo(12);
    assertThat(r.oomScoreAdj).isEqualTo(1000);
    assertThat(r.constraintDetails.get("cpuset")).startsWith("cri-containerd-25a38b5b");
    OomReport cut = reports.get(1);
    assertThat(cut.complete).isFalse();
    assertThat(cut.incompleteReason).contains("ended");
    assertThat(cut.kind).as("unknown, not a host OOM").isNull();
    assertThat(a(cut).limitScope).isNull();
    assertThat(cut.invoker.process).isEqualTo("stress-ng-vm");
  }

  @Test
  void globalOomWithBareFlagInTheSummary() {
    OomReport r = parse("5.x-global-oom.journal").get(0);
    assertThat(r.kind).isEqualTo("global");
    assertThat(a(r).limitScope).isEqualTo("node");
    assertThat(r.constraint).isEqualTo("CONSTRAINT_NONE");
    assertThat(r.constraintDetails)
        .containsEntry("global_oom", "true")
        .containsEntry("mems_allowed", "0")
        .containsEntry("task_memcg", "/system.slice/newshive.service");
    assertThat(a(r).podUid).isNull();
    assertThat(r.pid).isEqualTo(1306511);
    assertThat(r.uid).isEqualTo(1001);
    assertThat(r.timestamp).isEqualTo("2026-08-19T11:26:09Z");
  }

  @Test
  void reportWhoseStartWasOverwrittenIsStillReportedAsIncomplete() {
    List<OomReport> reports = parse("5.x-global-printk-caller-cut-short.dmesg");
    assertThat(reports).hasSize(1);
    OomReport r = reports.get(0);
    assertThat(r.complete).isFalse();
    assertThat(r.incompleteReason).contains("start of the report");
    assertThat(r.kind).isEqualTo("global");
    assertThat(r.pid).isEqualTo(23173);
    assertThat(r.process).isEqualTo("normal-priority");
    assertThat(r.taskMemcg).isEqualTo("/");
    assertThat(r.kernelTimeUs).isEqualTo(1630161867L);
  }

  @Test
  void reportsInterleavedWithUnrelatedMessagesAndSplitByAGap() {
    List<String> lines = new ArrayList<>(read("6.18-v1-cgroupfs-container-limit.kmsg"));
    lines.add(20, "6,470,1492976000,-;e1000: eth0 NIC Link is Up 1000 Mbps Full Duplex");
    lines.add(
        60, "6,471,1492976001,-;audit: type=1400 audit(1700000000.000:1): apparmor=\"DENIED\"");
    OomReport interleaved = parseLines(lines).get(0);
    assertThat(interleaved.pid).isEqualTo(15236);
    assertThat(interleaved.memcgStats).hasSize(42);

    List<String> gap = new ArrayList<>(read("6.18-v1-cgroupfs-container-limit.kmsg"));
    gap.subList(40, 50).clear(); // ten records of memory.stat overwritten
    OomReport r = parseLines(gap).get(0);
    assertThat(r.complete).isFalse();
    assertThat(r.incompleteReason).contains("10 kernel log records missing");
    assertThat(r.pid).isEqualTo(15236);
  }

  @Test
  void userspaceRecordsNeverCount() {
    List<String> lines = new ArrayList<>();
    for (String l : read("6.18-v1-cgroupfs-container-limit.kmsg")) {
      lines.add("14" + l.substring(l.indexOf(','))); // facility 1 (user), level 6
    }
    assertThat(parseLines(lines)).isEmpty();
  }

  @Test
  void twoReportsBackToBackAndAnInterruptedOne() {
    List<String> lines = new ArrayList<>(read("6.18-v1-cgroupfs-container-limit.kmsg"));
    List<String> second = read("6.18-v1-systemd-pod-limit.kmsg");
    lines.addAll(second.subList(0, 40)); // a report that stops half-way…
    lines.addAll(read("6.18-v1-jvm-heap-above-limit.kmsg")); // …when the next one starts
    List<OomReport> reports = parseLines(lines);
    assertThat(reports).hasSize(3);
    assertThat(reports.get(0).complete).isTrue();
    assertThat(reports.get(1).complete).isFalse();
    // The sequence numbers jump to the next dump: the missing records are the first reason.
    assertThat(reports.get(1).incompleteReason).contains("kernel log records missing");
    assertThat(reports.get(1).limitKb).isEqualTo(65536);
    assertThat(reports.get(2).process).isEqualTo("java");
  }

  @Test
  void staleReportIsEmittedWhenTheKernelMovesOn() {
    List<String> lines =
        new ArrayList<>(read("6.18-v1-cgroupfs-container-limit.kmsg").subList(0, 60));
    lines.add("6,600,1500000000,-;some later message, seconds after the report stalled");
    List<OomReport> out = new ArrayList<>();
    OomReportParser parser = OomReportParser.collecting(out::add);
    LogLineDecoder decoder = new LogLineDecoder(ZoneOffset.UTC, 2026);
    lines.forEach(l -> decoder.decode(l).forEach(parser::accept));
    assertThat(out).hasSize(1);
    assertThat(out.get(0).complete).isFalse();
    assertThat(parser.inReport()).isFalse();
  }

  @Test
  void oldKernelKillLinesAndGlobalOomWithoutSummary() {
    List<OomReport> reports =
        parseLines(
            List.of(
                "[  100.000001] stress invoked oom-killer: gfp_mask=0x24280ca, order=0,"
                    + " oom_score_adj=0",
                "[  100.000100] [ pid ]   uid  tgid total_vm      rss nr_ptes nr_pmds swapents"
                    + " oom_score_adj name",
                "[  100.000200] [ 1234]  1000  1234   500000   400000     800       5        0  "
                    + "           0 my prog (v2)",
                "[  100.000300] Out of memory: Kill process 1234 (my prog (v2)) score 950 or"
                    + " sacrifice child",
                "[  100.000400] Killed process 1234 (my prog (v2)) total-vm:2000000kB,"
                    + " anon-rss:1600000kB, file-rss:0kB"));
    assertThat(reports).hasSize(1);
    OomReport r = reports.get(0);
    assertThat(r.kind).isEqualTo("global");
    assertThat(a(r).limitScope).isEqualTo("node");
    assertThat(r.process).isEqualTo("my prog (v2)");
    assertThat(r.tasks.get(0).name).isEqualTo("my prog (v2)");
    assertThat(r.tasks.get(0).uid).isEqualTo(1000);
    assertThat(r.tasks.get(0).pgtablesBytes).isEqualTo(800L * 4096);
    assertThat(r.shmemRssKb).isNull();
    assertThat(r.complete).isTrue();
  }

  @Test
  void cgroupV2StatsPrintedInOneRecordWithEscapedNewlines() {
    String path =
        "/kubepods/pod0b5b2e9c-54b5-4b2f-9a5c-1d2d2d2d2d2d/"
            + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    // Kernels 5.x printed memory.stat as one record; /dev/kmsg escapes its newlines as \x0a.
    List<OomReport> reports =
        parseLines(
            List.of(
                "4,10,100,-;app invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0,"
                    + " oom_score_adj=0",
                "6,11,101,-;memory: usage 1024kB, limit 1024kB, failcnt 0",
                "6,12,102,-;swap: usage 0kB, limit 0kB, failcnt 0",
                "6,13,103,-;Memory cgroup stats for " + path + ":",
                "6,14,104,-;anon 1040384\\x0afile 8192\\x0ashmem 0\\x0a",
                "6,15,105,-;Tasks state (memory values in pages):",
                "6,16,106,-;[  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem"
                    + " pgtables_bytes swapents oom_score_adj name",
                "6,17,107,-;[    200]     0   200     1000      300      290       10         0  "
                    + "  40960        0             0 app",
                "6,18,108,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
                    + "mems_allowed=0,oom_memcg="
                    + path
                    + ",task_memcg="
                    + path
                    + ",task=app,pid=200,uid=0",
                "3,19,109,-;Memory cgroup out of memory: Killed process 200 (app) total-vm:4000kB,"
                    + " anon-rss:1160kB, file-rss:40kB, shmem-rss:0kB, UID:0 pgtables:40kB"
                    + " oom_score_adj:0"));
    OomReport r = reports.get(0);
    assertThat(r.complete).isTrue();
    assertThat(r.memcgStats)
        .containsEntry("anon", 1040384L)
        .containsEntry("file", 8192L)
        .containsEntry("shmem", 0L);
    assertThat(r.swapLimitKb).isEqualTo(0);
    assertThat(a(r).qosClass).isEqualTo("guaranteed");
    assertThat(a(r).limitScope).isEqualTo("container");
  }

  @Test
  void reaperLinesAreRecognised() {
    List<Integer> reaped = new ArrayList<>();
    OomReportParser parser =
        new OomReportParser(
            new OomReportParser.Listener() {
              @Override
              public void report(OomReport report) {}

              @Override
              public void reaped(int pid, String process, long anonRssKb) {
                reaped.add(pid);
              }
            });
    LogLineDecoder decoder = new LogLineDecoder(ZoneOffset.UTC, 2026);
    read("4.15-ubuntu-cgroupfs-pod-limit.syslog")
        .forEach(l -> decoder.decode(l).forEach(parser::accept));
    assertThat(reaped).containsExactly(28285);
  }

  @Test
  void journalDatesNeverLandInTheFuture() {
    LocalDateTime now = LocalDateTime.now(ZoneOffset.UTC);
    LogLineDecoder decoder = LogLineDecoder.forNow(ZoneOffset.UTC);
    String inThreeDays =
        now.plusDays(3).format(DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.ROOT));
    KernelLine l = decoder.decode(inThreeDays + " host kernel: hello").get(0);
    assertThat(l.wallTime()).startsWith(Integer.toString(now.plusDays(3).getYear() - 1));
    String yesterday =
        now.minusDays(1).format(DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.ROOT));
    assertThat(decoder.decode(yesterday + " host kernel: hello").get(0).wallTime())
        .startsWith(Integer.toString(now.minusDays(1).getYear()));
  }

  /** What the agent infers from a parsed report's cgroup paths. */
  private static Attribution a(OomReport r) {
    return PathAttribution.of(r);
  }
}
