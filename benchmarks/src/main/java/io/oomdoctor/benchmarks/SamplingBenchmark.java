package io.oomdoctor.benchmarks;

import io.oomdoctor.agent.cgroup.CgroupTree;
import io.oomdoctor.agent.cgroup.MemorySampler;
import io.oomdoctor.agent.proc.ProcessInspector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One sampling pass over 110 containers in 55 pods (cgroup v1 files in kubelet's cgroupfs layout,
 * on a file tree of the real formats): walk, read usage and memory.stat, read cgroup.procs and each
 * process's /proc stat. The footprint harness measures the same pass on real cgroups. {@code
 * riskPass}: what weighing every container for risks before the kill adds to a pass.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SamplingBenchmark {
  static final int PODS = 55;
  static final int CONTAINERS_PER_POD = 2;

  private Path root;
  private MemorySampler sampler;
  private io.oomdoctor.agent.risk.RiskWatch risks;
  private long now = 1_700_000_000_000L;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    root = Files.createTempDirectory("oomdoctor-sampling");
    FixtureTree.write(root, PODS, CONTAINERS_PER_POD, ProcessHandle.current().pid());
    CgroupTree tree = new CgroupTree(root, root);
    sampler = new MemorySampler(tree, new ProcessInspector(Paths.get("/proc"), false), 10, 0);
    // Every container of a known pod, so that each is weighed: fits over the last 30 minutes of
    // samples, the near-limit run, the tmpfs fit, and the gauges.
    io.oomdoctor.agent.pod.PodResolver pods =
        (uid, cid) -> {
          io.oomdoctor.model.evidence.PodReference ref =
              new io.oomdoctor.model.evidence.PodReference();
          ref.namespace = "bench";
          ref.name = "pod-" + uid;
          ref.uid = uid;
          ref.container = "c-" + cid.substring(0, 8);
          return ref;
        };
    risks =
        new io.oomdoctor.agent.risk.RiskWatch(
            "bench-node",
            sampler,
            pods,
            new io.oomdoctor.agent.metrics.AgentMetrics(),
            io.oomdoctor.diagnosis.risk.RiskSettings.defaults());
    // An hour of samples first: the fits then see their whole window.
    for (int i = 0; i < 360; i++) {
      now += 10_000;
      sampler.sampleOnce(now);
    }
  }

  /** The risk pass alone, over the pass the sampler has just made (what it adds to a pass). */
  @Benchmark
  public int riskPass() {
    risks.pass(now); // the second of the latest sampling pass, as the agent calls it

    return risks.active();
  }

  @Benchmark
  public int onePass() {
    now += 10_000;
    return sampler.sampleOnce(now);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
