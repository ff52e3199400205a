package io.oomdoctor.agent.parse;

import io.oomdoctor.model.evidence.OomReport;
import io.oomdoctor.model.evidence.OomTask;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reassembles whole kernel OOM reports from a stream of kernel lines.
 *
 * <p>An OOM kill prints a burst of records: the {@code invoked oom-killer} header, a stack trace,
 * the memory counters of the OOM cgroup, its memory.stat, the task table, the {@code
 * oom-kill:constraint=…} summary and finally {@code Killed process …}. Kernels 3.x to 6.x word
 * these differently; this parser accepts all of them and tolerates unrelated messages in between. A
 * report that is cut short (ring-buffer overrun, a new report starting, input ending) is still
 * emitted with what it holds and {@code complete=false}.
 *
 * <p>Not thread-safe: one parser per stream.
 */
public final class OomReportParser {
  /** A report idle this long (kernel time) without its victim line is emitted as incomplete. */
  static final long STALE_REPORT_US = 5_000_000L;

  /** kB values at or above this are the kernel's "unlimited" (PAGE_COUNTER_MAX). */
  static final long UNLIMITED_KB = 9_007_199_254_740_988L;

  private static final Pattern HEADER =
      Pattern.compile("^(.*) invoked oom-killer: gfp_mask=([^,]+),(.*)$");
  private static final Pattern ORDER = Pattern.compile("\\border=(-?\\d+)");
  private static final Pattern SCORE_ADJ = Pattern.compile("\\boom_score_adj=(-?\\d+)");
  private static final Pattern COUNTER =
      Pattern.compile(
          "^(memory|memory\\+swap|swap|kmem): usage (\\d+)kB, limit (\\d+)kB, failcnt (\\d+)");
  private static final Pattern STATS_FOR = Pattern.compile("^Memory cgroup stats for (.*?):(.*)$");
  private static final Pattern STAT_LINE = Pattern.compile("^([a-z][a-z0-9_]*) (\\d+)$");
  private static final Pattern OLD_STAT = Pattern.compile("([a-z][a-z0-9_]*):(\\d+)(KB|kB)?");
  private static final Pattern TASKS_HEADER = Pattern.compile("^\\[\\s*pid\\s*\\]\\s+(.*)$");
  private static final Pattern TASK_ROW = Pattern.compile("^\\[\\s*(\\d+)\\]\\s+(.*)$");
  private static final Pattern OOM_KILL = Pattern.compile("^oom-kill:(.*)$");
  private static final Pattern TASK_IN =
      Pattern.compile("^Task in (.*) killed as a result of limit of (.*)$");
  private static final Pattern KILL_PROCESS =
      Pattern.compile(
          "^(Memory cgroup out of memory|Out of [Mm]emory(?: \\([a-z_]+\\))?): [Kk]ill process"
              + " (\\d+) \\((.*)\\) score (-?\\d+) (?:or sacrifice child|or a child|and children)\\.?$");

  /**
   * The victim line of every kernel since 2.6.32: "Killed process PID (NAME) total-vm:…", with the
   * UID before the name on 2.6.32 ("Killed process PID, UID N, (NAME) total-vm:…").
   */
  private static final Pattern KILLED =
      Pattern.compile(
          "^(?:(Memory cgroup out of memory|Out of [Mm]emory(?: \\([a-z_]+\\))?): )?Killed process"
              + " (\\d+),? (?:UID (\\d+), )?\\((.*)\\),? (?:UID \\d+, )?(?:total-vm|vsz):(.*)$");

  /**
   * After the victim of a cgroup with memory.oom.group set (4.19+), the kernel kills the rest of
   * the cgroup's tasks, each with its own "Killed process" line.
   */
  private static final Pattern OOM_GROUP =
      Pattern.compile(
          "^Tasks in (/.{0,4096}?) are going to be killed due to memory\\.oom\\.group set$");

  /** How long after its line the kills of an oom.group belong to it (kernel time). */
  private static final long GROUP_US = 1_000_000;

