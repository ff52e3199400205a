package io.oomdoctor.agent;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.Path;

/** Reads the small files the kernel serves under /proc and /sys/fs/cgroup. */
public final class KernelFiles {
  private KernelFiles() {}

  /**
   * The file's bytes, or null when it cannot be read: not on this kernel, or its process or cgroup
   * went away (before the open, or while open: ENODEV, ESRCH). A plain {@link FileInputStream}: the
   * sampler reads a few hundred of these every pass, and this is a fraction of the work of {@code
   * Files.readAllBytes}.
   */
  public static byte[] read(Path file) {
    try (FileInputStream in = new FileInputStream(file.toString())) {
      return in.readAllBytes();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
