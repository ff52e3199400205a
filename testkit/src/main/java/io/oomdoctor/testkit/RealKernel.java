package io.oomdoctor.agent.testing;

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
    return io.oomdoctor.agent.cgroup.ProcCgroup.memoryDir(Paths.get("/proc"), "self", MEMORY_MOUNT);
  }

  /** The memhog binary, compiled once per test run from src/test/c/memhog.c. */
  public static synchronized Path memhog() {
    if (memhog != null) {
      return memhog;
    }
    // From the module (tests) or from the repository root (the benchmark harness).
    Path src = Paths.get("src/test/c/memhog.c").toAbsolutePath();
    if (!Files.exists(src)) {
      src = Paths.get("node-agent/src/test/c/memhog.c").toAbsolutePath();
    }
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
}