  /** The cgroup of the oom.group kill in progress and the kernel time of its line, or null. */
  private String groupPath;

  private long groupUs;

  /** Kernels before 2.6.32 name the victim only: "Killed process PID (NAME)". */
  private static final Pattern KILLED_NAME_ONLY =
      Pattern.compile(
          "^(?:(Memory cgroup out of memory|Out of [Mm]emory(?: \\([a-z_]+\\))?): )?Killed process"
              + " (\\d+),? (?:UID (\\d+), )?\\((.*)\\)[.,]?$");

  private static final Pattern STAT_PAIR = Pattern.compile("([a-z][a-z0-9_]*) (\\d+)");
  private static final Pattern KB_FIELD = Pattern.compile("([a-z-]+):(\\d+)kB");
  private static final Pattern UID_FIELD = Pattern.compile("UID[: ](\\d+)");
  private static final Pattern SCORE_ADJ_FIELD = Pattern.compile("oom_score_adj:(-?\\d+)");
  private static final Pattern REAPED =
      Pattern.compile(
          "^oom_reaper: reaped process (\\d+) \\((.*)\\), now anon-rss:(\\d+)kB, file-rss:(\\d+)kB,"
              + " shmem-rss:(\\d+)kB");
  private static final Pattern NO_KILLABLE =
      Pattern.compile("^Out of memory and no killable processes");

  /** What the parser found besides reports; lets callers count without parsing twice. */
  public interface Listener {
    /** A whole or partial report is ready. */
    void report(OomReport report);

    /** The oom_reaper freed the memory of a killed process. */
    default void reaped(int pid, String process, long anonRssKb) {}
  }

  private enum Section {
    NONE,
    STATS,
    OLD_STATS,
    TASKS
  }

  private final Listener listener;
  private OomReport current;
  private Section section = Section.NONE;
  private List<String> taskColumns;
  private Long startUs;
  private Long lastSeq;
  private Long lastReportSeq;
  private String incompleteReason;
  private String pendingKillPrefix;
  private boolean pidFromSummary;
  private String bootId;
  private long garbled;
  private Long emittedStartSeq;

  public OomReportParser(Listener listener) {
    this.listener = listener;
  }

  /** Convenience constructor for callers that only want reports. */
  public static OomReportParser collecting(Consumer<OomReport> sink) {
    return new OomReportParser(sink::accept);
  }

  /** Boot id stamped on every report emitted from now on (null when unknown). */
  public void bootId(String bootId) {
    this.bootId = bootId;
  }

  /**
   * Tells the parser that records were lost before the next line (ring-buffer overrun). A report in
   * progress is then marked incomplete.
   */
  public void recordsLost(long count) {
    if (count > 0) {
      groupPath = null; // what was lost may have ended the group
    }
    if (current != null && count > 0) {
      markIncomplete(count + " kernel log records were lost inside the report");
    }
  }

  /** Emits a report in progress, marked incomplete (end of input, shutdown). */
  public void flush() {
    if (current != null) {
      markIncomplete("the kernel log ended before the report named its victim");
      emit();
    }
  }

  /**
   * Sequence number of the first record of the report most recently emitted (valid inside {@link
   * Listener#report}); null when unknown.
   */
  public Long emittedStartSeq() {
    return emittedStartSeq;
  }

  /** True while a report has begun but not yet named its victim. */
  public boolean inReport() {
    return current != null;
  }

  /** Sequence number of the first record of the report in progress, or null. */
  public Long reportStartSeq() {
    return current == null ? null : lastReportSeq;
  }

