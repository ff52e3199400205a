package io.oomdoctor.agent;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.oomdoctor.agent.cgroup.CgroupPaths;
import io.oomdoctor.agent.cgroup.CgroupTree;
import io.oomdoctor.agent.cgroup.MemorySampler;
import io.oomdoctor.agent.cgroup.OomKillCounters;
import io.oomdoctor.agent.cgroup.PathAttribution;
import io.oomdoctor.agent.cgroup.ProcCgroup;
import io.oomdoctor.agent.export.OomKills;
import io.oomdoctor.agent.export.ReportBounds;
import io.oomdoctor.agent.kmsg.KmsgReader;
import io.oomdoctor.agent.pod.PodResolver;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomKillSpec;
import io.oomdoctor.model.evidence.Attribution;
import io.oomdoctor.model.evidence.CgroupSnapshot;
import io.oomdoctor.model.evidence.MemoryTrend;
import io.oomdoctor.model.evidence.OomReport;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Turns a parsed kernel report into an OomKill: attribution from the cgroup paths, the pod and
 * container from the node's pods, live cgroup figures (when the cgroup still exists), the memory
 * trend and the last look at the container's processes.
 */
public final class EvidenceAssembler {
  private final String nodeName;
  private final String fallbackNamespace;
  private final CgroupTree tree;
  private final MemorySampler sampler;
  private final PodResolver pods;
  private final Path procRoot;

  /** oom_kill counters as far as kills are accounted for; null when not on the node. */
  private final OomKillCounters counters;

  /**
   * @param tree live cgroups; null when not on the node (parse)
   * @param sampler trends and processes; null when not sampling (scan)
   */
  public EvidenceAssembler(
      String nodeName,
      String fallbackNamespace,
      CgroupTree tree,
      MemorySampler sampler,
      PodResolver pods,
      Path procRoot) {
    this.procRoot = procRoot;
    this.nodeName = nodeName;
    this.fallbackNamespace = fallbackNamespace;
    this.tree = tree;
    this.sampler = sampler;
    this.pods = pods;
    this.counters = tree == null ? null : new OomKillCounters(tree);
  }

  /**
   * Accounts kills of a container that were counted into another's OomKill (an OOM storm), so that
   * its oom_kill counter does not later stand for lone kill lines of other containers.
   */
  public void accountFolded(String kernelPath, int kills) {
    if (counters == null || kernelPath == null) {
      return;
    }
    String key = containerKey(kernelPath);
    for (int i = 0; i < kills && key != null; i++) {
      if (!counters.take(key)) {
        return;
      }
    }
  }

  /** Kernel time (µs since boot) of the counters' baseline; reports before it are in it. */
  private long baselineUs;

  /** Takes the baseline of every container's oom_kill counter: kills before now are not ours. */
  public void baseline() {
    if (counters != null) {
      baselineUs = uptimeUs();
      counters.baseline();
    }
  }

  private long uptimeUs() {
    double up = procRoot == null ? Double.NaN : KmsgReader.uptimeSeconds(procRoot);
    return Double.isNaN(up) ? 0 : (long) (up * 1_000_000); // 0: every report after the baseline
  }

  public OomKill assemble(OomReport r, long nowMillis) {
    return assemble(r, nowMillis, null);
  }

  /** Whether the kernel printed only the kill line (no cgroup in the report). */
  public static boolean loneLine(OomReport r) {
    return r.taskMemcg == null
        && r.oomMemcg == null
        && r.memcgStatsPath == null
        && r.oomGroup == null
        && r.pid != null
        && !OomReport.KIND_GLOBAL.equals(r.kind);
  }

  /**
   * The victim's container cgroup from its /proc/PID/cgroup, read as soon as its kill line is seen
   * (before its parent reaps it), as the agent's cgroup namespace names it; null when gone.
   */
  public String procContainer(OomReport r) {
    if (procRoot == null || r.pid == null) {
      return null;
    }
    return CgroupPaths.containerPath(ProcCgroup.memoryPath(procRoot, Integer.toString(r.pid)));
  }

