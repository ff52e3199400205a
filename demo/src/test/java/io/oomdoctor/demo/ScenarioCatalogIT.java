package io.oomdoctor.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.model.OomKill;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The diagnosis catalog, measured: ordinary programs in several languages (Python, the JVM, Node,
 * C, the shell), each OOM-killed for real in a Deployment of the demo cluster, each diagnosed by
 * the whole chain. Each must get its cause on most of its kills. The table it writes
 * (target/scenario-catalog.txt) is the one in docs/diagnoses.md.
 */
class ScenarioCatalogIT {
  /** Workloads run at once. */
  static final int BATCH = 4;

  @TempDir Path state;

  /** A workload, its limit and command, and the causes a person would accept for it. */
  record Scenario(
      String name,
      String limit,
      List<String> command,
      Set<String> accepted,
      int kills,
      Path done,
      List<String> sidecar) {
    Scenario(String name, String limit, List<String> command, Set<String> accepted) {
      this(name, limit, command, accepted, 3, null, null);
    }

    Scenario(String name, String limit, List<String> command, Set<String> accepted, int kills) {
      this(name, limit, command, accepted, kills, null, null);
    }

    Scenario(
        String name,
        String limit,
        List<String> command,
        Set<String> accepted,
        int kills,
        Path done) {
      this(name, limit, command, accepted, kills, done, null);
    }

    /**
     * With a second container beside the workload's: then {@link #limit} is the pod's limit
     * (pod-level resources), over both containers, neither with a limit of its own.
     */
    static Scenario podLimit(
        String name, String podLimit, List<String> command, List<String> sidecar, String cause) {
      return new Scenario(name, podLimit, command, Set.of(cause), 3, null, sidecar);
    }

    /** Finished: its kills came, or (one expected to live) the file it writes at its end. */
    boolean finished(Map<String, Long> causes) {
      long n = causes == null ? 0 : causes.values().stream().mapToLong(Long::longValue).sum();
      return done != null ? Files.exists(done) || n > 0 : n >= kills;
    }
  }

  /** Accepted for a workload that should live: no kill at all. */
  static final String NO_KILL = "no kill";

  static final String[] FILES = {
    "leak.py",
    "sawtooth.py",
    "prefork.py",
    "spike.py",
    "nodeleak.js",
    "nodebuf.js",
    "nodespike.js",
    "Direct.java",
    "Threads.java",
    "Heap.java",
    "Native.java",
    "leak.go",
    "workers_grow.py",
    "cache.py",
    "steady.py",
    "shm_writer.py"
  };

