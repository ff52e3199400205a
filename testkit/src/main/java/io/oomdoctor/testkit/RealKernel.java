package io.oomdoctor.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * What tests that use the real kernel need: root, the cgroup v1 memory controller, /dev/kmsg and a
 * compiler for {@code memhog}. On a developer laptop without them such tests skip; with {@code
 * CI=true} they fail instead, so CI never passes by skipping.
 */
public final class RealKernel {
  public static final Path MEMORY_MOUNT = Paths.get("/sys/fs/cgroup/memory");
  public static final Path KMSG = Paths.get("/dev/kmsg");
  private static Path memhog;

  private RealKernel() {}

  /** Why real-kernel tests cannot run here, or null when they can. */
  public static String unavailableReason() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return "not running as root";
    }
    if (!Files.exists(MEMORY_MOUNT.resolve("memory.usage_in_bytes"))) {
      return "no cgroup v1 memory controller at " + MEMORY_MOUNT;
    }
    if (!Files.isReadable(KMSG)) {
      return "cannot read " + KMSG;
    }
    return null;
  }

  /** Skips the test (developer machine) or fails it (CI=true) when the kernel is not usable. */
  public static void require() {
    String reason = unavailableReason();
    if (reason == null) {
      return;
    }
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail("Real-kernel tests must run in CI, but: " + reason);
    }
    Assumptions.abort("Real-kernel test skipped: " + reason);
  }

  /** This process's memory cgroup directory: test cgroups are made below it. */
  public static Path selfMemcg() {
    // the v1 memory controller's line of /proc/self/cgroup (the tests run on cgroup v1)
    try {
      for (String line : Files.readAllLines(Paths.get("/proc/self/cgroup"))) {
        String[] parts = line.split(":", 3);
        if (parts.length == 3 && java.util.List.of(parts[1].split(",")).contains("memory")) {
          String rel = parts[2].replaceFirst("^/+", "");
          return rel.isEmpty() ? MEMORY_MOUNT : MEMORY_MOUNT.resolve(rel);
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return MEMORY_MOUNT;
  }

  /** The memhog binary, compiled once per test run from the test kit's memhog.c. */
  public static synchronized Path memhog() {
    if (memhog != null) {
      return memhog;
    }
    Path src = memhogSource();
    Path out = Paths.get("target/test-bin/memhog").toAbsolutePath();
    try {
      Files.createDirectories(out.getParent());
      Process p =
          new ProcessBuilder("gcc", "-O1", "-Wall", "-o", out.toString(), src.toString())
              .inheritIO()
              .start();
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("gcc failed to build " + src);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run gcc (is it installed?)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    memhog = out;
    return out;
  }

  /**
   * memhog.c in the source tree: from a module's directory (tests) or from the repository root (the
   * benchmark harness).
   */
  public static Path memhogSource() {
    Path src = Paths.get("../testkit/src/main/c/memhog.c").toAbsolutePath().normalize();
    return Files.exists(src) ? src : Paths.get("testkit/src/main/c/memhog.c").toAbsolutePath();
  }
}
