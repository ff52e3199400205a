package io.oomdoctor.agent.kmsg;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows /dev/kmsg. Each read() of the device returns exactly one record; a new open starts at the
 * oldest record still in the ring buffer, so records up to the cursor are skipped. When the reader
 * falls more than a ring buffer behind, the kernel answers EPIPE once and then resumes at the
 * oldest surviving record: the gap in sequence numbers is reported as lost records.
 *
 * <p>A regular file is read as text, one record per line (for replaying captured records).
 */
public final class KmsgReader {
  private static final Logger LOG = LoggerFactory.getLogger(KmsgReader.class);

  /** Must hold a whole record; the kernel answers EINVAL to smaller buffers. */
  static final int RECORD_BUFFER = 8192;

  /** Receives what the reader finds. Called on the reading thread. */
  public interface Handler {
    void record(KmsgRecord record);

    /** Records between the previous one and the next were overwritten before they were read. */
    void lost(long count);

    /** A record that did not parse. */
    default void garbled(String raw) {}
  }

  private final Path device;
  private final String bootId;
  private final Handler handler;
  private Long lastSeq;
  private volatile boolean stopped;

  /**
   * @param cursor where an earlier run stopped; ignored when it belongs to another boot
   */
  public KmsgReader(Path device, String bootId, Cursor cursor, Handler handler) {
    this.device = device;
    this.bootId = bootId;
    this.handler = handler;
    if (cursor != null && cursor.bootId().equals(bootId)) {
      this.lastSeq = cursor.seq();
    }
  }

  /** Sequence number of the last record handed on (or skipped as already handled). */
  public Long lastSeq() {
    return lastSeq;
  }

  /** Makes {@link #run()} return at its next chance; interrupting its thread is immediate. */
  public void stop() {
    stopped = true;
  }

  /**
   * Reads until stopped or interrupted (device), or until the end (regular file). Throws only when
   * the device cannot be opened at all.
   */
  public void run() throws IOException {
    if (!Files.isRegularFile(device)) {
      readDevice();
    } else {
      for (String line : Files.readAllLines(device, StandardCharsets.ISO_8859_1)) {
        if (stopped) {
          return;
        }
        if (!line.isEmpty() && line.charAt(0) != ' ') {
          accept(line);
        }
      }
    }
  }

  private void readDevice() throws IOException {
    try (FileChannel ch = FileChannel.open(device, StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.allocate(RECORD_BUFFER);
      while (!stopped && !Thread.currentThread().isInterrupted()) {
        buf.clear();
        int n;
        try {
          n = ch.read(buf);
        } catch (AsynchronousCloseException e) { // includes ClosedByInterruptException
          return;
        } catch (IOException e) {
          if (isBrokenPipe(e)) {
            // Overrun: the next read resumes at the oldest record; the seq gap tells how many.
            LOG.debug("kmsg ring buffer overrun; resuming at the oldest record");
            continue;
          }
          throw e;
        }
        if (n <= 0) {
          return;
        }
        accept(new String(buf.array(), 0, n, StandardCharsets.ISO_8859_1));
      }
    }
  }

  private static boolean isBrokenPipe(IOException e) {
    String m = e.getMessage();
    return m != null && m.contains("Broken pipe");
  }

  private void accept(String raw) {
    KmsgRecord r =
        KmsgRecordParser.parse(raw.endsWith("\n") ? raw.substring(0, raw.length() - 1) : raw);
    if (r == null) {
      handler.garbled(raw);
      return;
    }
    if (lastSeq != null) {
      if (r.seq() <= lastSeq) {
        return; // handled before the restart
      }
      if (r.seq() > lastSeq + 1) {
        handler.lost(r.seq() - lastSeq - 1);
      }
    }
    lastSeq = r.seq();
    handler.record(r);
  }

  /** The node's boot id (changes at every boot), or "unknown". */
  public static String bootId(Path procRoot) {
    try {
      String id = Files.readString(procRoot.resolve("sys/kernel/random/boot_id")).trim();
      return BOOT_ID.matcher(id).matches() ? id : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static final java.util.regex.Pattern BOOT_ID =
      java.util.regex.Pattern.compile(
          "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");

  /** RFC 3339 wall-clock time of a record, or null when the boot time is unknown (0). */
  public static String wallTime(long bootEpochMillis, long usec) {
    return bootEpochMillis > 0
        ? java.time.Instant.ofEpochMilli(bootEpochMillis + usec / 1000)
            .atOffset(java.time.ZoneOffset.UTC)
            .toString()
        : null;
  }

  /** Wall-clock milliseconds of boot, from /proc/uptime; 0 when unreadable. */
  public static long bootEpochMillis(Path procRoot, long nowMillis) {
    double up = uptimeSeconds(procRoot);
    return Double.isNaN(up) ? 0 : nowMillis - Math.round(up * 1000);
  }

  /** Seconds since boot (the kernel log's clock), from /proc/uptime; NaN when unreadable. */
  public static double uptimeSeconds(Path procRoot) {
    try {
      String up = Files.readString(procRoot.resolve("uptime")).trim().split("\\s+")[0];
      return Double.parseDouble(up);
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }
}
