package io.oomdoctor.benchmarks;

import io.oomdoctor.agent.cgroup.PathAttribution;
import io.oomdoctor.agent.kmsg.KmsgRecord;
import io.oomdoctor.agent.kmsg.KmsgRecordParser;
import io.oomdoctor.agent.parse.KernelLine;
import io.oomdoctor.agent.parse.OomReportParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Kernel records per second through the agent's read path: record parsing, line splitting and the
 * OOM report state machine. Two inputs: nothing but OOM dumps (the burst the agent must keep up
 * with when a node kills a lot) and an ordinary log with one dump per thousand records.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ParseBenchmark {
  static final int RECORDS = 10_000;

  private String[] dumps;
  private String[] mixed;

  @Setup
  public void setUp() throws IOException {
    List<String> dump = new ArrayList<>();
    for (String f :
        new String[] {
          "6.18-v1-cgroupfs-container-limit.kmsg", "6.18-v1-systemd-pod-limit.kmsg",
          "6.18-v1-jvm-heap-above-limit.kmsg", "6.18-v1-tmpfs-shmem.kmsg"
        }) {
      dump.addAll(fixture(f));
    }
    dumps = renumber(repeat(dump, RECORDS));
    List<String> noise = new ArrayList<>();
    for (int i = 0; i < 999; i++) {
      noise.add("6,0,1,-;IPv6: ADDRCONF(NETDEV_CHANGE): veth" + i + ": link becomes ready");
      noise.add(
          "5,0,1,-;audit: type=1400 audit(1700000000.123:"
              + i
              + "): apparmor=\"STATUS\" operation=\"profile_load\"");
    }
    List<String> m = new ArrayList<>();
    while (m.size() < RECORDS) {
      m.addAll(noise.subList(0, 999));
      m.addAll(dump.subList(0, Math.min(dump.size(), 80)));
    }
    mixed = renumber(m.subList(0, RECORDS));
  }

  private static List<String> fixture(String name) throws IOException {
    try (InputStream in = ParseBenchmark.class.getResourceAsStream("/fixtures/kernel/" + name)) {
      return List.of(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1).split("\n"));
    }
  }

  private static List<String> repeat(List<String> l, int n) {
    List<String> out = new ArrayList<>(n);
    while (out.size() < n) {
      out.addAll(l);
    }
    return out.subList(0, n);
  }

  /** Consecutive sequence numbers, as the kernel gives them. */
  private static String[] renumber(List<String> lines) {
    String[] out = new String[lines.size()];
    for (int i = 0; i < out.length; i++) {
      String l = lines.get(i);
      int c1 = l.indexOf(',');
      int c2 = l.indexOf(',', c1 + 1);
      out[i] = l.substring(0, c1 + 1) + (i + 1) + l.substring(c2);
    }
    return out;
  }

  private static void run(String[] records, Blackhole bh) {
    OomReportParser parser = OomReportParser.collecting(r -> bh.consume(PathAttribution.of(r)));
    for (String raw : records) {
      KmsgRecord r = KmsgRecordParser.parse(raw);
      for (KernelLine l : r.lines(null)) {
        parser.accept(l);
      }
    }
  }

  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public void oomDumpsOnly(Blackhole bh) {
    run(dumps, bh);
  }

  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public void ordinaryLog(Blackhole bh) {
    run(mixed, bh);
  }
}
