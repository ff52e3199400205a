package io.oomdoctor.agent.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** The memory cgroup of a process, from {@code /proc/PID/cgroup}. */
public final class ProcCgroup {
  private ProcCgroup() {}

  /**
   * The path of the process's memory cgroup as the kernel prints it (relative to the hierarchy's
   * mount): the v1 {@code memory} line, else the v2 {@code 0::} line; null when the process is gone
   * or the file has neither.
   *
   * @param pid a process ID, or {@code self}
   */
  public static String memoryPath(Path procRoot, String pid) {
    String unified = null;
    try {
      for (String line : Files.readAllLines(procRoot.resolve(pid).resolve("cgroup"))) {
        String[] parts = line.split(":", 3);
        if (parts.length != 3) {
          continue;
        }
        if (Arrays.asList(parts[1].split(",")).contains("memory")) {
          return parts[2]; // v1 (or hybrid): the memory controller's own hierarchy wins
        }
        if (parts[0].equals("0") && parts[1].isEmpty()) {
          unified = parts[2];
        }
      }
    } catch (IOException | RuntimeException e) {
      return null; // reaped already
    }
    return unified;
  }

  /** The directory of that cgroup below the memory hierarchy's mount. */
  public static Path memoryDir(Path procRoot, String pid, Path memoryMount) {
    String p = memoryPath(procRoot, pid);
    String rel = p == null ? "" : p.replaceFirst("^/+", "");
    return rel.isEmpty() ? memoryMount : memoryMount.resolve(rel);
  }
}
