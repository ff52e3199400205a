package io.oomdoctor.agent.cli;

import io.oomdoctor.agent.EvidenceAssembler;
import io.oomdoctor.agent.cgroup.CgroupTree;
import io.oomdoctor.agent.export.Json;
import io.oomdoctor.agent.kmsg.KmsgReader;
import io.oomdoctor.agent.kmsg.KmsgRecord;
import io.oomdoctor.agent.parse.KernelLine;
import io.oomdoctor.agent.parse.OomReportParser;
import io.oomdoctor.agent.pod.PodResolver;
import java.io.IOException;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/** One look at this host's kernel ring buffer. */
final class ScanCommand {
  /** /dev/kmsg never ends; the buffer is drained when no record came for this long. */
  static final long IDLE_MILLIS = 300;

  private final HostOptions host;
  private final String nodeName;

  static Options options(Function<String, String> env) {
    return HostOptions.add(
            new Options(
                "scan",
                "Read this host's kernel ring buffer once, attribute the OOM kills in it (with live"
                    + " cgroup figures where the cgroup still exists) and print one JSON object per"
                    + " kill.",
                env))
        .value("--node-name", "NAME", "NODE_NAME", "localhost", "Node name to report.");
  }

  ScanCommand(Options o) throws Options.UsageException {
    this.host = new HostOptions(o);
    this.nodeName = o.string("--node-name");
  }

  int run(PrintStream out, PrintStream err) throws InterruptedException {
    return collect(host, nodeName, kill -> out.println(Json.line(kill)), err);
  }

  /**
   * Reads the ring buffer once and hands each kill, with its evidence (live cgroup figures where
   * the cgroup still exists), to {@code sink}; returns the exit code.
   */
  static int collect(
      HostOptions host,
      String nodeName,
      java.util.function.Consumer<io.oomdoctor.model.OomKill> sink,
      PrintStream err)
      throws InterruptedException {
    String bootId = KmsgReader.bootId(host.procRoot);
    long bootMillis = KmsgReader.bootEpochMillis(host.procRoot, System.currentTimeMillis());
    CgroupTree tree =
        java.nio.file.Files.isDirectory(host.cgroupRoot())
            ? new CgroupTree(host.cgroupRoot(), host.hierarchyRoot())
            : null;
    EvidenceAssembler assembler =
        new EvidenceAssembler(nodeName, null, tree, null, PodResolver.NONE, null);
    OomReportParser parser =
        OomReportParser.collecting(
            r -> sink.accept(assembler.assemble(r, System.currentTimeMillis())));
    parser.bootId(bootId);
    AtomicLong lastRecordNanos = new AtomicLong(System.nanoTime());
    AtomicLong lost = new AtomicLong();
    AtomicLong garbled = new AtomicLong();
    KmsgReader reader =
        new KmsgReader(
            host.kmsg,
            bootId,
            null,
            new KmsgReader.Handler() {
              @Override
              public void record(KmsgRecord r) {
                String wall = KmsgReader.wallTime(bootMillis, r.usec());
                for (KernelLine l : r.lines(wall)) {
                  parser.accept(l);
                }
                lastRecordNanos.set(System.nanoTime());
              }

              @Override
              public void lost(long count) {
                lost.addAndGet(count);
                parser.recordsLost(count);
              }

              @Override
              public void garbled(String raw) {
                garbled.incrementAndGet();
              }
            });
    Throwable[] failure = new Throwable[1];
    Thread t =
        new Thread(
            () -> {
              try {
                reader.run();
              } catch (IOException e) {
                failure[0] = e;
              }
            },
            "kmsg-scan");
    t.start();
    while (t.isAlive() && System.nanoTime() - lastRecordNanos.get() < IDLE_MILLIS * 1_000_000) {
      t.join(50);
    }
    reader.stop();
    t.interrupt();
    t.join(2000);
    if (failure[0] != null) {
      err.println("oomdoctor-agent: cannot read " + host.kmsg + ": " + failure[0].getMessage());
      return 1;
    }
    synchronized (parser) {
      parser.flush();
    }
    if (lost.get() > 0) {
      err.println(
          "oomdoctor-agent: " + lost.get() + " kernel log records were overwritten while reading");
    }
    if (garbled.get() > 0) {
      err.println("oomdoctor-agent: skipped " + garbled.get() + " garbled record(s)");
    }
    return 0;
  }
}
