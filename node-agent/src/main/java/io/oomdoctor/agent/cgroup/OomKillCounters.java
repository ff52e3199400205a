package io.oomdoctor.agent.cgroup;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The oom_kill counter of every container cgroup ({@code memory.oom_control} on v1, {@code
 * memory.events} on v2) as far as kills are accounted for, to attribute the kernel's lone kill
 * lines (it prints no cgroup once it rate-limits its reports).
 *
 * <p>The baseline of every container cgroup there is when the agent starts is its counter then, so
 * that kills from before never count. A cgroup first seen later was made later: its baseline is
 * zero, since every kill of it happened while the agent watched (a full report's kill is accounted
 * as soon as it is read). A lone kill line is attributed only when exactly one container's counter
 * rose past what is accounted for; with none or several, it is left unattributed, never guessed
 * (and several risen counters are then all taken as spent, so that one ambiguous moment does not
 * leave every later line ambiguous). One entry per live container cgroup: entries of cgroups that
 * are gone are dropped on the next look.
 */
public final class OomKillCounters {
  private final CgroupTree tree;
  private final Map<String, Long> accounted = new ConcurrentHashMap<>();

  public OomKillCounters(CgroupTree tree) {
    this.tree = tree;
  }

  /** Takes the baseline of every container cgroup there is now (at start-up). */
  public void baseline() {
    for (CgroupTree.Entry e : tree.walk()) {
      if (CgroupTree.isContainer(e)) {
        baselineOf(e);
      }
    }
  }

  /** Takes the baseline of a container cgroup there is at start-up: its counter now. */
  private void baselineOf(CgroupTree.Entry e) {
    Long n = tree.reader().oomKills(e.dir());
    if (n != null) {
      accounted.put(tree.kernelPath(e.dir()), n);
    }
  }

  /**
   * A full report's kill, accounted at its container: one more kill of it, never past its counter
   * {@code now} (the agent may read a report when the container has been killed again since).
   */
  public void accountOne(String kernelPath, long now) {
    accounted.compute(kernelPath, (k, v) -> Math.min((v == null ? 0 : v) + 1, now));
    if (++accountedSinceLook >= 256) {
      accountedSinceLook = 0;
      accounted.keySet().removeIf(p -> !java.nio.file.Files.isDirectory(tree.resolveKernelPath(p)));
    }
  }

  private int accountedSinceLook;

  /** The kernel path of the cgroup at {@code path} as the tree names it (for /proc's paths). */
  public String kernelPathOf(String path) {
    java.nio.file.Path dir = tree.resolveKernelPath(path);
    return java.nio.file.Files.isDirectory(dir) ? tree.kernelPath(dir) : null;
  }

  /**
   * Accounts one kill to the cgroup at {@code kernelPath} when its counter rose past what is
   * accounted; false when it did not (then the kill is not this cgroup's, as far as its counter
   * tells).
   */
  public boolean take(String kernelPath) {
    Long now = tree.reader().oomKills(tree.resolveKernelPath(kernelPath));
    if (now == null) {
      return false;
    }
    long before = accounted.computeIfAbsent(kernelPath, p -> 0L); // made after start-up
    if (now <= before) {
      return false;
    }
    accounted.put(kernelPath, before + 1);
    return true;
  }

  /**
   * The kernel path of the only container whose counter rose past what is accounted, with one kill
   * accounted to it; null when none or several rose.
   */
  public String onlyRisen() {
    Map<String, Long> rises = risen();
    if (rises.size() == 1) {
      String found = rises.keySet().iterator().next();
      account(found, 1);
      return found;
    }
    rises.forEach(this::account); // ambiguous: spent, never guessed
    return null;
  }

  /**
   * Every container whose counter rose past what is accounted, with by how much, largest first;
   * nothing is accounted (see {@link #account}). Entries of cgroups that are gone are dropped.
   */
  public java.util.LinkedHashMap<String, Long> risen() {
    Set<String> alive = new HashSet<>();
    java.util.List<Map.Entry<String, Long>> rises = new java.util.ArrayList<>();
    for (CgroupTree.Entry e : tree.walk()) {
      if (!CgroupTree.isContainer(e)) {
        continue;
      }
      String path = tree.kernelPath(e.dir());
      alive.add(path);
      Long now = tree.reader().oomKills(e.dir());
      if (now == null) {
        continue;
      }
      long before = accounted.computeIfAbsent(path, p -> 0L);
      if (now < before) {
        accounted.put(path, now); // a new cgroup of the same name
      } else if (now > before) {
        rises.add(Map.entry(path, now - before));
      }
    }
    accounted.keySet().retainAll(alive);
    rises.sort(Map.Entry.<String, Long>comparingByValue().reversed());
    java.util.LinkedHashMap<String, Long> out = new java.util.LinkedHashMap<>();
    rises.forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  /** Accounts {@code kills} more kills to the cgroup at {@code kernelPath}. */
  public void account(String kernelPath, long kills) {
    accounted.merge(kernelPath, kills, Long::sum);
  }

  /** Cgroups with a baseline (for tests and the memory budget). */
  public int tracked() {
    return accounted.size();
  }
}