  List<Scenario> scenarios(Path w) {
    Function<String, String> f = n -> w.resolve(n).toString();
    String cp = w.toString();
    Path dirty = w.resolve("dirty");
    // a cache that fills toward a size above its limit: it bounds itself too late, or the limit
    // is too low for it; never a leak
    Set<String> cache = Set.of("UnboundedCache", "LimitTooLow");
    return List.of(
        new Scenario("py-cache", "96Mi", List.of("python3", f.apply("cache.py")), cache),
        new Scenario(
            "sh-awk-cache",
            "96Mi",
            List.of(
                "sh",
                "-c",
                // awk keeps a 1 MiB answer per key asked for, of 110 keys, 6 requests a second
                "awk 'BEGIN { srand(); s = \"x\"; for (i = 0; i < 20; i++) s = s s;"
                    + " while (1) { k = int(rand() * 110); if (!(k in c)) c[k] = s k;"
                    + " system(\"sleep 0.16\") } }'"),
            cache),
        new Scenario(
            "py-steady-load",
            "96Mi",
            List.of("python3", f.apply("steady.py")),
            Set.of("LimitTooLow"),
            2),
        new Scenario(
            "c-steady-load",
            "96Mi",
            List.of(
                "memhog",
                "--start-mb",
                "60",
                "--max-mb",
                "60",
                "--burst-mb",
                "40",
                "--interval-ms",
                "500"),
            Set.of("LimitTooLow"),
            2),
        new Scenario(
            "py-shm-spool",
            "96Mi",
            List.of(
                "sh",
                "-c",
                "rm -rf " + SPOOL + "; exec python3 " + f.apply("shm_writer.py") + " " + SPOOL),
            Set.of("PageCacheOrShmem"),
            2),
        Scenario.podLimit(
            "pod-limit-two-containers",
            "128Mi",
            List.of("python3", f.apply("leak.py")),
            // a sidecar that holds 40 MiB and lives on
            List.of(
                "python3",
                "-c",
                "import time\nb = bytearray(40 << 20)\nfor i in range(0, len(b), 4096): b[i] = 1\n"
                    + "time.sleep(100000)"),
            "MemoryLeak"),
        new Scenario("go-leak", "96Mi", List.of(f.apply("goleak")), Set.of("MemoryLeak")),
        new Scenario(
            "py-workers-grow",
            "96Mi",
            List.of("python3", f.apply("workers_grow.py")),
            // every worker leaks: the growth is the workers', not new processes'
            Set.of("MemoryLeak")),
        new Scenario(
            "sh-dirty-writes",
            "64Mi",
            List.of(
                "sh",
                "-c",
                // 400 MiB written to disk files under a 64Mi limit: page cache, dirty until written
                // back; the kernel writes it back and reclaims it rather than kill
                "dd if=/dev/zero of="
                    + dirty
                    + "-$$ bs=1M count=400 2>/dev/null; rm -f "
                    + dirty
                    + "-$$; touch "
                    + dirty
                    + ".done; sleep 1000"),
            Set.of(NO_KILL, "PageCacheOrShmem"),
            0,
            w.resolve("dirty.done")),
        new Scenario(
            "py-leak", "96Mi", List.of("python3", f.apply("leak.py")), Set.of("MemoryLeak")),
        new Scenario(
            "py-sawtooth",
            "96Mi",
            List.of("python3", f.apply("sawtooth.py")),
            Set.of("MemoryLeak")),
        new Scenario(
            "sh-wrapped-leak",
            "96Mi",
            List.of("sh", "-c", "python3 " + f.apply("leak.py")),
            Set.of("MemoryLeak")),
        new Scenario(
            "c-leak",
            "64Mi",
            List.of("memhog", "--step-mb", "2", "--interval-ms", "150"),
            Set.of("MemoryLeak")),
        new Scenario(
            "py-prefork",
            "100Mi",
            List.of("python3", f.apply("prefork.py")),
            Set.of("SharedLimit")),
        new Scenario(
            "c-prefork",
            "100Mi",
            List.of("memhog", "--workers-every-ms", "700", "--step-mb", "20"),
            Set.of("SharedLimit")),
        new Scenario(
            "py-spike", "128Mi", List.of("python3", f.apply("spike.py")), Set.of("StartupSpike")),
        new Scenario(
            "node-spike",
            "128Mi",
            List.of("node", f.apply("nodespike.js")),
            Set.of("StartupSpike")),
        new Scenario(
            "node-leak",
            "128Mi",
            // 2,000 objects every 50 ms: the limit in about 10 s
            List.of("node", f.apply("nodeleak.js"), "2000"),
            Set.of("MemoryLeak")),
        new Scenario(
            "node-old-space-cap",
            "128Mi",
            List.of("node", "--max-old-space-size=1024", f.apply("nodeleak.js")),
            Set.of("RuntimeCapMisconfigured")),
        new Scenario(
            "node-buffers",
            "160Mi",
            List.of("node", "--max-old-space-size=64", f.apply("nodebuf.js")),
            Set.of("NativeMemory")),
        new Scenario(
            "jvm-xmx-above-limit",
            "128Mi",
            List.of("java", "-Xmx512m", "-cp", cp, "Heap"),
            Set.of("RuntimeCapMisconfigured")),
        new Scenario(
            "jvm-no-container-support",
            "128Mi",
            // the heap sized from the host's memory, not the container's limit
            List.of("java", "-XX:-UseContainerSupport", "-cp", cp, "Heap"),
            Set.of("RuntimeCapMisconfigured")),
        new Scenario(
            "jvm-unsafe",
            "160Mi",
            List.of("java", "-Xmx32m", "-cp", cp, "Native"),
            Set.of("NativeMemory")),
        new Scenario(
            "jvm-direct-buffers",
            "160Mi",
            List.of("java", "-Xmx32m", "-XX:MaxDirectMemorySize=2g", "-cp", cp, "Direct"),
            Set.of("NativeMemory")),
        new Scenario(
            "jvm-threads",
            "160Mi",
            List.of("java", "-Xmx32m", "-Xss4m", "-cp", cp, "Threads"),
            Set.of("NativeMemory")),
        new Scenario(
            "sh-pipeline-child",
            "64Mi",
            List.of(
                "sh",
                "-c",
                "head -c 300000000 /dev/zero | tail -c 200000000 > /dev/null; sleep 1000"),
            // a child job's spike beside the shell (once: the shell then sleeps): anything but
            // the container's leak
            Set.of("SharedLimit", "StartupSpike", "LimitTooLow"),
            1),
        new Scenario(
            "sh-tmpfs",
            "96Mi",
            List.of(
                "sh",
                "-c",
                // files in a memory-backed file system (an emptyDir with medium Memory): they stay
                // charged to the container however small its processes are; each start removes
                // its previous file
                "rm -f "
                    + TMPFS
                    + "-*; dd if=/dev/zero of="
                    + TMPFS
                    + "-$$ bs=1M count=200;"
                    + " sleep 1000"),
            Set.of("PageCacheOrShmem"),
            1));
  }