  /** Feeds one line. Lines from userspace (facility other than kernel) never match anything. */
  public void accept(KernelLine line) {
    if (line.facility() == PastedLog.FACILITY_ELIDED) {
      markIncomplete("the text leaves part of the report out: " + abbreviate(line.text().strip()));
      return;
    }
    if (line.seq() != null) {
      if (current != null && lastSeq != null && line.seq() > lastSeq + 1) {
        markIncomplete(
            (line.seq() - lastSeq - 1) + " kernel log records missing inside the report");
      }
      lastSeq = Math.max(lastSeq == null ? line.seq() : lastSeq, line.seq());
    }
    if (!line.fromKernel()) {
      return;
    }
    String text = line.text().strip();
    if (current != null
        && startUs != null
        && line.kernelTimeUs() != null
        && line.kernelTimeUs() - startUs > STALE_REPORT_US
        && !HEADER.matcher(text).matches()) {
      markIncomplete("the report never named its victim");
      emit();
    }
    try {
      handle(line, text);
    } catch (RuntimeException e) {
      // A line that matched a pattern but holds nonsense (a 30-digit pid): keep what we have.
      markIncomplete("a garbled line inside the report: " + abbreviate(text));
      garbled++;
    }
  }

  /** Lines that looked like part of a report but could not be read. */
  public long garbledLines() {
    return garbled;
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }

  private void handle(KernelLine line, String text) {
    if (groupPath != null
        && !KILLED.matcher(text).matches()
        && !REAPED.matcher(text).find()
        && !OOM_GROUP.matcher(text).matches()) {
      // The kernel kills an oom.group's tasks in one go (under its OOM lock, which no other OOM
      // kill can interleave): any other kernel line ends the group.
      groupPath = null;
    }
    Matcher m = HEADER.matcher(text);
    if (m.matches()) {
      groupPath = null;
      if (current != null) {
        markIncomplete("a new OOM report began before this one named its victim");
        emit();
      }
      begin(line);
      OomReport.Invoker inv = new OomReport.Invoker();
      inv.process = m.group(1).trim();
      inv.gfpMask = m.group(2).trim();
      Matcher o = ORDER.matcher(m.group(3));
      if (o.find()) {
        inv.order = Integer.valueOf(o.group(1));
      }
      Matcher s = SCORE_ADJ.matcher(m.group(3));
      if (s.find()) {
        inv.oomScoreAdj = Integer.valueOf(s.group(1));
      }
      current.invoker = inv;
      return;
    }
    if (section == Section.STATS) {
      m = STAT_LINE.matcher(text);
      if (m.matches()) {
        putStat(m.group(1), m.group(2), 1);
        return;
      }
      // Anything else (a foreign message interleaved) leaves the section open; the next report
      // line (task table, summary, victim) closes it.
    }
    if (section == Section.TASKS) {
      m = TASK_ROW.matcher(text);
      if (m.matches()) {
        taskRow(Integer.parseInt(m.group(1)), m.group(2));
        return;
      }
    }
    m = COUNTER.matcher(text);
    if (m.find()) {
      OomReport r = reportFor(line);
      long usage = Long.parseLong(m.group(2));
      Long limit = limitKb(Long.parseLong(m.group(3)));
      switch (m.group(1)) {
        case "memory" -> {
          r.usageKb = usage;
          r.limitKb = limit;
          r.failcnt = Long.parseLong(m.group(4));
        }
        case "memory+swap", "swap" -> {
          r.swapUsageKb = usage;
          r.swapLimitKb = limit;
        }
        default -> r.kmemUsageKb = usage;
      }
      section = Section.NONE;
      return;
    }
    m = STATS_FOR.matcher(text);
    if (m.matches()) {
      OomReport r = reportFor(line);
      String rest = m.group(2).trim();
      if (rest.isEmpty()) {
        r.memcgStatsPath = m.group(1);
        section = Section.STATS;
      } else if (statPairs(rest)) {
        // the v2 memory.stat lines run together after the heading (a pasted log)
        r.memcgStatsPath = m.group(1);
        Matcher s = STAT_PAIR.matcher(rest);
        while (s.find()) {
          putStat(s.group(1), s.group(2), 1);
        }
        section = Section.STATS;
      } else {
        // Kernels before 4.x print one line per cgroup of the subtree: "path: cache:0KB rss:…".
        boolean first = r.memcgStatsPath == null;
        if (first) {
          r.memcgStatsPath = m.group(1);
        }
        Matcher s = OLD_STAT.matcher(rest);
        while (s.find()) {
          long mult = s.group(3) != null ? 1024 : 1;
          if (first) {
            putStat(s.group(1), s.group(2), mult);
          }
          addStat("total_" + s.group(1), s.group(2), mult);
        }
        section = Section.OLD_STATS;
      }
      return;
    }
    if (text.startsWith("Tasks state (memory values in pages)")) {
      reportFor(line);
      section = Section.TASKS;
      return;
    }
    m = TASKS_HEADER.matcher(text);
    if (m.matches()) {
      reportFor(line);
      taskColumns = List.of(m.group(1).trim().split("\\s+"));
      section = Section.TASKS;
      return;
    }
    m = OOM_KILL.matcher(text);
    if (m.matches()) {
      oomKillLine(reportFor(line), m.group(1));
      section = Section.NONE;
      return;
    }
    m = TASK_IN.matcher(text);
    if (m.matches()) {
      taskIn(reportFor(line), text.substring("Task in ".length()));
      return;
    }
    m = KILL_PROCESS.matcher(text);
    if (m.matches()) {
      OomReport r = reportFor(line);
      pendingKillPrefix = m.group(1);
      r.pid = Integer.valueOf(m.group(2));
      r.process = m.group(3);
      section = Section.NONE;
      return;
    }
    m = OOM_GROUP.matcher(text);
    if (m.matches() && current == null) {
      groupPath = m.group(1);
      groupUs = line.kernelTimeUs() == null ? -1 : line.kernelTimeUs();
      return;
    }
    m = KILLED.matcher(text);
    if (m.matches()) {
      killed(line, m, true);
      return;
    }
    m = KILLED_NAME_ONLY.matcher(text);
    if (m.matches()) {
      killed(line, m, false);
      return;
    }
    m = REAPED.matcher(text);
    if (m.find()) {
      listener.reaped(Integer.parseInt(m.group(1)), m.group(2), Long.parseLong(m.group(3)));
      return;
    }
    if (current != null && NO_KILLABLE.matcher(text).find()) {
      markIncomplete("the kernel found no process it could kill");
      emit();
    }
  }

