package io.oomdoctor.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private subtree of real v1 memory cgroups below this process's own cgroup, laid out the way
 * kubelet lays out pods. Everything it makes — cgroups and processes — is removed by {@link
 * #close()}.
 */
public final class CgroupSandbox implements AutoCloseable {
  private final Path root;
  private final List<Process> processes = new ArrayList<>();

  private CgroupSandbox(Path root) {
    this.root = root;
  }

  /** Creates {@code <own memcg>/oomdoctor-test-<random>}. */
  public static CgroupSandbox create() throws IOException {
    Path root =
        RealKernel.selfMemcg()
            .resolve("oomdoctor-test-" + UUID.randomUUID().toString().substring(0, 8));
    Files.createDirectory(root);
    return new CgroupSandbox(root);
  }

  /** The directory holding kubepods / kubepods.slice: the agent's --cgroup-root. */
  public Path root() {
    return root;
  }

  /** A path below the root as the kernel prints it (relative to the hierarchy's mount). */
  public String kernelPath(Path dir) {
    return "/" + RealKernel.MEMORY_MOUNT.relativize(dir);
  }

  /** kubelet cgroupfs layout: kubepods/[qos/]pod&lt;uid&gt;/&lt;containerId&gt;. */
  public Path cgroupfsContainer(String qos, String podUid, String containerId) throws IOException {
    Path pod = root.resolve("kubepods");
    if (!qos.equals("guaranteed")) {
      pod = pod.resolve(qos);
    }
    return mkdirs(pod.resolve("pod" + podUid).resolve(containerId));
  }

  /**
   * kubelet systemd layout: kubepods.slice/kubepods-&lt;qos&gt;.slice/
   * kubepods-&lt;qos&gt;-pod&lt;uid_&gt;.slice/cri-containerd-&lt;id&gt;.scope.
   */
  public Path systemdContainer(String qos, String podUid, String containerId) throws IOException {
    String u = podUid.replace('-', '_');
    Path base = root.resolve("kubepods.slice");
    Path pod;
    if (qos.equals("guaranteed")) {
      pod = base.resolve("kubepods-pod" + u + ".slice");
    } else {
      pod =
          base.resolve("kubepods-" + qos + ".slice")
              .resolve("kubepods-" + qos + "-pod" + u + ".slice");
    }
    return mkdirs(pod.resolve("cri-containerd-" + containerId + ".scope"));
  }

  public Path mkdirs(Path dir) throws IOException {
    Files.createDirectories(dir);
    return dir;
  }

  /** Sets memory.limit_in_bytes (tests keep limits at or below 200 MB). */
  public void limit(Path dir, long bytes) throws IOException {
    if (bytes > 200L * 1024 * 1024) {
      throw new IllegalArgumentException("test cgroup limits stay at or below 200 MB");
    }
    Files.writeString(dir.resolve("memory.limit_in_bytes"), Long.toString(bytes));
  }

  /**
   * Starts argv inside the cgroup (it joins before exec, so every byte it allocates is charged).
   */
  public Process start(Path cgroup, List<String> argv) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add("bash");
    cmd.add("-c");
    cmd.add("echo $$ > \"$0\" && exec \"$@\"");
    cmd.add(cgroup.resolve("cgroup.procs").toString());
    cmd.addAll(argv);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    synchronized (processes) {
      processes.add(p);
    }
    return p;
  }

  /** A fresh random pod UID. */
  public static String podUid() {
    return UUID.randomUUID().toString();
  }

  /** A fresh random 64-hex container ID. */
  public static String containerId() {
    return (UUID.randomUUID().toString() + UUID.randomUUID())
        .replace("-", "")
        .toLowerCase(Locale.ROOT);
  }

  @Override
  public void close() throws IOException {
    synchronized (processes) {
      for (Process p : processes) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
      for (Process p : processes) {
        try {
          p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    if (!Files.exists(root)) {
      return;
    }
    List<Path> dirs;
    try (Stream<Path> s = Files.walk(root)) {
      dirs = s.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList();
    }
    // Any process still inside (a grandchild the test started) is killed first.
    for (Path d : dirs) {
      for (String pid : Files.readString(d.resolve("cgroup.procs")).split("\\s+")) {
        if (!pid.isBlank()) {
          ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
        }
      }
    }
    for (Path d : dirs) {
      removeWithRetry(d);
    }
  }

  private static void removeWithRetry(Path dir) throws IOException {
    IOException last = null;
    for (int i = 0; i < 50; i++) {
      try {
        Files.deleteIfExists(dir); // rmdir: the kernel takes the control files with it
        return;
      } catch (IOException e) {
        last = e; // EBUSY while a killed process is still being reaped
        try {
          Thread.sleep(100);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    throw new IOException("could not remove test cgroup " + dir, last);
  }
}