  /**
   * @param procContainer for a lone kill line, the victim's container as {@link #procContainer}
   *     read it earlier; null to read it now
   */
  public OomKill assemble(OomReport r, long nowMillis, String procContainer) {
    return assembleAt(r, nowMillis, loneLine(r) ? locateLoneLine(r, procContainer) : null);
  }

  /**
   * The kernel path of the container cgroup a lone kill line's victim was in, as its /proc read it
   * ({@link #procContainer}), with one kill accounted to it, when its oom_kill counter rose past
   * what is accounted; null when it did not (a reused PID, or a rise already given to other lines):
   * then the line is not located.
   */
  public String takeProc(String procContainer) {
    String path = named(procContainer);
    return path != null && counters.take(path) ? path : null;
  }

  /**
   * Whether a victim whose /proc named {@code procContainer} ({@link #procContainer}) was in the
   * cgroup {@code oomGroup} the kernel announced as killed together: the kill line of the next OOM
   * kill (rate-limited to a lone line) looks like a member's, so a member is believed only when its
   * /proc says so.
   */
  public boolean inGroup(String procContainer, String oomGroup) {
    String kp = named(procContainer);
    return kp != null && oomGroup != null && (kp.equals(oomGroup) || kp.startsWith(oomGroup + "/"));
  }

  /** The OomKill of a lone kill line whose container {@link #takeProc} found. */
  public OomKill assembleLocated(OomReport r, String path, long nowMillis) {
    r.complete = false;
    r.incompleteReason = LONE_LINE;
    return assembleAt(r, nowMillis, new Located(path, Attribution.METHOD_PROC));
  }

  private static final String LONE_LINE =
      "the kernel printed only the kill line (it rate-limits OOM reports to 10 in 5 s)";

  /**
   * One container's share of lone kill lines whose victims were gone before their cgroups could be
   * read: {@code kills} of them are the kills its oom_kill counter counted ({@code path} null: the
   * lines no counter accounts for). {@code sole}: it was the only container whose counter rose, so
   * the lines are its own; otherwise which of them were its is not known.
   */
  public record Share(String path, int kills, boolean sole) {}

  /** Whether lines were shared by count since every counted kill last had its line. */
  private boolean sharedByCount;

  /**
   * Shares out {@code lines} lone kill lines whose victims' cgroups could not be read by the
   * containers' oom_kill counters: each container whose counter rose past what is accounted (and
   * past its kills whose full reports still wait, {@code pending}, by cgroup path as the kernel
   * prints it) is given as many as it rose, largest rise first, never more than there are lines;
   * what is given is accounted. A line's victim (PID, name) goes with a share only when one counter
   * rose; with several, each container gets its count and no line, since which line was whose is
   * not known. Lines left over stay unattributed.
   */
  public List<Share> apportion(int lines, Map<String, Integer> pending) {
    return apportion(lines, pending, risen());
  }

  /**
   * Every container whose oom_kill counter rose past what is accounted, by how much, largest first
   * (nothing accounted): what {@link #apportion(int, Map, Map)} shares out.
   */
  public Map<String, Long> risen() {
    return counters == null ? new LinkedHashMap<>() : counters.risen();
  }

  /**
   * As {@link #apportion(int, Map)}, against the rises {@link #risen()} read earlier — before the
   * lines of every kill in them had been read, so that the kills whose full reports came since are
   * among {@code pending}.
   */
  public List<Share> apportion(int lines, Map<String, Integer> pending, Map<String, Long> risen) {
    List<Share> out = new ArrayList<>();
    int left = lines;
    if (counters != null) {
      for (var p : pending.entrySet()) {
        String key = containerKey(p.getKey());
        if (key != null) {
          risen.computeIfPresent(key, (k, v) -> v > p.getValue() ? v - p.getValue() : null);
        }
      }
      // One risen counter names the lines' victims only when no earlier sharing was by count
      // alone: a rise left over from such a sharing may be another container's line's.
      boolean sole = risen.size() == 1 && !sharedByCount;
      long unexplained = 0;
      for (var e : risen.entrySet()) {
        int n = (int) Math.min(e.getValue(), left);
        if (n > 0) {
          counters.account(e.getKey(), n);
          out.add(new Share(e.getKey(), n, sole));
          left -= n;
        }
        unexplained += e.getValue() - n;
      }
      // Every kill counted has had its line: what comes next is unambiguous again.
      sharedByCount = unexplained > 0 && (sharedByCount || risen.size() > 1);
    }
    if (left > 0) {
      out.add(new Share(null, left, false));
    }
    return out;
  }

