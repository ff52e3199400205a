package io.oomdoctor.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The project's fixtures as files in the source tree (the test kit's resources): kernel reports as
 * captured (kernel/), pasted logs (pasted/), cgroup trees of the real formats (cgroup/), and the
 * test TLS material (tls/). On the classpath they are under /fixtures and /tls too.
 */
public final class Fixtures {
  private Fixtures() {}

  private static final Path RESOURCES = locate();

  private static Path locate() {
    // a module's tests run in its directory; tools and benchmarks may run at the project's root
    for (Path p :
        new Path[] {
          Path.of("../testkit/src/main/resources"),
          Path.of("testkit/src/main/resources"),
          Path.of("src/main/resources")
        }) {
      if (Files.isDirectory(p.resolve("fixtures"))) {
        return p.normalize();
      }
    }
    return Path.of("../testkit/src/main/resources");
  }

  /** A file or directory under fixtures/, e.g. {@code of("kernel", "6.1-v2-oom-group.dmesg-r")}. */
  public static Path of(String first, String... more) {
    return RESOURCES.resolve("fixtures").resolve(Path.of(first, more));
  }

  /** The test TLS material: a CA, server and client certificates and keys. */
  public static Path tls() {
    return RESOURCES.resolve("tls");
  }

  /**
   * Copies the fixture tree {@code from} (e.g. {@code of("cgroup", "v1")}) into {@code to}, for a
   * test that changes its files.
   */
  public static void copyTree(Path from, Path to) throws java.io.IOException {
    try (java.util.stream.Stream<Path> s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path dst = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(dst);
        } else {
          Files.copy(p, dst);
        }
      }
    }
  }
}
