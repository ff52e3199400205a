package io.oomdoctor.agent.testing;

import static org.junit.jupiter.api.Assertions.fail;

import com.github.dockerjava.api.DockerClient;
import io.oomdoctor.agent.docker.DockerEngine;
import io.oomdoctor.testkit.RealKernel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A Docker daemon of the test's own (Debian's {@code dockerd}, with its own socket, data and exec
 * roots, no network setup), and an image made without a registry: {@code docker import} of a
 * tarball holding the static memhog. Stopped by its PID and its directories removed at close.
 */
public final class DockerDaemon implements AutoCloseable {
  public static final String IMAGE = "oomdoctor-memhog:test";

  private final Path dir;
  private final Process process;
  private final DockerEngine engine;

  private DockerDaemon(Path dir, Process process, DockerEngine engine) {
    this.dir = dir;
    this.process = process;
    this.engine = engine;
  }

  /** Starts one, or skips the test (developer machine) / fails it (CI=true) where it cannot. */
  public static DockerDaemon start() throws Exception {
    String reason = null;
    if (!"root".equals(System.getProperty("user.name"))) {
      reason = "not running as root";
    } else if (!Files.isExecutable(Path.of("/usr/sbin/dockerd"))
        && !Files.isExecutable(Path.of("/usr/bin/dockerd"))) {
      reason = "dockerd is not installed (Debian's docker.io)";
    } else if (RealKernel.unavailableReason() != null) {
      reason = RealKernel.unavailableReason();
    }
    if (reason != null) {
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail("Docker tests must run in CI, but: " + reason);
      }
      Assumptions.abort(reason);
    }
    Path dir = Files.createTempDirectory("oomdoctor-dockerd-");
    Path sock = dir.resolve("docker.sock");
    Process p =
        new ProcessBuilder(
                "dockerd",
                "--data-root=" + dir.resolve("root"),
                "--exec-root=" + dir.resolve("exec"),
                "--pidfile=" + dir.resolve("dockerd.pid"),
                "--host=unix://" + sock,
                "--bridge=none",
                "--iptables=false",
                "--ip6tables=false",
                "--storage-driver=vfs",
                "--containerd-namespace=oomdoctor-test",
                "--containerd-plugins-namespace=oomdoctor-test-plugins")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("dockerd.log").toFile())
            .start();
    DockerEngine engine = DockerEngine.connect("unix://" + sock);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        engine.client().pingCmd().exec();
        break;
      } catch (RuntimeException e) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          String log = Files.readString(dir.resolve("dockerd.log"));
          p.destroy();
          fail("dockerd did not start: " + log.substring(Math.max(0, log.length() - 2000)));
        }
        Thread.sleep(200);
      }
    }
    DockerDaemon d = new DockerDaemon(dir, p, engine);
    try {
      d.importImage();
    } catch (Throwable t) {
      d.close(); // the daemon is ours to stop, whatever failed after it started
      throw t;
    }
    return d;
  }

  public String host() {
    return engine.host();
  }

  public DockerClient client() {
    return engine.client();
  }

  /** The static memhog at / of an image, imported from a tarball. */
  private void importImage() throws IOException, InterruptedException {
    Path bin = dir.resolve("memhog");
    Path src = RealKernel.memhogSource();
    Process gcc =
        new ProcessBuilder("gcc", "-O1", "-static", "-o", bin.toString(), src.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (gcc.waitFor() != 0) {
      fail("gcc -static failed: " + out);
    }
    // docker import, as a person makes an image without a registry (the engine API's import
    // through docker-java's zerodep transport ends the upload early: "unexpected EOF")
    Path archive = dir.resolve("memhog.tar");
    Files.write(archive, tar("memhog", Files.readAllBytes(bin)));
    String docker = Files.isExecutable(Path.of("/usr/bin/docker")) ? "/usr/bin/docker" : "docker";
    Process imp =
        new ProcessBuilder(docker, "-H", engine.host(), "import", archive.toString(), IMAGE)
            .redirectErrorStream(true)
            .start();
    String log = new String(imp.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!imp.waitFor(60, TimeUnit.SECONDS) || imp.exitValue() != 0) {
      fail("docker import failed: " + log);
    }
  }

  /** A tar archive holding one executable file. */
  static byte[] tar(String name, byte[] content) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(out)) {
      var entry = new org.apache.commons.compress.archivers.tar.TarArchiveEntry(name);
      entry.setSize(content.length);
      entry.setMode(0755);
      tar.putArchiveEntry(entry);
      tar.write(content);
      tar.closeArchiveEntry();
    }
    return out.toByteArray();
  }

  @Override
  public void close() throws Exception {
    try {
      for (var c : engine.client().listContainersCmd().withShowAll(true).exec()) {
        try {
          engine.client().removeContainerCmd(c.getId()).withForce(true).exec();
        } catch (RuntimeException e) {
          // gone already
        }
      }
    } finally {
      engine.close();
      process.destroy(); // SIGTERM: dockerd stops its containerd and shims itself
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
      for (String m : new String[] {"exec", "root"}) {
        // vfs and the exec root leave nothing mounted once dockerd has stopped
        Path d = dir.resolve(m);
        if (Files.exists(d)) {
          try (Stream<Path> s = Files.walk(d)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
          }
        }
      }
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
