package io.oomdoctor.operator;

import io.javaoperatorsdk.operator.OperatorException;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.oomdoctor.model.OomKill;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the OomKill reconciler the kills that have outlived the retention, from one periodic look
 * at the cache — instead of a timer per kill, which at 100,000 kills would be 100,000 timers. The
 * reconciler checks the age again and deletes; only the leader's reconciler acts.
 */
final class RetentionSweep extends AbstractEventSource<Void, OomKill> {
  private static final Logger LOG = LoggerFactory.getLogger(RetentionSweep.class);

  private final KillIndex index;
  private final Duration retention;
  private final Clock clock;
  private ScheduledExecutorService timer;

  RetentionSweep(KillIndex index, Duration retention, Clock clock) {
    super(Void.class, "retention");
    this.index = index;
    this.retention = retention;
    this.clock = clock;
  }

  /** A quarter of the retention, between 1 s and 1 min. */
  static Duration interval(Duration retention) {
    Duration quarter = retention.dividedBy(4);
    if (quarter.compareTo(Duration.ofSeconds(1)) < 0) {
      return Duration.ofSeconds(1);
    }
    return quarter.compareTo(Duration.ofMinutes(1)) > 0 ? Duration.ofMinutes(1) : quarter;
  }

  @Override
  public synchronized void start() throws OperatorException {
    super.start();
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "oomkill-retention");
              t.setDaemon(true);
              return t;
            });
    long every = interval(retention).toMillis();
    timer.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.MILLISECONDS);
  }

  @Override
  public synchronized void stop() throws OperatorException {
    if (timer != null) {
      timer.shutdownNow();
      timer = null;
    }
    super.stop();
  }

  @Override
  public Set<Void> getSecondaryResources(OomKill primary) {
    return Set.of();
  }

  /** Signals every kill older than the retention; returns how many. */
  int sweep() {
    try {
      Instant cutoff = clock.instant().minus(retention);
      int[] n = {0};
      index
          .leans()
          .filter(l -> OomKillReconciler.created(l.created(), Instant.MAX).isBefore(cutoff))
          .forEach(
              l -> {
                n[0]++;
                getEventHandler().handleEvent(new Event(new ResourceID(l.name(), l.namespace())));
              });
      return n[0];
    } catch (RuntimeException e) {
      LOG.warn(
          "Looking for OomKills past the retention failed (will look again): {}", e.toString());
      return 0;
    }
  }
}
