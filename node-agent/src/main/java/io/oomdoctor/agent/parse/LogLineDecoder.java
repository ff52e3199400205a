package io.oomdoctor.agent.parse;

import io.oomdoctor.agent.kmsg.KmsgRecord;
import io.oomdoctor.agent.kmsg.KmsgRecordParser;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns one line of kernel log text, in any of the forms people paste, into {@link KernelLine}s:
 * raw /dev/kmsg records, {@code dmesg}, {@code dmesg -T}, {@code dmesg -x}, {@code journalctl -k}
 * (short and short-iso) and bare lines.
 */
public final class LogLineDecoder {
  /** Starts like a record ("6,…;"): if it does not parse, it is garbled, not a bare line. */
  private static final Pattern KMSG_LIKE =
      Pattern.compile("^\\d{1,3},[^;]{0,80};.*", Pattern.DOTALL);

  private static final Pattern KMSG =
      Pattern.compile("^\\d{1,3},\\d+,\\d+,[^;]*;.*", Pattern.DOTALL);
  private static final Pattern DMESG = Pattern.compile("^\\[\\s*(\\d+)\\.(\\d{1,9})\\]\\s?(.*)$");
  private static final Pattern DMESG_T =
      Pattern.compile("^\\[(\\w{3} \\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\d{4})\\]\\s?(.*)$");
  private static final Pattern DMESG_X =
      Pattern.compile("^(kern|user|mail|daemon|auth|syslog|lpr|news)\\s*:\\s*[a-z]+\\s*:\\s?(.*)$");
  private static final Pattern JOURNAL_SHORT =
      Pattern.compile("^(\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d) \\S+ kernel: ?(.*)$");
  private static final Pattern JOURNAL_ISO =
      Pattern.compile(
          "^(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:[.,]\\d+)?(?:Z|[+-]\\d\\d:?\\d\\d)?) \\S+"
              + " kernel: ?(.*)$");

  /** A syslog/journal line from any program but the kernel: never part of an OOM report. */
  private static final Pattern SYSLOG_OTHER =
      Pattern.compile(
          "^(?:\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d|\\d{4}-\\d\\d-\\d\\dT[0-9:.,+\\-Z]+) \\S+"
              + " (?!kernel:)[^\\s:\\[]+(?:\\[\\d+\\])?: (.*)$");

  /** CONFIG_PRINTK_CALLER adds the printing thread or CPU after the timestamp: "[T1234] ". */
  private static final Pattern CALLER = Pattern.compile("^\\[\\s*[TC]\\d+\\]\\s?(.*)$");

  private static final DateTimeFormatter DMESG_T_FORMAT =
      DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.ROOT);

  private static final int FACILITY_USER = 1;

  private final ZoneId zone;
  private final int assumedYear;
  private final java.util.function.Supplier<LocalDateTime> now;

  /**
   * @param zone zone of wall-clock times that carry none (dmesg -T, journalctl short)
   * @param assumedYear year for journalctl short lines, which print none
   */
  public LogLineDecoder(ZoneId zone, int assumedYear) {
    this.zone = zone;
    this.assumedYear = assumedYear;
    this.now = () -> LocalDateTime.now(zone);
  }

  /** Decodes relative to the current time: this year, or last year for dates still ahead. */
  public static LogLineDecoder forNow(ZoneId zone) {
    return new LogLineDecoder(zone, java.time.Year.now(zone).getValue());
  }

  /**
   * Decodes one input line. Returns an empty list for lines that carry no message (kmsg
   * continuation lines, blank lines), and null for a line that looks like a kmsg record but is
   * malformed (garbled input the caller counts).
   */
  public List<KernelLine> decode(String line) {
    if (line.isEmpty() || line.isBlank()) {
      return List.of();
    }
    if (line.charAt(0) == ' ' && line.indexOf('=') > 1 && !line.contains(": ")) {
      return List.of(); // kmsg continuation line ( SUBSYSTEM=…)
    }
    if (KMSG.matcher(line).matches() || KMSG_LIKE.matcher(line).matches()) {
      KmsgRecord record = KmsgRecordParser.parse(line);
      return record == null ? null : record.lines(null);
    }
    Matcher m = DMESG.matcher(line);
    if (m.matches()) {
      long usec = micros(m.group(1), m.group(2));
      return List.of(
          new KernelLine(null, usec, KernelLine.FACILITY_UNKNOWN, null, stripInner(m.group(3))));
    }
    m = DMESG_T.matcher(line);
    if (m.matches()) {
      return List.of(withWallTime(dmesgT(m.group(1)), m.group(2)));
    }
    m = JOURNAL_ISO.matcher(line);
    if (m.matches()) {
      return List.of(withWallTime(iso(m.group(1)), m.group(2)));
    }
    m = JOURNAL_SHORT.matcher(line);
    if (m.matches()) {
      return List.of(withWallTime(journalShort(m.group(1)), m.group(2)));
    }
    m = SYSLOG_OTHER.matcher(line);
    if (m.matches()) {
      return List.of(new KernelLine(null, null, FACILITY_USER, null, m.group(1)));
    }
    m = DMESG_X.matcher(line);
    if (m.matches()) {
      int facility = "kern".equals(m.group(1)) ? KernelLine.FACILITY_KERNEL : FACILITY_USER;
      List<KernelLine> inner = decode(m.group(2));
      if (inner == null || inner.isEmpty()) {
        return inner;
      }
      KernelLine l = inner.get(0);
      return List.of(new KernelLine(l.seq(), l.kernelTimeUs(), facility, l.wallTime(), l.text()));
    }
    return List.of(KernelLine.bare(line.stripTrailing()));
  }

  /** A line with a wall-clock prefix, keeping the kernel's own timestamp when it was kept. */
  private static KernelLine withWallTime(String wallTime, String rest) {
    Long usec = null;
    Matcher inner = DMESG.matcher(rest);
    if (inner.matches()) {
      usec = micros(inner.group(1), inner.group(2));
    }
    return new KernelLine(null, usec, KernelLine.FACILITY_UNKNOWN, wallTime, stripInner(rest));
  }

  private static long micros(String secs, String fraction) {
    String frac = (fraction + "000000").substring(0, 6);
    return Long.parseLong(secs) * 1_000_000L + Long.parseLong(frac);
  }

  /**
   * Removes what may follow the outer prefix: the kernel's own "[ 12.345678] " (journalctl and
   * syslog keep it) and the printk caller id "[T1234] ".
   */
  private static String stripInner(String text) {
    Matcher m = DMESG.matcher(text);
    String t = m.matches() ? m.group(3) : text;
    Matcher c = CALLER.matcher(t);
    return c.matches() ? c.group(1) : t;
  }

  private String dmesgT(String s) {
    try {
      return LocalDateTime.parse(s, DMESG_T_FORMAT).atZone(zone).toOffsetDateTime().toString();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** syslog's short form has no year: take the assumed year, or the one before if that is later. */
  private String journalShort(String s) {
    try {
      DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy MMM ppd HH:mm:ss", Locale.ROOT);
      LocalDateTime t = LocalDateTime.parse(assumedYear + " " + s, f);
      if (t.isAfter(now.get().plusDays(1))) {
        t = t.minusYears(1);
      }
      return t.atZone(zone).toOffsetDateTime().toString();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static String iso(String s) {
    String t = s.replace(',', '.');
    // journalctl prints +0000 (no colon); OffsetDateTime wants +00:00.
    t = t.replaceFirst("([+-]\\d\\d)(\\d\\d)$", "$1:$2");
    try {
      return OffsetDateTime.parse(t).toString();
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
