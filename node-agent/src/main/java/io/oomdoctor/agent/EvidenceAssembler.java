package io.oomdoctor.agent;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.oomdoctor.agent.cgroup.Attribution;
import io.oomdoctor.agent.cgroup.CgroupTree;
import io.oomdoctor.agent.cgroup.MemorySampler;
import io.oomdoctor.agent.cgroup.ProcCgroup;
import io.oomdoctor.agent.export.OomKills;
import io.oomdoctor.agent.pod.PodResolver;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.OomKillSpec;
import io.oomdoctor.model.evidence.CgroupSnapshot;
import io.oomdoctor.model.evidence.OomReport;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
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

  /** oom_kill counters of container cgroups as last seen, by kernel path. */
  private final Map<String, Long> oomKillsSeen = new HashMap<>();

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
  }

  public OomKill assemble(OomReport r, long nowMillis) {
    boolean rateLimited =
        r.taskMemcg == null && r.pid != null && !OomReport.KIND_GLOBAL.equals(r.kind);
    if (rateLimited) {
      locateRateLimited(r);
    }
    Attribution.attribute(r);
    if (r.containerRuntime == null && r.podUid != null) {
      r.containerRuntime = pods.runtimeOf(r.podUid, r.containerId);
    }
    OomKillSpec spec = new OomKillSpec();
    spec.nodeName = nodeName;
    spec.agentVersion = AgentVersion.VERSION;
    spec.report = r;
    spec.limit = OomReport.KIND_GLOBAL.equals(r.kind) ? "node" : OomKills.humanKb(r.limitKb);
    spec.pod = r.podUid == null ? null : pods.resolve(r.podUid, r.containerId);
    if (tree != null) {
      spec.cgroups = liveCgroups(r);
      if (!rateLimited) {
        // A full report's kill is accounted for: a later lone kill line must not take it.
        spec.cgroups.stream()
            .filter(c -> c.oomKills != null && c.path.equals(r.taskMemcg))
            .forEach(c -> oomKillsSeen.merge(c.path, c.oomKills, Math::max));
      }
      if (spec.limit == null && !spec.cgroups.isEmpty() && spec.cgroups.get(0).limitBytes != null) {
        spec.limit = OomKills.humanKb(spec.cgroups.get(0).limitBytes / 1024);
      }
    }
    if (sampler != null) {
      long killSec = killEpochSec(r, nowMillis);
      String trendPath =
          r.oomMemcg != null && !"node".equals(r.limitScope) ? r.oomMemcg : r.taskMemcg;
      // A pod's cgroup outlives its containers' restarts: its trend counts from the killed
      // container's start.
      long since = Objects.equals(trendPath, r.taskMemcg) ? 0 : sampler.startOf(r.taskMemcg);
      spec.trend = sampler.trend(trendPath, killSec, since);
      if (spec.trend == null && !Objects.equals(trendPath, r.taskMemcg)) {
        spec.trend = sampler.trend(r.taskMemcg, killSec);
      }
      spec.processes = sampler.processes(r.taskMemcg);
    }
    OomKill kill = new OomKill();
    ObjectMeta meta = new ObjectMeta();
    meta.setName(OomKills.name(nodeName, r));
    meta.setNamespace(spec.pod != null ? spec.pod.namespace : fallbackNamespace);
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(OomKill.LABEL_NODE, label(nodeName));
    if (r.podUid != null) {
      labels.put(OomKill.LABEL_POD_UID, r.podUid);
    }
    if (spec.pod != null && spec.pod.container != null) {
      labels.put(OomKill.LABEL_CONTAINER, label(spec.pod.container));
    }
    meta.setLabels(labels);
    kill.setMetadata(meta);
    kill.setSpec(spec);
    return kill;
  }

  /**
   * The kernel rate-limits its OOM reports (at most 10 in 5 s): past that, it prints only the
   * "Killed process" line, without the cgroup. Finds the cgroup from the victim's /proc/PID/cgroup
   * while it is not yet reaped, else from the container cgroup whose oom_kill counter went up since
   * last seen; says which in the report.
   */
  private void locateRateLimited(OomReport r) {
    String how = null;
    String path =
        procRoot == null ? null : ProcCgroup.memoryPath(procRoot, Integer.toString(r.pid));
    if (path != null && path.contains("kubepods")) {
      how = "from /proc/" + r.pid + "/cgroup";
    } else {
      path = tree == null ? null : counterWentUp();
      how = path == null ? null : "from the oom_kill counter of its cgroup";
    }
    if (path != null) {
      r.taskMemcg = path;
      r.oomMemcg = path;
    }
    r.complete = false;
    r.incompleteReason =
        "the kernel printed only the kill line (it rate-limits OOM reports to 10 in 5 s); "
            + (path != null ? "the cgroup was found " + how : "the cgroup could not be found");
  }

  private String counterWentUp() {
    String found = null;
    for (CgroupTree.Entry e : tree.walk()) {
      if (!CgroupTree.isContainer(e)) {
        continue;
      }
      String kernelPath = tree.kernelPath(e.dir());
      Long now = tree.reader().oomKills(e.dir()); // only the counter, not a whole snapshot
      if (now == null) {
        continue;
      }
      long before = oomKillsSeen.getOrDefault(kernelPath, 0L);
      if (now > before && found == null) {
        found = kernelPath;
        oomKillsSeen.put(kernelPath, before + 1); // one increment per kill line
      } else if (now < before) {
        oomKillsSeen.put(kernelPath, now);
      }
    }
    return found;
  }

  private List<CgroupSnapshot> liveCgroups(OomReport r) {
    List<CgroupSnapshot> out = new ArrayList<>(2);
    for (String p : new String[] {r.taskMemcg, r.oomMemcg}) {
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

  private static long killEpochSec(OomReport r, long nowMillis) {
    if (r.timestamp != null) {
      try {
        return OffsetDateTime.parse(r.timestamp).toEpochSecond();
      } catch (RuntimeException e) {
        // fall through to now
      }
    }
    return nowMillis / 1000;
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
