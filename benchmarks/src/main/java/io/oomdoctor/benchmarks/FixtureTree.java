package io.oomdoctor.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.UUID;

/** Writes a kubelet-layout cgroup v1 tree of the real file formats for the sampling benchmark. */
final class FixtureTree {
  private FixtureTree() {}

  static void write(Path root, int pods, int containersPerPod, long pid) throws IOException {
    Files.writeString(root.resolve("memory.usage_in_bytes"), "1073741824\n");
    String stat;
    try (var in =
        FixtureTree.class.getResourceAsStream(
            "/fixtures/cgroup/v1/kubepods/burstable/pod5f0c6d1e-8a2b-4c3d-9e4f-a1b2c3d4e5f6/0b1f4e6a9c2d8e7f5a3b1c9d0e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f/memory.stat")) {
      stat = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
    }
    for (int p = 0; p < pods; p++) {
      String qos = p % 3 == 0 ? "besteffort" : "burstable";
      Path pod = root.resolve("kubepods").resolve(qos).resolve("pod" + UUID.randomUUID());
      for (int c = 0; c < containersPerPod; c++) {
        Path dir =
            pod.resolve(
                (UUID.randomUUID().toString() + UUID.randomUUID())
                    .replace("-", "")
                    .toLowerCase(Locale.ROOT));
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("memory.usage_in_bytes"), (100_000_000L + p * 1000L) + "\n");
        Files.writeString(dir.resolve("memory.limit_in_bytes"), "268435456\n");
        Files.writeString(dir.resolve("memory.stat"), stat);
        Files.writeString(dir.resolve("cgroup.procs"), pid + "\n");
      }
      Files.writeString(pod.resolve("memory.usage_in_bytes"), "200000000\n");
      Files.writeString(pod.resolve("memory.stat"), stat);
    }
  }
}