  /** Whether the text is only "name number" pairs (memory.stat run together on one line). */
  static boolean statPairs(String rest) {
    String[] words = rest.strip().split("\\s+");
    if (words.length < 2 || words.length % 2 != 0) {
      return false;
    }
    for (int i = 0; i < words.length; i += 2) {
      if (!words[i].matches("[a-z][a-z0-9_]*") || !words[i + 1].matches("\\d{1,19}")) {
        return false;
      }
    }
    return true;
  }

  private void begin(KernelLine line) {
    current = new OomReport();
    current.complete = Boolean.TRUE;
    current.bootId = bootId;
    section = Section.NONE;
    taskColumns = null;
    incompleteReason = null;
    pendingKillPrefix = null;
    pidFromSummary = false;
    startUs = line.kernelTimeUs();
    lastReportSeq = line.seq();
  }

  /** The report in progress; a report whose header was lost is started incomplete. */
  private OomReport reportFor(KernelLine line) {
    if (current == null) {
      begin(line);
      markIncomplete("the start of the report was not in the kernel log");
    }
    return current;
  }

  private void markIncomplete(String reason) {
    if (current != null) {
      current.complete = Boolean.FALSE;
      if (incompleteReason == null) {
        incompleteReason = reason;
      }
    }
  }

  private void putStat(String name, String value, long mult) {
    try {
      current.memcgStats().put(name, Math.multiplyExact(Long.parseLong(value), mult));
    } catch (ArithmeticException | NumberFormatException e) {
      // a counter too large for a long is garbage; leave it out
    }
  }

  private void addStat(String name, String value, long mult) {
    try {
      long v = Math.multiplyExact(Long.parseLong(value), mult);
      current.memcgStats().merge(name, v, Math::addExact);
    } catch (ArithmeticException | NumberFormatException e) {
      // as above
    }
  }

