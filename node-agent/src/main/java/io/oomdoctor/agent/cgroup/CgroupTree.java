package io.oomdoctor.agent.cgroup;

import io.oomdoctor.agent.cgroup.CgroupPathInfo.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The kubelet part of a memory cgroup hierarchy: finds pod and container cgroups, and maps the
 * paths the kernel prints back to directories.
 */
public final class CgroupTree {
  /** A pod or container cgroup found by a walk. */
  public record Entry(String key, Path dir, CgroupPathInfo info) {}

  private final Path cgroupRoot;
  private final Path hierarchyRoot;
  private final CgroupReader reader;

  /** What each cgroup name below kubepods means, for the cgroups the last walk saw. */
  private Map<String, CgroupPathInfo> parsed = new HashMap<>();

  /**
   * @param cgroupRoot the directory holding {@code kubepods} or {@code kubepods.slice}
   * @param hierarchyRoot the mount point of the memory hierarchy, for paths outside kubepods
   */
  public CgroupTree(Path cgroupRoot, Path hierarchyRoot) {
    this.cgroupRoot = cgroupRoot;
    this.hierarchyRoot = hierarchyRoot;
    this.reader = CgroupReader.detect(cgroupRoot);
  }

  /**
   * Finds the memory hierarchy under {@code /sys/fs/cgroup} (given as {@code base}): the v1 memory
   * controller at {@code base/memory}, else the v2 unified hierarchy at {@code base}.
   */
  public static Path defaultRoot(Path base) {
    Path v1 = base.resolve("memory");
    if (Files.exists(v1.resolve("memory.usage_in_bytes"))) {
      return v1;
    }
    return base;
  }

  public Path root() {
    return cgroupRoot;
  }

  public CgroupReader reader() {
    return reader;
  }

  /** Every pod and container cgroup below kubepods, pods before their containers. */
  public synchronized List<Entry> walk() {
    List<Entry> out = new ArrayList<>(256);
    Map<String, CgroupPathInfo> seen = new HashMap<>(Math.max(64, parsed.size() * 2));
    for (String top : new String[] {"kubepods", "kubepods.slice"}) {
      Path dir = cgroupRoot.resolve(top);
      if (Files.isDirectory(dir)) {
        walk(dir, top, 0, out, seen);
      }
    }
    plainDocker(out, seen);
    parsed = seen; // what vanished is forgotten
    return out;
  }

  /**
   * Containers Docker runs by itself (not for the kubelet): {@code docker/<id>} (cgroupfs driver)
   * and {@code system.slice/docker-<id>.scope} (systemd driver), below the hierarchy's root.
   */
  private void plainDocker(List<Entry> out, Map<String, CgroupPathInfo> seen) {
    for (String top : new String[] {"docker", "system.slice"}) {
      String[] names = hierarchyRoot.resolve(top).toFile().list();
      if (names == null) {
        continue;
      }
      for (String name : names) {
        if (top.equals("system.slice") ? !name.startsWith("docker-") : isControlFile(name)) {
          continue;
        }
        String key = top + "/" + name;
        CgroupPathInfo info = parsed.get(key);
        if (info == null) {
          info = CgroupPaths.parse(key);
        }
        if (info.containerId() != null) {
          seen.put(key, info);
          out.add(new Entry(key, hierarchyRoot.resolve(key), info));
        }
      }
    }
  }

  private void walk(
      Path dir, String key, int depth, List<Entry> out, Map<String, CgroupPathInfo> seen) {
    if (depth > 3) {
      return;
    }
    // Names only (no Path, no stat() per entry): a cgroup directory holds some 30 control files,
    // and kubelet's names alone tell pods and containers from them. The walk runs every pass over
    // every pod, so what a name means is worked out once per cgroup, not once per pass.
    String[] names = dir.toFile().list();
    if (names == null) {
      return; // the directory vanished (pod deleted) while walking: normal churn
    }
    for (String name : names) {
      if (isControlFile(name)) {
        continue;
      }
      String childKey = key + "/" + name;
      CgroupPathInfo info = parsed.get(childKey);
      if (info == null) {
        info = CgroupPaths.parse(childKey);
      }
      seen.put(childKey, info);
      switch (info.level()) {
        case POD -> {
          Path child = dir.resolve(name);
          out.add(new Entry(childKey, child, info));
          walk(child, childKey, depth + 1, out, seen);
        }
        case CONTAINER -> out.add(new Entry(childKey, dir.resolve(name), info));
        case NODE -> walk(dir.resolve(name), childKey, depth + 1, out, seen);
        default -> {}
      }
    }
  }

  /** Control files: "memory.stat", "cgroup.procs", "tasks", … (dotted names other than units). */
  static boolean isControlFile(String name) {
    int dot = name.indexOf('.');
    if (dot < 0) {
      return name.equals("tasks")
          || name.equals("notify_on_release")
          || name.equals("release_agent");
    }
    return !(name.endsWith(".slice") || name.endsWith(".scope"));
  }

  /**
   * The key (path from the kubelet root, e.g. {@code kubepods/burstable/pod…/…}, or a plain Docker
   * container's {@code docker/<id>}) of a path as the kernel printed it, or null when it is
   * neither.
   */
  public static String keyOf(String kernelPath) {
    if (kernelPath == null) {
      return null;
    }
    String p = kernelPath.startsWith("/") ? kernelPath : "/" + kernelPath;
    int i = p.indexOf("/kubepods/");
    if (i < 0) {
      i = p.indexOf("/kubepods.slice");
    }
    if (i < 0 && (p.endsWith("/kubepods"))) {
      i = p.length() - "/kubepods".length();
    }
    if (i < 0) {
      return CgroupPaths.plainDockerKey(p);
    }
    String key = p.substring(i + 1);
    return key.endsWith("/") ? key.substring(0, key.length() - 1) : key;
  }

  /** The directory of a path as the kernel printed it. */
  public Path resolveKernelPath(String kernelPath) {
    String key = keyOf(kernelPath);
    if (key != null) {
      // a plain Docker container's key is its path from the hierarchy's root
      return key.startsWith("kubepods") ? cgroupRoot.resolve(key) : hierarchyRoot.resolve(key);
    }
    String rel = kernelPath.startsWith("/") ? kernelPath.substring(1) : kernelPath;
    return rel.isEmpty() ? hierarchyRoot : hierarchyRoot.resolve(rel);
  }

  /** True for a container-level entry. */
  /** A directory's path as the kernel prints it: relative to the hierarchy's mount. */
  public String kernelPath(Path dir) {
    return "/" + hierarchyRoot.relativize(dir);
  }

  public static boolean isContainer(Entry e) {
    return e.info().level() == Level.CONTAINER
        || (e.info().level() == Level.OUTSIDE && e.info().containerId() != null);
  }
}
