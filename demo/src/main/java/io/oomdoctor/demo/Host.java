package io.oomdoctor.demo;

import io.oomdoctor.agent.cgroup.ProcCgroup;
import io.oomdoctor.agent.kmsg.Cursor;
import io.oomdoctor.agent.kmsg.KmsgReader;
import io.oomdoctor.agent.kmsg.KmsgRecord;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the demo needs of this host to make real kernel OOM kills, and how it says what is missing.
 */
public final class Host {
  public static final Path MEMORY_MOUNT = Paths.get("/sys/fs/cgroup/memory");
  public static final Path KMSG = Paths.get("/dev/kmsg");
  public static final Path PROC = Paths.get("/proc");

  private Host() {}

  /** Why real kills cannot be made here (then the demo replays a recorded report), or null. */
  public static String cannotKill() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return "not running as root (cgroups and /dev/kmsg need it)";
    }
    if (!Files.exists(MEMORY_MOUNT.resolve("memory.usage_in_bytes"))) {
      return "no cgroup v1 memory controller at " + MEMORY_MOUNT;
    }
    if (!Files.isReadable(KMSG)) {
      return "cannot read " + KMSG;
    }
    if (!io.oomdoctor.agent.Which.onPath("gcc")) {
      return "no C compiler (gcc) to build the demo's workload";
    }
    return null;
  }

  /** This process's memory cgroup: the demo's cgroups are made below it. */
  public static Path selfMemcg() {
    return ProcCgroup.memoryDir(PROC, "self", MEMORY_MOUNT);
  }

  /** Builds memhog (the workload's process) from the source shipped in the demo. */
  public static Path buildMemhog(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path src = dir.resolve("memhog.c");
    try (InputStream in = Host.class.getResourceAsStream("memhog.c")) {
      Files.write(src, in.readAllBytes());
    }
    Path out = dir.resolve("memhog");
    Process p =
        new ProcessBuilder("gcc", "-O1", "-o", out.toString(), src.toString())
            .redirectErrorStream(true)
            .start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("gcc could not build memhog: " + log);
    }
    return out;
  }

  /**
   * A cursor at the end of the kernel log as it is now, so that the agent reports only kills from
   * here on: writes a marker (a userspace record, which the agent never reports) and reads up to
   * it.
   */
  public static Cursor cursorAtEnd() throws IOException {
    String marker = "oomdoctor-demo: start " + UUID.randomUUID();
    Files.writeString(KMSG, marker + "\n");
    String bootId = KmsgReader.bootId(PROC);
    AtomicLong seq = new AtomicLong(-1);
    KmsgReader[] reader = new KmsgReader[1];
    reader[0] =
        new KmsgReader(
            KMSG,
            bootId,
            null,
            new KmsgReader.Handler() {
              @Override
              public void record(KmsgRecord r) {
                if (r.text().contains(marker)) {
                  seq.set(r.seq());
                  reader[0].stop();
                }
              }

              @Override
              public void lost(long count) {}
            });
    reader[0].run();
    return new Cursor(bootId, seq.get());
  }
}