  private void taskRow(int pid, String rest) {
    List<String> cols = taskColumns != null ? taskColumns : DEFAULT_TASK_COLUMNS;
    int numeric = cols.size() - 1; // the last column is the name
    OomTask t = new OomTask();
    t.pid = pid;
    int pos = 0;
    for (int i = 0; i < numeric; i++) {
      while (pos < rest.length() && rest.charAt(pos) == ' ') {
        pos++;
      }
      int end = rest.indexOf(' ', pos);
      if (end < 0) {
        end = rest.length();
      }
      String tok = rest.substring(pos, end);
      pos = end;
      setTaskColumn(t, cols.get(i), tok);
    }
    while (pos < rest.length() && rest.charAt(pos) == ' ') {
      pos++;
    }
    t.name = pos < rest.length() ? rest.substring(pos) : null;
    current.tasks().add(t);
  }

  private static final List<String> DEFAULT_TASK_COLUMNS =
      List.of(
          "uid",
          "tgid",
          "total_vm",
          "rss",
          "rss_anon",
          "rss_file",
          "rss_shmem",
          "pgtables_bytes",
          "swapents",
          "oom_score_adj",
          "name");

  private static void setTaskColumn(OomTask t, String column, String tok) {
    Long v;
    try {
      v = Long.valueOf(tok);
    } catch (NumberFormatException e) {
      return;
    }
    switch (column.toLowerCase(Locale.ROOT)) {
      case "uid" -> t.uid = v;
      case "tgid" -> t.tgid = v.intValue();
      case "total_vm" -> t.totalVmPages = v;
      case "rss" -> t.rssPages = v;
      case "rss_anon" -> t.rssAnonPages = v;
      case "rss_file" -> t.rssFilePages = v;
      case "rss_shmem" -> t.rssShmemPages = v;
      case "pgtables_bytes" -> t.pgtablesBytes = v;
      case "nr_ptes" -> t.pgtablesBytes = v * 4096;
      case "swapents" -> t.swapents = v;
      case "oom_score_adj" -> t.oomScoreAdj = v.intValue();
      default -> {
        // nr_pmds and columns of kernels not yet seen: not needed
      }
    }
  }

  /**
   * The {@code oom-kill:} summary as the kernel prints it (4.19 to 6.x): {@code constraint,
   * nodemask, cpuset, mems_allowed, [global_oom | oom_memcg], [task_memcg, task, pid, uid]}. Three
   * of its values hold text a process chooses — {@code cpuset} (the name, never a path, of its
   * cpuset cgroup), the cgroup paths (names of cgroups it made below its container's) and {@code
   * task} (its own name) — so the line is split only where the kernel's own rules hold: the node
   * lists are digits, commas and dashes; the cpuset name has no '/' (the root's is "/" alone); the
   * cgroup paths start with '/'; the victim's cgroup lies inside the OOM cgroup; a name is at most
   * 15 bytes (60 characters escaped); pid and uid end the line. The pattern backtracks to the one
   * split that satisfies all.
   */
  private static final String VICTIM =
      ",task=(?<NAME>.{0,60}?),pid=(?<PID>-?\\d+),uid=(?<UID>\\d+)";

  private static final Pattern SUMMARY =
      Pattern.compile(
          "^constraint=(?<constraint>[A-Z_]+)"
              + ",nodemask=(?<nodemask>\\(null\\)|[0-9,-]*)"
              + "(?:,cpuset=(?<cpuset>/|[^/]*?),mems_allowed=(?<mems>[0-9,-]*))?"
              + "(?:"
              // a memcg OOM with its victim: the victim's cgroup is the OOM cgroup or below it
              + ",oom_memcg=(?<oom>/.*?),task_memcg=(?<task>\\k<oom>(?:/.*?)?)"
              + VICTIM.replace("NAME", "name").replace("PID", "pid").replace("UID", "uid")
              // a memcg OOM that found no victim: nothing follows its path
              + "|,oom_memcg=(?<oomonly>/(?:(?!,task_memcg=/).)*)"
              // a global OOM (flagged since 5.x), with its victim or without
              + "|(?<global>,global_oom)?(?:,task_memcg=(?<gtask>/.*?)"
              + VICTIM.replace("NAME", "gname").replace("PID", "gpid").replace("UID", "guid")
              + ")?"
              + ")$");