  /**
   * The OomKill of one {@link Share}: with {@code line} as its report when the line is known to be
   * the share's (the only risen counter, or no counter at all), else with a report that says only
   * what is known — that the kernel killed in this container, when, and that the line is not known.
   *
   * @param seq the kernel record of this share's first line (names the OomKill)
   */
  public OomKill assembleShare(OomReport line, Share share, long seq, long nowMillis) {
    return assembleShare(line, null, share, seq, nowMillis);
  }

  /**
   * @param lineContainer the container the line's /proc named (its counter did not rise for it), or
   *     null: a share elsewhere never names the line's victim
   */
  public OomKill assembleShare(
      OomReport line, String lineContainer, Share share, long seq, long nowMillis) {
    OomReport r = line;
    String lineAt = named(lineContainer);
    boolean lineIsIts =
        share.path() == null || (share.sole() && (lineAt == null || lineAt.equals(share.path())));
    if (!lineIsIts || !Objects.equals(line.seq, seq)) {
      r = new OomReport();
      r.kind = line.kind;
      r.bootId = line.bootId;
      r.seq = seq;
      r.kernelTimeUs = line.kernelTimeUs;
      r.timestamp = line.timestamp;
    }
    r.complete = false;
    r.incompleteReason =
        lineIsIts
            ? LONE_LINE
            : "the kernel printed only kill lines (it rate-limits OOM reports to 10 in 5 s) and their"
                + " victims were gone before their cgroups could be read; this container's"
                + " oom_kill counter counted these kills, but which of the lines were its is not"
                + " known";
    return assembleAt(
        r,
        nowMillis,
        new Located(share.path(), share.path() == null ? null : Attribution.METHOD_COUNTER));
  }