  /** Where sh-tmpfs writes (the host's /dev/shm: the demo's containers share the host's mounts). */
  static final String TMPFS = "/dev/shm/oomdoctor-catalog-tmpfs";

  /** Where py-shm-spool spools (in /dev/shm, likewise). */
  static final Path SPOOL = Path.of("/dev/shm/oomdoctor-catalog-spool");

  @Test
  void everyWorkloadOfTheCatalogGetsItsCause() throws Exception {
    try (EndToEnd e2e = new EndToEnd(state, FakeKubelet.Driver.CGROUPFS)) {
      Path w = Files.createDirectories(state.resolve("workloads"));
      for (String name : FILES) {
        try (InputStream in = getClass().getResourceAsStream("/workloads/" + name)) {
          Files.copy(in, w.resolve(name));
        }
      }
      Process javac =
          new ProcessBuilder(
                  "javac",
                  "-d",
                  w.toString(),
                  w.resolve("Direct.java").toString(),
                  w.resolve("Threads.java").toString(),
                  w.resolve("Heap.java").toString(),
                  w.resolve("Native.java").toString())
              .redirectErrorStream(true)
              .start();
      String log = new String(javac.getInputStream().readAllBytes());
      assertThat(javac.waitFor()).as(log).isZero();
      // Go from Debian's golang-go (installed by .ci/run)
      Process go =
          new ProcessBuilder("go", "build", "-o", w.resolve("goleak").toString(), "leak.go")
              .directory(w.toFile())
              .redirectErrorStream(true)
              .start();
      go.getOutputStream().close();
      String goLog = new String(go.getInputStream().readAllBytes());
      assertThat(go.waitFor()).as(goLog).isZero();

      List<Scenario> all = scenarios(w);
      // -Doomdoctor.catalog.only=a,b runs those alone (while working on them)
      String only = System.getProperty("oomdoctor.catalog.only", "");
      if (!only.isBlank()) {
        Set<String> names = Set.of(only.split(","));
        all = all.stream().filter(s -> names.contains(s.name())).toList();
      }
      // A few at a time: fourteen crash-looping workloads at once on two cores starve each
      // other's start-up for seconds, which is a test of the machine, not of the diagnosis.
      Map<String, Map<String, Long>> causes = new TreeMap<>();
      for (int from = 0; from < all.size(); from += BATCH) {
        List<Scenario> batch = all.subList(from, Math.min(all.size(), from + BATCH));
        for (Scenario s : batch) {
          if (s.sidecar() == null) {
            e2e.deployment(
                s.name(),
                1,
                EndToEnd.container("app", s.limit(), s.command().toArray(String[]::new)));
          } else {
            e2e.deploymentWithPodLimit(
                s.name(),
                s.limit(),
                EndToEnd.container("app", null, s.command().toArray(String[]::new)),
                EndToEnd.container("sidecar", null, s.sidecar().toArray(String[]::new)));
          }
        }
        try {
          Awaitility.await("diagnosed kills of every workload")
              .atMost(Duration.ofMinutes(2))
              .pollInterval(Duration.ofSeconds(2))
              .until(
                  () -> {
                    causes.putAll(tally(e2e, batch));
                    return batch.stream().allMatch(s -> s.finished(causes.get(s.name())));
                  });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
          // judged below with what came: a workload without a kill fails with the table
        }
        for (Scenario s : batch) {
          e2e.k.apps().deployments().inNamespace(EndToEnd.NS).withName(s.name()).delete();
        }
      }
      try (var files = Files.list(Path.of("/dev/shm"))) {
        for (Path p : files.filter(x -> x.toString().startsWith(TMPFS)).toList()) {
          Files.deleteIfExists(p);
        }
      }
      if (Files.isDirectory(SPOOL)) {
        try (var files = Files.list(SPOOL)) {
          for (Path p : files.toList()) {
            Files.deleteIfExists(p);
          }
        }
        Files.deleteIfExists(SPOOL);
      }
      List<String> table = new ArrayList<>();
      List<String> wrong = new ArrayList<>();
      for (Scenario s : all) {
        Map<String, Long> got = causes.getOrDefault(s.name(), Map.of());
        long total = got.values().stream().mapToLong(Long::longValue).sum();
        long right =
            got.entrySet().stream()
                .filter(en -> s.accepted().contains(en.getKey()))
                .mapToLong(Map.Entry::getValue)
                .sum();
        boolean lived = total == 0 && s.done() != null && Files.exists(s.done());
        table.add(
            "| "
                + s.name()
                + " | `"
                + String.join(" ", s.command())
                    .replace(w + "/", "")
                    .replace(w.toString(), ".")
                    .replace("|", "\\|")
                + "` | "
                + s.limit()
                + " | "
                + String.join(" or ", s.accepted())
                + " | "
                + (lived ? "{" + NO_KILL + ", the writes done}" : got)
                + " |");
        if (lived && s.accepted().contains(NO_KILL)) {
          continue; // lived as it should: in the table, not wrong
        }
        if (total == 0 || right * 2 <= total) {
          wrong.add(s.name() + ": " + got + ", expected " + s.accepted());
        }
      }
      Files.write(Path.of("target/scenario-catalog.txt"), table);
      // The evidence of every kill not diagnosed as accepted, for whoever reads a failure (of
      // every kill with -Doomdoctor.catalog.evidence=true).
      for (OomKill k : e2e.kills(EndToEnd.NS).toList()) {
        for (Scenario s : all) {
          if (k.getSpec().pod != null
              && k.getSpec().pod.name != null
              && k.getSpec().pod.name.startsWith(s.name() + "-")
              && k.getStatus() != null
              && (!s.accepted().contains(k.getStatus().cause)
                  || Boolean.getBoolean("oomdoctor.catalog.evidence"))) {
            var t = k.getSpec().trend;
            System.out.println(
                "catalog: "
                    + s.name()
                    + " diagnosed "
                    + k.getStatus().cause
                    + "; trend "
                    + (t == null
                        ? "none"
                        : "age " + t.containerAgeSeconds + " s, R² " + t.fitR2 + ", " + t.series)
                    + "; report pid "
                    + k.getSpec().report.pid
                    + " ("
                    + k.getSpec().report.process
                    + "), "
                    + (k.getSpec().report.tasks == null ? 0 : k.getSpec().report.tasks.size())
                    + " tasks in it; processes "
                    + (k.getSpec().processes == null || k.getSpec().processes.processes == null
                        ? "none"
                        : k.getSpec().processes.processes.stream()
                            .map(
                                p ->
                                    p.pid
                                        + "<-"
                                        + p.ppid
                                        + " "
                                        + p.name
                                        + " "
                                        + p.rssKb
                                        + " kB, first seen "
                                        + p.firstSeenSec)
                            .toList()));
          }
        }
      }
      assertThat(wrong).as(String.join("\n", table)).isEmpty();
    }
  }

  /** Causes of each scenario's diagnosed kills so far. */
  static Map<String, Map<String, Long>> tally(EndToEnd e2e, List<Scenario> all) {
    Map<String, Map<String, Long>> out = new LinkedHashMap<>();
    for (OomKill k : e2e.kills(EndToEnd.NS).toList()) {
      if (k.getSpec().pod == null || k.getSpec().pod.name == null) {
        continue;
      }
      for (Scenario s : all) {
        if (k.getSpec().pod.name.startsWith(s.name() + "-")) {
          out.computeIfAbsent(s.name(), n -> new TreeMap<>())
              .merge(k.getStatus().cause, 1L, Long::sum);
        }
      }
    }
    return out.entrySet().stream()
        .collect(
            Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
  }
}