  private static final Pattern SUMMARY_CONSTRAINT =
      Pattern.compile("^constraint=(CONSTRAINT_[A-Z_]+)(?:,|$)");

  /** Longest summary read; longer ones are not split at all (their paths are made up). */
  private static final int MAX_SUMMARY = 2048; // the kernel's own line limit is 1 KiB

  /**
   * Reads the {@code oom-kill:} summary with {@link #SUMMARY}. When no split satisfies the kernel's
   * rules, no field of it is believed: the report is marked incomplete.
   */
  private void oomKillLine(OomReport r, String body) {
    Map<String, String> kv = new LinkedHashMap<>();
    Matcher m = body.length() <= MAX_SUMMARY ? SUMMARY.matcher(body) : null;
    if (m == null || !m.matches()) {
      // Cut short (a pasted log, a lost record) or not a form the kernel prints: only its first
      // field, which nothing but the kernel writes, is taken.
      markIncomplete("the oom-kill summary line could not be read: " + abbreviate(body));
      Matcher first = SUMMARY_CONSTRAINT.matcher(body);
      if (first.find()) {
        r.constraint = first.group(1);
        r.kind =
            "CONSTRAINT_MEMCG".equals(r.constraint) ? OomReport.KIND_CGROUP : OomReport.KIND_GLOBAL;
      }
      return;
    }
    kv.put("constraint", m.group("constraint"));
    kv.put("nodemask", m.group("nodemask"));
    if (m.group("cpuset") != null) {
      kv.put("cpuset", m.group("cpuset"));
      kv.put("mems_allowed", m.group("mems"));
    }
    if (m.group("global") != null) {
      kv.put("global_oom", "true");
    }
    String oom = m.group("oom") != null ? m.group("oom") : m.group("oomonly");
    if (oom != null) {
      kv.put("oom_memcg", oom);
    }
    boolean memcg = m.group("task") != null;
    if (memcg || m.group("gtask") != null) {
      kv.put("task_memcg", m.group(memcg ? "task" : "gtask"));
      kv.put("task", m.group(memcg ? "name" : "gname"));
      kv.put("pid", m.group(memcg ? "pid" : "gpid"));
      kv.put("uid", m.group(memcg ? "uid" : "guid"));
    }
    r.constraintDetails = kv;
    r.constraint = kv.get("constraint");
    if (kv.containsKey("oom_memcg")) {
      r.oomMemcg = kv.get("oom_memcg");
    }
    if (kv.containsKey("task_memcg")) {
      r.taskMemcg = kv.get("task_memcg");
    }
    if (kv.containsKey("task")) {
      r.process = kv.get("task");
    }
    Integer summaryPid = parseInt(kv.get("pid"), null);
    if (summaryPid != null) {
      r.pid = summaryPid;
      pidFromSummary = true;
    }
    Long uid = parseLong(kv.get("uid"));
    if (uid != null) {
      r.uid = uid;
    }
    if (r.constraint != null) {
      r.kind =
          "CONSTRAINT_MEMCG".equals(r.constraint) ? OomReport.KIND_CGROUP : OomReport.KIND_GLOBAL;
    }
  }

  /**
   * Kernels before 4.19: "Task in TASK_CG killed as a result of limit of OOM_CG". A cgroup's name
   * may hold the words between, so of the possible splits only one the kernel can print is taken:
   * both paths start with '/', and the victim's lies inside the OOM cgroup.
   */
  private void taskIn(OomReport r, String rest) {
    String sep = " killed as a result of limit of ";
    for (int at = rest.indexOf(sep); at >= 0; at = rest.indexOf(sep, at + 1)) {
      String task = rest.substring(0, at).trim();
      String oom = rest.substring(at + sep.length()).trim();
      if (task.startsWith("/") && oom.startsWith("/") && inside(task, oom)) {
        r.taskMemcg = task;
        r.oomMemcg = oom;
        r.kind = OomReport.KIND_CGROUP;
        return;
      }
    }
    markIncomplete("the \"Task in\" line could not be read: " + abbreviate(rest));
  }

