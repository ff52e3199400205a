package io.oomdoctor.agent.kmsg;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.testkit.RealKernel;
import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The real /dev/kmsg overrun: a reader that falls a whole ring buffer behind gets EPIPE. */
class KmsgOverrunIT {

  @Test
  void readerSurvivesOverrunAndCountsLostRecords() throws Exception {
    RealKernel.require();
    String marker = "oomdoctor-overrun-" + UUID.randomUUID();
    CountDownLatch paused = new CountDownLatch(1);
    CountDownLatch resume = new CountDownLatch(1);
    AtomicLong lost = new AtomicLong();
    AtomicLong afterResume = new AtomicLong();
    AtomicLong markerSeen = new AtomicLong();
    KmsgReader reader =
        new KmsgReader(
            RealKernel.KMSG,
            "test",
            null,
            new KmsgReader.Handler() {
              boolean first = true;

              @Override
              public void record(KmsgRecord r) {
                if (first) {
                  first = false;
                  paused.countDown();
                  try {
                    resume.await(); // fall behind on purpose
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  return;
                }
                afterResume.incrementAndGet();
                if (r.text().contains(marker + " end")) {
                  markerSeen.incrementAndGet();
                }
              }

              @Override
              public void lost(long count) {
                lost.addAndGet(count);
              }
            });
    Thread t =
        new Thread(
            () -> {
              try {
                reader.run();
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    t.setDaemon(true);
    t.start();
    assertThat(paused.await(10, TimeUnit.SECONDS)).isTrue();

    // Fill well over the 128 KiB ring buffer from userspace (fresh opens dodge the rate limit).
    String filler = marker + " " + "x".repeat(180);
    for (int i = 0; i < 200; i++) {
      try (FileOutputStream os = new FileOutputStream(RealKernel.KMSG.toFile())) {
        for (int j = 0; j < 5; j++) {
          os.write((filler + "\n").getBytes(StandardCharsets.US_ASCII));
        }
      }
    }
    try (FileOutputStream os = new FileOutputStream(RealKernel.KMSG.toFile())) {
      os.write((marker + " end\n").getBytes(StandardCharsets.US_ASCII));
    }
    resume.countDown();

    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> markerSeen.get() == 1);
    reader.stop();
    t.interrupt();
    t.join(5000);
    assertThat(t.isAlive()).as("stops promptly on interrupt").isFalse();
    assertThat(lost.get()).as("overwritten records are counted").isPositive();
    assertThat(afterResume.get()).as("and reading went on after the overrun").isPositive();
  }
}