  private OomKill assembleAt(OomReport r, long nowMillis, Located at) {
    boolean loneLine = at != null;
    String taskPath;
    String oomPath;
    Attribution a;
    if (loneLine) {
      taskPath = at.path();
      oomPath = at.path();
      a = PathAttribution.of(r, at.path(), at.path(), at.method());
    } else {
      taskPath = victimCgroup(r);
      oomPath = firstOf(r.oomMemcg, r.memcgStatsPath, r.oomGroup);
      a = PathAttribution.of(r, taskPath, oomPath, Attribution.METHOD_REPORT_PATH);
    }
    if (a.podUid == null && a.containerId != null) {
      // cri-dockerd with a path that names no pod: Docker's io.kubernetes.* labels do
      String uid = pods.podUidOfContainer(a.containerId);
      if (uid != null) {
        a.podUid = uid;
        a.method = Attribution.METHOD_RUNTIME_LABELS;
      }
    }
    if (a.containerRuntime == null && a.podUid != null) {
      a.containerRuntime = pods.runtimeOf(a.podUid, a.containerId);
    }
    ReportBounds.fit(r);
    OomKillSpec spec = new OomKillSpec();
    spec.nodeName = nodeName;
    spec.agentVersion = AgentVersion.VERSION;
    spec.report = r;
    spec.attribution = a;
    spec.limit = OomReport.KIND_GLOBAL.equals(r.kind) ? "node" : OomKills.humanKb(r.limitKb);
    spec.pod =
        a.podUid != null
            ? pods.resolve(a.podUid, a.containerId)
            : a.containerId != null ? pods.resolveContainer(a.containerId) : null;
    if (tree != null) {
      spec.cgroups = liveCgroups(taskPath, oomPath);
      if (!loneLine && (r.kernelTimeUs == null || r.kernelTimeUs >= baselineUs)) {
        // A full report's kill is accounted at its container's counter (on cgroup v2 it counts the
        // kills below it too): a later lone kill line must not take it. A kill from before the
        // baseline is in the baseline already.
        String key = containerKey(taskPath);
        Long count = key == null ? null : tree.reader().oomKills(tree.resolveKernelPath(key));
        if (count != null) {
          counters.accountOne(key, count);
        }
      }
      if (spec.limit == null && !spec.cgroups.isEmpty() && spec.cgroups.get(0).limitBytes != null) {
        spec.limit = OomKills.humanKb(spec.cgroups.get(0).limitBytes / 1024);
      }
    }
    if (sampler != null && taskPath != null) {
      long killMillis = killEpochMillis(r, nowMillis);
      long killSec = killMillis / 1000;
      String trendPath = oomPath != null && !"node".equals(a.limitScope) ? oomPath : taskPath;
      if (!Objects.equals(trendPath, taskPath)
          && containersOwnLimit(spec, r)
          && sampler.seen(taskPath)) {
        // The pod's limit that was hit is the container's own (a pod of one container: the
        // kubelet sets the pod's to the sum): the container's own samples are its trend. The
        // pod's usage also holds what its dead containers left charged (their page cache), which
        // the kernel reclaims while the new container grows — a growth the pod's usage hides.
        trendPath = taskPath;
      }
      // Samples are kept by the second: when every read of the kill's second came after the kill
      // (a pass may begin before it and reach the cgroup after it), that second shows the emptied
      // cgroup and must not count as the container's last sample.
      boolean emptiedSecond = sampler.firstReadMillis(trendPath, killSec) > killMillis;
      // A pod's cgroup outlives its containers' restarts: its trend counts from the killed
      // container's start.
      long since = Objects.equals(trendPath, taskPath) ? 0 : sampler.startOf(taskPath);
      String podPath = parentOf(taskPath);
      boolean neverSeen = !sampler.seen(taskPath) && podPath != null && sampler.seen(podPath);
      long podLastSeen = neverSeen ? sampler.lastSeenOf(podPath) : 0;
      if (neverSeen && !Objects.equals(trendPath, taskPath)) {
        // The container came after the last pass over its pod: only that pass's sample is its
        // own, not the history of the containers before it.
        since = podLastSeen;
      }
      if (Objects.equals(trendPath, taskPath) || since <= 0) {
        spec.trend = sampler.trend(trendPath, killSec, since, emptiedSecond);
      } else {
        // The pod's samples keep each second's largest: the second the container started may
        // still hold its predecessor's peak. From the next second on, when there is one.
        spec.trend = sampler.trendSince(trendPath, killSec, since + 1, emptiedSecond);
        if (spec.trend == null || spec.trend.series == null || spec.trend.series.size() < 2) {
          spec.trend = sampler.trendSince(trendPath, killSec, since, emptiedSecond);
        }
      }
      if (spec.trend == null && !Objects.equals(trendPath, taskPath)) {
        spec.trend =
            sampler.trend(
                taskPath, killSec, 0, sampler.firstReadMillis(taskPath, killSec) > killMillis);
      }
      if (neverSeen) {
        // Killed before the sampler's first look at it: younger than one pass.
        long age = Math.max(0, killSec - podLastSeen);
        if (spec.trend == null) {
          spec.trend = new MemoryTrend();
          spec.trend.samples = 0;
          if (r.usageKb != null) {
            spec.trend.peakBytes = r.usageKb * 1024;
            spec.trend.lastBytes = r.usageKb * 1024;
          }
        }
        spec.trend.containerAgeSeconds =
            spec.trend.containerAgeSeconds == null
                ? age
                : Math.min(spec.trend.containerAgeSeconds, age);
      }
      spec.processes = sampler.processes(taskPath);
    }
    OomKill kill = new OomKill();
    ObjectMeta meta = new ObjectMeta();
    meta.setName(OomKills.name(nodeName, r));
    meta.setNamespace(spec.pod != null ? spec.pod.namespace : fallbackNamespace);
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(OomKill.LABEL_NODE, label(nodeName));
    if (a.podUid != null) {
      labels.put(OomKill.LABEL_POD_UID, a.podUid);
    }
    if (spec.pod != null && spec.pod.container != null) {
      labels.put(OomKill.LABEL_CONTAINER, label(spec.pod.container));
    }
    meta.setLabels(labels);
    kill.setMetadata(meta);
    kill.setSpec(spec);
    return kill;
  }

