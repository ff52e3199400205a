package io.oomdoctor.agent.cgroup;

import io.oomdoctor.agent.cgroup.CgroupPathInfo.Level;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads kubelet's cgroup naming. Paths may carry any prefix before {@code kubepods} (nested
 * hierarchies, a container runtime's own parent cgroup), so the reading starts at the
 * <em>outermost</em> {@code kubepods} component: whatever follows the container's own cgroup was
 * made inside the container, and a process there may name its cgroups as it likes (even {@code
 * kubepods/…/pod<another uid>/…}), so nothing below the container's level is read.
 *
 * <pre>
 * cgroupfs: …/kubepods[/burstable|/besteffort]/pod&lt;uid&gt;/&lt;id&gt; (or crio-&lt;id&gt;, docker-&lt;id&gt;)
 * systemd:  …/kubepods.slice[/kubepods-&lt;qos&gt;.slice]/kubepods[-&lt;qos&gt;]-pod&lt;uid_&gt;.slice/
 *           cri-containerd-&lt;id&gt;.scope | crio-&lt;id&gt;.scope | docker-&lt;id&gt;.scope
 * </pre>
 */
public final class CgroupPaths {
  private static final String UID =
      "([0-9a-fA-F]{8}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{12})";
  private static final Pattern CGROUPFS_POD = Pattern.compile("^pod" + UID + "$");
  private static final Pattern SYSTEMD_QOS =
      Pattern.compile("^kubepods-(burstable|besteffort)\\.slice$");
  private static final Pattern SYSTEMD_POD =
      Pattern.compile("^kubepods(?:-(burstable|besteffort))?-pod" + UID + "\\.slice$");
  private static final Pattern CONTAINER_NAME =
      Pattern.compile(
          "^(?:(cri-containerd|crio|docker|containerd)-)?([0-9a-f]{12,64})(?:\\.scope)?$");

  /** A plain Docker container: its key (path from the hierarchy's root) and its ID. */
  private static final Pattern PLAIN_DOCKER =
      Pattern.compile(
          "(?:^|/)(docker/(?<cgroupfs>[0-9a-f]{64})|system\\.slice/docker-(?<systemd>[0-9a-f]{64})"
              + "\\.scope)/?$");

  private CgroupPaths() {}

  /**
   * The path from the hierarchy's root of a plain Docker container's cgroup ({@code docker/<id>},
   * {@code system.slice/docker-<id>.scope}) that ends {@code path}, or null.
   */
  public static String plainDockerKey(String path) {
    Matcher m = PLAIN_DOCKER.matcher(path);
    return m.find() ? m.group(1) : null;
  }

  /** Parses a cgroup path as the kernel prints it (or as found under the hierarchy root). */
  public static CgroupPathInfo parse(String path) {
    if (path == null || path.isEmpty()) {
      return CgroupPathInfo.NONE;
    }
    String[] parts = path.split("/");
    for (int i = 0; i < parts.length; i++) {
      if (parts[i].equals("kubepods")) {
        return cgroupfs(parts, i + 1);
      }
      if (parts[i].equals("kubepods.slice")) {
        return systemd(parts, i + 1);
      }
    }
    Matcher m = PLAIN_DOCKER.matcher(path);
    if (m.find()) {
      String id = m.group("cgroupfs") != null ? m.group("cgroupfs") : m.group("systemd");
      return new CgroupPathInfo(null, id, "docker", null, null, Level.OUTSIDE);
    }
    return CgroupPathInfo.NONE;
  }

  /**
   * The path of the container cgroup that {@code path} is (or lies below), read from the outermost
   * kubepods as {@link #parse} does; null when the path is not in a container's cgroup.
   */
  public static String containerPath(String path) {
    CgroupPathInfo info = parse(path);
    if (info.level() != Level.CONTAINER && info.level() != Level.INSIDE_CONTAINER) {
      return null;
    }
    String[] parts = path.split("/");
    for (int i = 0; i < parts.length; i++) {
      if (parts[i].equals("kubepods") || parts[i].equals("kubepods.slice")) {
        int j = i + 1;
        if (j < parts.length
            && (parts[j].equals("burstable")
                || parts[j].equals("besteffort")
                || SYSTEMD_QOS.matcher(parts[j]).matches())) {
          j++;
        }
        return String.join("/", java.util.Arrays.copyOfRange(parts, 0, j + 2)); // pod, container
      }
    }
    return null;
  }

  private static CgroupPathInfo cgroupfs(String[] parts, int i) {
    String qos = null;
    if (i < parts.length && (parts[i].equals("burstable") || parts[i].equals("besteffort"))) {
      qos = parts[i++];
    }
    return pod(parts, i, qos, CGROUPFS_POD, "cgroupfs");
  }

  private static CgroupPathInfo systemd(String[] parts, int i) {
    String qos = null;
    Matcher q = i < parts.length ? SYSTEMD_QOS.matcher(parts[i]) : null;
    if (q != null && q.matches()) {
      qos = q.group(1);
      i++;
    }
    return pod(parts, i, qos, SYSTEMD_POD, "systemd");
  }

  private static CgroupPathInfo pod(
      String[] parts, int i, String qos, Pattern podPattern, String driver) {
    if (i >= parts.length) {
      return new CgroupPathInfo(null, null, null, null, driver, Level.NODE);
    }
    Matcher p = podPattern.matcher(parts[i]);
    if (!p.matches()) {
      return CgroupPathInfo.NONE; // something kubelet does not make at this level
    }
    String uid = p.group(p.groupCount());
    String podQos = p.groupCount() == 2 && p.group(1) != null ? p.group(1) : qos;
    String qosClass = podQos == null ? "guaranteed" : podQos;
    String podUid = uid.replace('_', '-').toLowerCase(Locale.ROOT);
    if (i + 1 >= parts.length) {
      return new CgroupPathInfo(podUid, null, null, qosClass, driver, Level.POD);
    }
    Matcher c = CONTAINER_NAME.matcher(parts[i + 1]);
    if (!c.matches()) {
      // Something kubelet does not make (a process's own sub-cgroup): still the pod's.
      return new CgroupPathInfo(podUid, null, null, qosClass, driver, Level.POD);
    }
    String runtime =
        c.group(1) == null
            ? null
            : switch (c.group(1)) {
              case "cri-containerd", "containerd" -> "containerd";
              case "crio" -> "cri-o";
              default -> "docker";
            };
    Level level = i + 2 >= parts.length ? Level.CONTAINER : Level.INSIDE_CONTAINER;
    return new CgroupPathInfo(podUid, c.group(2), runtime, qosClass, driver, level);
  }
}
