package io.oomdoctor.agent.testing;

import io.oomdoctor.agent.kmsg.KmsgReader;
import io.oomdoctor.agent.kmsg.KmsgRecord;
import io.oomdoctor.agent.parse.KernelLine;
import io.oomdoctor.agent.parse.OomReportParser;
import io.oomdoctor.model.evidence.OomReport;
import io.oomdoctor.testkit.RealKernel;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.awaitility.Awaitility;

/** Follows the real /dev/kmsg in a thread and keeps every (attributed) OOM report it parses. */
public final class KmsgFollower implements AutoCloseable {
  private final List<OomReport> reports = new ArrayList<>();
  private final KmsgReader reader;
  private final Thread thread;
  private volatile long lost;

  public KmsgFollower() {
    OomReportParser parser =
        OomReportParser.collecting(
            r -> {
              synchronized (reports) {
                reports.add(r);
              }
            });
    reader =
        new KmsgReader(
            RealKernel.KMSG,
            "test",
            null,
            new KmsgReader.Handler() {
              @Override
              public void record(KmsgRecord r) {
                for (KernelLine l : r.lines(null)) {
                  parser.accept(l);
                }
              }

              @Override
              public void lost(long count) {
                lost += count;
                parser.recordsLost(count);
              }
            });
    thread =
        new Thread(
            () -> {
              try {
                reader.run();
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            },
            "kmsg-follower");
    thread.setDaemon(true);
    thread.start();
  }

  public List<OomReport> matching(Predicate<OomReport> p) {
    synchronized (reports) {
      return new ArrayList<>(reports.stream().filter(p).toList());
    }
  }

  public OomReport awaitOne(Predicate<OomReport> p, Duration timeout) {
    Awaitility.await()
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(20))
        .until(() -> !matching(p).isEmpty());
    return matching(p).get(0);
  }

  public long lost() {
    return lost;
  }

  @Override
  public void close() throws InterruptedException {
    reader.stop();
    thread.interrupt();
    thread.join(5000);
  }
}
