package io.oomdoctor.agent.testing;

import io.oomdoctor.agent.export.Exporter;
import io.oomdoctor.model.OomKill;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.awaitility.Awaitility;

/** A hand-written exporter that keeps what it is given, for assertions. */
public final class CollectingExporter implements Exporter {
  private final List<OomKill> kills = new ArrayList<>();

  @Override
  public synchronized void export(OomKill kill, Runnable delivered) {
    kills.add(kill);
    delivered.run();
  }

  public synchronized List<OomKill> kills() {
    return new ArrayList<>(kills);
  }

  public synchronized List<OomKill> matching(Predicate<OomKill> p) {
    return kills.stream().filter(p).toList();
  }

  /** Waits until exactly one kill matches, and returns it. */
  public OomKill awaitOne(Predicate<OomKill> p, Duration timeout) {
    Awaitility.await()
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(20))
        .until(() -> !matching(p).isEmpty());
    return matching(p).get(0);
  }

  /** Kills of one container, by the container ID in its cgroup path. */
  public static Predicate<OomKill> container(String containerId) {
    return k -> containerId.equals(k.getSpec().attribution.containerId);
  }
}
