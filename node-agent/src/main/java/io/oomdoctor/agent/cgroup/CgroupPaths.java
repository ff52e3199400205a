package io.oomdoctor.agent.cgroup;

import io.oomdoctor.agent.cgroup.CgroupPathInfo.Level;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads kubelet's cgroup naming. Paths may carry any prefix before {@code kubepods} (nested
 * hierarchies, a container runtime's own parent cgroup), so nothing is anchored at the root.
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
  private static final Pattern CGROUPFS =
      Pattern.compile(
          "(?:^|/)kubepods(?:/(burstable|besteffort))?(?:/pod" + UID + "(?:/([^/]+))?)?/?$");
  private static final Pattern SYSTEMD =
      Pattern.compile(
          "(?:^|/)kubepods\\.slice(?:/kubepods-(burstable|besteffort)\\.slice)?"
              + "(?:/kubepods(?:-(?:burstable|besteffort))?-pod"
              + UID
              + "\\.slice(?:/([^/]+))?)?/?$");
  private static final Pattern CONTAINER_NAME =
      Pattern.compile(
          "^(?:(cri-containerd|crio|docker|containerd)-)?([0-9a-f]{12,64})(?:\\.scope)?$");
  private static final Pattern PLAIN_DOCKER =
      Pattern.compile("(?:^|/)(?:docker/|system\\.slice/docker-)([0-9a-f]{64})(?:\\.scope)?/?$");

  private CgroupPaths() {}

  /** Parses a cgroup path as the kernel prints it (or as found under the hierarchy root). */
  public static CgroupPathInfo parse(String path) {
    if (path == null || path.isEmpty()) {
      return CgroupPathInfo.NONE;
    }
    Matcher m = CGROUPFS.matcher(path);
    if (m.find()) {
      return build(m.group(1), m.group(2), m.group(3), "cgroupfs");
    }
    m = SYSTEMD.matcher(path);
    if (m.find()) {
      return build(m.group(1), m.group(2), m.group(3), "systemd");
    }
    m = PLAIN_DOCKER.matcher(path);
    if (m.find()) {
      return new CgroupPathInfo(null, m.group(1), "docker", null, null, Level.OUTSIDE);
    }
    return CgroupPathInfo.NONE;
  }

  private static CgroupPathInfo build(String qos, String uid, String leaf, String driver) {
    if (uid == null) {
      return new CgroupPathInfo(null, null, null, null, driver, Level.NODE);
    }
    String qosClass = qos == null ? "guaranteed" : qos;
    String podUid = uid.replace('_', '-').toLowerCase(java.util.Locale.ROOT);
    if (leaf == null) {
      return new CgroupPathInfo(podUid, null, null, qosClass, driver, Level.POD);
    }
    Matcher c = CONTAINER_NAME.matcher(leaf);
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
    return new CgroupPathInfo(podUid, c.group(2), runtime, qosClass, driver, Level.CONTAINER);
  }
}