  /** True when cgroup {@code path} is {@code parent} or lies below it. */
  private static boolean inside(String path, String parent) {
    return path.equals(parent) || path.startsWith(parent.endsWith("/") ? parent : parent + "/");
  }

  private void killed(KernelLine line, Matcher m, boolean withSizes) {
    OomReport r = reportFor(line);
    String prefix = m.group(1) != null ? m.group(1) : pendingKillPrefix;
    if (prefix != null) {
      r.kind = prefix.startsWith("Memory cgroup") ? OomReport.KIND_CGROUP : OomReport.KIND_GLOBAL;
    }
    int pid = Integer.parseInt(m.group(2));
    if (pidFromSummary && r.pid != null && r.pid != pid) {
      markIncomplete("the victim line names another process than the summary");
    }
    r.pid = pid;
    r.process = m.group(4);
    if (m.group(3) != null) {
      r.uid = Long.valueOf(m.group(3));
    }
    String tail = withSizes ? "total-vm:" + m.group(5) : "";
    Matcher kb = KB_FIELD.matcher(tail);
    while (kb.find()) {
      long v = Long.parseLong(kb.group(2));
      switch (kb.group(1)) {
        case "total-vm" -> r.totalVmKb = v;
        case "anon-rss" -> r.anonRssKb = v;
        case "file-rss" -> r.fileRssKb = v;
        case "shmem-rss" -> r.shmemRssKb = v;
        case "pgtables" -> r.pgtablesKb = v;
        default -> {}
      }
    }
    // The UID is one of the kernel's fields after the name ("UID:0" on 5.x+, "UID 0, " before
    // total-vm on some kernels): never read inside the name, which the process chose.
    Matcher uid = UID_FIELD.matcher(m.group(0).substring(m.end(4)));
    if (uid.find()) {
      r.uid = Long.valueOf(uid.group(1));
    }
    Matcher adj = SCORE_ADJ_FIELD.matcher(tail);
    if (adj.find()) {
      r.oomScoreAdj = Integer.valueOf(adj.group(1));
    }
    if (r.kind == null) {
      // No summary line and no prefix: a limit line means a cgroup OOM on old kernels.
      r.kind = r.oomMemcg != null ? OomReport.KIND_CGROUP : OomReport.KIND_GLOBAL;
    }
    r.seq = line.seq();
    r.kernelTimeUs = line.kernelTimeUs();
    r.timestamp = line.wallTime();
    if (groupPath != null
        && r.oomMemcg == null
        && r.taskMemcg == null
        && r.memcgStatsPath == null) {
      boolean inTime =
          groupUs < 0 || line.kernelTimeUs() == null || line.kernelTimeUs() - groupUs <= GROUP_US;
      if (inTime) {
        r.oomGroup = groupPath; // a member of the group kill the kernel announced
      } else {
        groupPath = null;
      }
    }
    emit();
  }

  private void emit() {
    OomReport r = current;
    emittedStartSeq = lastReportSeq;
    current = null;
    section = Section.NONE;
    if (r.complete == Boolean.FALSE) {
      r.incompleteReason = incompleteReason;
    }
    if (r.kind == null && (r.oomMemcg != null || r.memcgStatsPath != null)) {
      r.kind = OomReport.KIND_CGROUP;
    }
    // Otherwise the kind stays unknown: a fragment must not claim to be a host OOM.
    if (r.seq == null) {
      r.seq = lastSeq;
    }
    listener.report(r);
  }

  private static Long limitKb(long kb) {
    return kb >= UNLIMITED_KB ? null : kb;
  }

  private static Integer parseInt(String s, Integer fallback) {
    if (s == null) {
      return fallback;
    }
    try {
      return Integer.valueOf(s.trim());
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  private static Long parseLong(String s) {
    if (s == null) {
      return null;
    }
    try {
      return Long.valueOf(s.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
