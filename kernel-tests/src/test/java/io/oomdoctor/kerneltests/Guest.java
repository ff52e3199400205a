package io.oomdoctor.kerneltests;

import io.oomdoctor.agent.Which;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

/**
 * A qemu guest with Debian's kernel (every controller on the cgroup v2 hierarchy), booted in
 * software emulation the fast way (an ELF vmlinux through PVH with qboot, on the {@code pc}
 * machine): a busybox initramfs whose /init shares the host's /usr and /etc (its JDK) and a work
 * directory read-only over virtio 9p, runs the scenarios in a chroot and powers off. What it prints
 * on its serial console is the result. The kernel and busybox come from {@code
 * kernel-tests/fetch-guest.sh} (.ci/run runs it).
 */
final class Guest {
  /** Where fetch-guest.sh leaves the guest's parts. */
  static Path dir() {
    String d = System.getenv("OOMDOCTOR_GUEST_DIR");
    Path base =
        d != null && !d.isBlank()
            ? Paths.get(d)
            : Paths.get(System.getProperty("user.home"), ".cache", "oomdoctor", "guest");
    return base.resolve("current");
  }

  /** Why no guest can be booted here, or null. */
  static String unavailableReason() {
    Path d = dir();
    for (String f : new String[] {"vmlinuz", "busybox", "modules/9p.ko"}) {
      if (!Files.isRegularFile(d.resolve(f))) {
        return "no " + d.resolve(f) + " (run kernel-tests/fetch-guest.sh)";
      }
    }
    if (!Which.onPath("qemu-system-x86_64")) {
      return "no qemu-system-x86_64 (run kernel-tests/fetch-guest.sh)";
    }
    if (!Files.isRegularFile(Paths.get("/usr/share/qemu/qboot.rom"))) {
      return "no /usr/share/qemu/qboot.rom";
    }
    if (!Which.onPath("xz")) {
      return "no xz";
    }
    return null;
  }

  /** The kernel's release, from the directory fetch-guest.sh named after it. */
  static String release() throws IOException {
    return dir().toRealPath().getFileName().toString();
  }

  /**
   * The ELF kernel inside the bzImage (its xz payload), made once next to it: qboot boots it
   * through PVH in half the time SeaBIOS takes with the bzImage.
   */
  static synchronized Path vmlinux() throws IOException, InterruptedException {
    Path out = dir().resolve("vmlinux");
    if (Files.isRegularFile(out) && Files.size(out) > 0) {
      return out;
    }
    byte[] image = Files.readAllBytes(dir().resolve("vmlinuz"));
    byte[] magic = {(byte) 0xfd, '7', 'z', 'X', 'Z', 0};
    int at = indexOf(image, magic);
    if (at < 0) {
      throw new IOException("no xz payload in " + dir().resolve("vmlinuz"));
    }
    Path tmp = Files.createTempFile(dir(), "vmlinux", ".tmp");
    Process xz =
        new ProcessBuilder("xz", "-dc")
            .redirectOutput(tmp.toFile())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    try (OutputStream in = xz.getOutputStream()) {
      in.write(image, at, image.length - at);
    } catch (IOException e) {
      // xz stops reading at the payload's end: what follows it is not xz's
    }
    xz.waitFor(60, TimeUnit.SECONDS); // exits non-zero over the trailing bytes; the ELF is whole
    byte[] head = new byte[4];
    try (InputStream h = Files.newInputStream(tmp)) {
      if (h.read(head) != 4 || head[0] != 0x7f || head[1] != 'E' || head[2] != 'L') {
        throw new IOException("the xz payload of the kernel is not an ELF image");
      }
    }
    Files.move(tmp, out, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return out;
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** The initramfs: busybox as /bin/busybox, /init, and the virtio and 9p modules. */
  static Path initramfs(Path work) throws IOException {
    Path out = work.resolve("init.cpio.gz");
    Cpio cpio = new Cpio();
    cpio.dir("bin");
    cpio.file("bin/busybox", Files.readAllBytes(dir().resolve("busybox")), 0755);
    cpio.file("init", resource("init"), 0755);
    cpio.dir("modules");
    try (var s = Files.list(dir().resolve("modules"))) {
      for (Path m : s.sorted().toList()) {
        cpio.file("modules/" + m.getFileName(), Files.readAllBytes(m), 0644);
      }
    }
    try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(out))) {
      o.write(cpio.finish());
    }
    return out;
  }

  static byte[] resource(String name) throws IOException {
    try (InputStream in = Guest.class.getResourceAsStream("/kernel-tests/" + name)) {
      if (in == null) {
        throw new IOException("no resource kernel-tests/" + name);
      }
      return in.readAllBytes();
    }
  }

  /**
   * Boots the guest with {@code share} as its /work (holding {@code args} for the scenarios) and
   * returns what its console printed. The guest powers itself off; a guest that does not within
   * {@code timeoutSeconds} is killed and its console so far returned.
   */
  static String boot(Path share, int memoryMib, long timeoutSeconds)
      throws IOException, InterruptedException {
    Path initrd = initramfs(share);
    List<String> cmd =
        new ArrayList<>(List.of("qemu-system-x86_64", "-accel", "tcg", "-cpu", "max"));
    cmd.addAll(List.of("-M", "pc", "-smp", "1", "-m", Integer.toString(memoryMib)));
    cmd.addAll(List.of("-nographic", "-nodefaults", "-serial", "stdio", "-no-reboot"));
    cmd.addAll(List.of("-bios", "/usr/share/qemu/qboot.rom", "-kernel", vmlinux().toString()));
    cmd.addAll(List.of("-initrd", initrd.toString()));
    cmd.addAll(List.of("-append", "console=ttyS0 cgroup_no_v1=all panic=-1 quiet loglevel=1"));
    String[][] shares = {
      {"u", "/usr", "hostusr"}, {"e", "/etc", "hostetc"}, {"w", share.toString(), "work"}
    };
    for (String[] s : shares) {
      cmd.addAll(
          List.of(
              "-fsdev",
              "local,id=" + s[0] + ",path=" + s[1] + ",security_model=none,readonly=on",
              "-device",
              "virtio-9p-pci,fsdev=" + s[0] + ",mount_tag=" + s[2]));
    }
    Path console = share.resolve("console.txt");
    Process qemu =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(console.toFile())
            .redirectInput(ProcessBuilder.Redirect.PIPE)
            .start();
    try {
      if (!qemu.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        qemu.destroyForcibly();
        qemu.waitFor(10, TimeUnit.SECONDS);
      }
    } finally {
      if (qemu.isAlive()) {
        qemu.destroyForcibly();
      }
    }
    return Files.readString(console, StandardCharsets.ISO_8859_1);
  }

  /** An initramfs in the "newc" cpio format the kernel unpacks. */
  static final class Cpio {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private int ino = 1;

    void dir(String name) {
      entry(name, 040755, new byte[0]);
    }

    void file(String name, byte[] data, int mode) {
      entry(name, 0100000 | mode, data);
    }

    private void entry(String name, int mode, byte[] data) {
      byte[] n = (name + "\0").getBytes(StandardCharsets.US_ASCII);
      String head =
          String.format(
              "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
              ino++, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, n.length, 0);
      out.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(n);
      pad();
      out.writeBytes(data);
      pad();
    }

    private void pad() {
      while (out.size() % 4 != 0) {
        out.write(0);
      }
    }

    byte[] finish() {
      entry("TRAILER!!!", 0, new byte[0]);
      return out.toByteArray();
    }
  }

  private Guest() {}
}