  /** Whether the limit the report says was hit equals the killed container's own limit. */
  private static boolean containersOwnLimit(OomKillSpec spec, OomReport r) {
    return spec.pod != null
        && spec.pod.containerLimitBytes != null
        && r.limitKb != null
        && spec.pod.containerLimitBytes == r.limitKb * 1024;
  }

  /**
   * The victim's cgroup as a report with the kernel's paths names it: its task memcg, else the
   * memory.stat section's, else the oom.group it was killed with.
   */
  public static String victimCgroup(OomReport r) {
    return firstOf(r.taskMemcg, r.memcgStatsPath, r.oomGroup);
  }

  /** A container cgroup's path from /proc (the agent's cgroup namespace) as the tree names it. */
  private String named(String container) {
    return container == null || counters == null ? null : counters.kernelPathOf(container);
  }

  /** The container cgroup of a kernel path (none below it), as the tree names it. */
  private String containerKey(String kernelPath) {
    return named(CgroupPaths.containerPath(kernelPath));
  }

  private static String firstOf(String... paths) {
    for (String p : paths) {
      if (p != null) {
        return p;
      }
    }
    return null;
  }

  /** The parent of a cgroup path as the kernel prints it (a container's pod), or null. */
  private static String parentOf(String path) {
    if (path == null) {
      return null;
    }
    int slash = path.lastIndexOf('/');
    return slash <= 0 ? null : path.substring(0, slash);
  }

  /** Where a lone kill line's cgroup was found, and how; both null when it was not. */
  private record Located(String path, String method) {}

  /**
   * The kernel rate-limits its OOM reports (at most 10 in 5 s): past that, it prints only the
   * "Killed process" line, without the cgroup. Finds the cgroup from the victim's /proc/PID/cgroup
   * while it is not yet reaped (and only when that cgroup's oom_kill counter rose, so that a reused
   * PID is not believed), else from the only container whose oom_kill counter rose; otherwise the
   * kill stays unattributed. The report is marked incomplete; how the cgroup was found is the
   * attribution's {@code method}.
   */
  private Located locateLoneLine(OomReport r, String procContainer) {
    String method;
    // /proc gives the path as the agent's cgroup namespace sees it ("/../../kubepods…" in a
    // namespace of its own): read at the container's level, then named as the tree names it.
    String path = takeProc(procContainer != null ? procContainer : procContainer(r));
    if (path != null) {
      method = Attribution.METHOD_PROC;
    } else {
      path = counters == null ? null : counters.onlyRisen();
      method = path == null ? null : Attribution.METHOD_COUNTER;
    }
    r.complete = false;
    r.incompleteReason = LONE_LINE;
    return new Located(path, method);
  }

  private List<CgroupSnapshot> liveCgroups(String taskPath, String oomPath) {
    List<CgroupSnapshot> out = new ArrayList<>(2);
    for (String p : new String[] {taskPath, oomPath}) {
      if (p == null || out.stream().anyMatch(s -> p.equals(s.path))) {
        continue;
      }
      tree.reader()
          .snapshot(tree.resolveKernelPath(p))
          .ifPresent(
              s -> {
                s.path = p;
                out.add(s);
              });
    }
    return out;
  }

  private static long killEpochMillis(OomReport r, long nowMillis) {
    if (r.timestamp != null) {
      try {
        return OffsetDateTime.parse(r.timestamp).toInstant().toEpochMilli();
      } catch (RuntimeException e) {
        // fall through to now
      }
    }
    return nowMillis;
  }

  /** Label values: at most 63 characters of [A-Za-z0-9._-], starting and ending alphanumeric. */
  static String label(String s) {
    String v = s.replaceAll("[^A-Za-z0-9._-]", "_");
    if (v.length() > 63) {
      v = v.substring(0, 63);
    }
    return v.replaceAll("^[^A-Za-z0-9]+", "").replaceAll("[^A-Za-z0-9]+$", "");
  }
}
