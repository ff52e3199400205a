package io.oomdoctor.agent.parse;

import io.oomdoctor.agent.kmsg.KmsgRecord;
import io.oomdoctor.agent.kmsg.KmsgRecordParser;
import java.text.DateFormatSymbols;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns one line of kernel log text, in any of the forms people paste, into {@link KernelLine}s:
 * raw /dev/kmsg records, {@code dmesg} (also {@code -r}, {@code -x}, {@code -T} in any language and
 * {@code --time-format iso}), {@code journalctl -k} in its short output modes (with or without a
 * host name), syslog files ({@code /var/log/messages}, {@code kern.log}) with RFC 3164 or RFC 5424
 * headers, ISO-8601 stamps and facility/severity tags, and bare lines.
 *
 * <p>Only the wrapping is removed: the message text is handed on as it was. A wall-clock time that
 * cannot be read for certain (an unknown month name) is left out, never guessed.
 */
public final class LogLineDecoder {
  /** Starts like a record ("6,…;"): if it does not parse, it is garbled, not a bare line. */
  private static final Pattern KMSG_LIKE =
      Pattern.compile("^\\d{1,3},[^;]{0,80};.*", Pattern.DOTALL);

  /** A /dev/kmsg record's dictionary line: " KEY=value", the key in capitals. */
  private static final Pattern KMSG_CONTINUATION = Pattern.compile("^ [A-Z][A-Z0-9_]*=");

  private static final Pattern KMSG =
      Pattern.compile("^\\d{1,3},\\d+,\\d+,[^;]*;.*", Pattern.DOTALL);
  private static final Pattern DMESG = Pattern.compile("^\\[\\s*(\\d+)\\.(\\d{1,9})\\]\\s?(.*)$");

  /** {@code dmesg -T} in any language: a bracketed date holding a time of day. */
  private static final Pattern BRACKET_TIME =
      Pattern.compile("^\\[([^\\[\\]]{0,60}?\\d{1,2}:\\d\\d:\\d\\d[^\\[\\]]{0,40})\\]\\s?(.*)$");

  private static final Pattern DMESG_X =
      Pattern.compile(
          "^(kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|local[0-7])\\s*:"
              + "\\s*[a-z]+\\s*:\\s?(.*)$");

  /** A syslog priority ("<4>"), as {@code dmesg -r} and syslog senders print it. */
  private static final Pattern PRI = Pattern.compile("^<(\\d{1,3})>(.*)$");

  /** RFC 5424: "<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG". */
  private static final Pattern RFC5424 =
      Pattern.compile(
          "^(\\S+) (\\S+) (\\S+) (\\S+) (\\S+) (-|(?:\\[[^\\]]{0,2048}\\]){1,16}) ?(.*)$");

  private static final String ISO_TIME =
      "\\d{4}-\\d\\d-\\d\\d[T ]\\d\\d:\\d\\d:\\d\\d(?:[.,]\\d{1,9})?"
          + "(?:Z|[+-]\\d\\d:?\\d\\d|\\s?UTC|\\s?GMT)?";

  /** The wall-clock stamps that begin syslog and journal lines. */
  private static final Pattern STAMP =
      Pattern.compile(
          "^(?:"
              + "(?<iso>"
              + ISO_TIME
              + ")"
              // journalctl -o short-full: "Wed 2026-12-02 10:00:00 UTC"
              + "|(?<full>\\p{L}{2,4}\\.? \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d{1,9})?"
              + "(?: [A-Z]{2,5}|[+-]\\d{4})?)"
              // syslog short, any language: "Dec  2 10:00:00", "Dez 02 10:00:00.123456"
              + "|(?<short>(?<mon>\\p{L}{2,12}\\.?) {1,2}(?<day>\\d{1,2}),? (?:(?<year>\\d{4}) )?"
              + "(?<hms>\\d\\d:\\d\\d:\\d\\d)(?<frac>\\.\\d{1,9})?)"
              // journalctl -o short-unix
              + "|(?<unix>\\d{9,10}\\.\\d{1,9})"
              // ctime, as busybox and OpenWrt's logread print it: "Sat Jan 25 09:40:15 2020"
              + "|(?<ctime>\\p{L}{2,4}\\.? \\p{L}{2,12}\\.? {1,2}\\d{1,2} \\d\\d:\\d\\d:\\d\\d \\d{4})"
              // a log viewer's "Jun 25, 2021 @ 12:42:13.029"
              + "|(?<viewer>\\p{L}{2,12}\\.? \\d{1,2}, \\d{4} @ \\d\\d:\\d\\d:\\d\\d(?:\\.\\d{1,9})?)"
              + ")\\s+(?<rest>.*)$");

  /** Facility.severity tags some syslog templates print ("kern.warning", "<kern.warn>"). */
  private static final Pattern FACILITY_TAG =
      Pattern.compile(
          "(?:^|(?<=\\s))[<\\[]?(?:kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv"
              + "|ftp|local[0-7])\\.(?:emerg|alert|crit|err|error|warn|warning|notice|info|debug)"
              + "[>\\]]?:?(?:\\s+|$)");

  private static final Pattern KERNEL_TAG =
      Pattern.compile("^(?:(?<host>\\S+)\\s+)?kernel(?:\\[\\d+\\])?:\\s?(?<msg>.*)$");
  private static final Pattern OTHER_TAG =
      Pattern.compile("^(?<host>\\S+)\\s+(?<prog>[^\\s:\\[]+)(?<pid>\\[\\d+\\])?: (?<msg>.*)$");

  /** Words that end in a colon at the start of kernel messages; never a program's tag. */
  private static final Set<String> KERNEL_WORDS =
      Set.of(
          "oom-kill",
          "oom_reaper",
          "memory",
          "memory+swap",
          "swap",
          "kmem",
          "CPU",
          "Mem-Info",
          "RIP",
          "RSP",
          "Code",
          "Call",
          "Node",
          "DMA",
          "DMA32",
          "Normal");

  private static final Pattern TIME_OF_DAY = Pattern.compile("(\\d{1,2}):(\\d\\d):(\\d\\d)");
  private static final Pattern YEAR = Pattern.compile("(?<!\\d)(\\d{4})(?!\\d)");
  private static final Pattern CJK_MONTH = Pattern.compile("(\\d{1,2})\\s*[月월]");

  /** CONFIG_PRINTK_CALLER adds the printing thread or CPU after the timestamp: "[T1234] ". */
  private static final Pattern CALLER = Pattern.compile("^\\[\\s*[TC]\\d+\\]\\s?(.*)$");

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
    if (KMSG_CONTINUATION.matcher(line).lookingAt()) {
      return List.of(); // kmsg continuation line ( SUBSYSTEM=…)
    }
    if (KMSG.matcher(line).matches() || KMSG_LIKE.matcher(line).matches()) {
      KmsgRecord record = KmsgRecordParser.parse(line);
      return record == null ? null : record.lines(null);
    }
    KernelLine l = decodeText(line.strip(), 0);
    return l == null ? List.of() : List.of(l);
  }

  /** True when {@link #decode} found a form around the text, not only a bare line. */
  public static boolean hasForm(List<KernelLine> decoded, String line) {
    if (decoded == null || decoded.size() != 1) {
      return decoded != null && !decoded.isEmpty();
    }
    KernelLine l = decoded.get(0);
    return l.seq() != null
        || l.kernelTimeUs() != null
        || l.wallTime() != null
        || l.facility() != KernelLine.FACILITY_UNKNOWN
        || !l.text().equals(line.strip());
  }

  private KernelLine decodeText(String line, int depth) {
    if (line.isEmpty()) {
      return null;
    }
    Matcher m = DMESG.matcher(line);
    if (m.matches()) {
      long usec = micros(m.group(1), m.group(2));
      String rest = m.group(3);
      // journalctl -o short-monotonic: "[  12.345678] host kernel: message"
      Matcher tag = KERNEL_TAG.matcher(rest);
      if (tag.matches() && depth < 3) {
        return new KernelLine(
            null, usec, KernelLine.FACILITY_UNKNOWN, null, stripInner(tag.group("msg")));
      }
      Matcher other = OTHER_TAG.matcher(rest);
      if (other.matches() && other.group("pid") != null && isProgram(other.group("prog"))) {
        return new KernelLine(null, usec, FACILITY_USER, null, other.group("msg"));
      }
      return new KernelLine(null, usec, KernelLine.FACILITY_UNKNOWN, null, stripInner(rest));
    }
    m = BRACKET_TIME.matcher(line);
    if (m.matches()) {
      return withWallTime(localized(m.group(1)), m.group(2));
    }
    m = PRI.matcher(line);
    if (m.matches() && depth < 3) {
      String rest = m.group(2);
      int pri = Integer.parseInt(m.group(1));
      int facility = pri >> 3;
      KernelLine inner;
      if (rest.startsWith("1 ") && RFC5424.matcher(rest.substring(2)).matches()) {
        inner = rfc5424(rest.substring(2));
      } else {
        inner = decodeText(rest.strip(), depth + 1);
      }
      if (inner == null) {
        return null;
      }
      int f =
          inner.facility() == KernelLine.FACILITY_UNKNOWN && pri <= 191
              ? facility
              : inner.facility();
      return new KernelLine(inner.seq(), inner.kernelTimeUs(), f, inner.wallTime(), inner.text());
    }
    m = STAMP.matcher(line);
    if (m.matches()) {
      String wall = wallTime(m);
      String rest = withoutFacilityTags(m.group("rest"));
      Matcher tag = KERNEL_TAG.matcher(rest);
      if (tag.matches()) {
        return withWallTime(wall, tag.group("msg"));
      }
      Matcher other = OTHER_TAG.matcher(rest);
      if (other.matches() && isProgram(other.group("prog")) && m.group("unix") == null) {
        return new KernelLine(null, null, FACILITY_USER, wall, other.group("msg"));
      }
      // dmesg --time-format iso, or a stamp and the message alone
      return withWallTime(wall, rest);
    }
    m = DMESG_X.matcher(line);
    if (m.matches() && depth < 3) {
      int facility = "kern".equals(m.group(1)) ? KernelLine.FACILITY_KERNEL : FACILITY_USER;
      KernelLine l = decodeText(m.group(2).strip(), depth + 1);
      if (l == null) {
        return null;
      }
      return new KernelLine(l.seq(), l.kernelTimeUs(), facility, l.wallTime(), l.text());
    }
    Matcher tag = KERNEL_TAG.matcher(line);
    if (tag.matches() && (tag.group("host") == null || !tag.group("host").endsWith(":"))) {
      // "kernel: message" with the stamp cut away
      return withWallTime(null, tag.group("msg"));
    }
    return KernelLine.bare(line.stripTrailing());
  }

  /** Removes facility.severity tags from the first two words, where syslog templates put them. */
  private static String withoutFacilityTags(String rest) {
    String r = rest;
    for (int i = 0; i < 2; i++) {
      Matcher f = FACILITY_TAG.matcher(r);
      if (f.find() && f.start() <= r.indexOf(' ') + 1) {
        r = r.substring(0, f.start()) + r.substring(f.end());
      } else {
        break;
      }
    }
    return r;
  }

  private static boolean isProgram(String prog) {
    return !KERNEL_WORDS.contains(prog) && !prog.equals("kernel");
  }

  private KernelLine rfc5424(String s) {
    Matcher m = RFC5424.matcher(s);
    if (!m.matches()) {
      return KernelLine.bare(s);
    }
    String wall = iso(m.group(1));
    String app = m.group(3);
    String msg = m.group(7);
    if (msg.startsWith("\uFEFF")) {
      msg = msg.substring(1); // the BOM RFC 5424 allows before a UTF-8 message
    }
    if (!"kernel".equals(app) && !"-".equals(app)) {
      return new KernelLine(null, null, FACILITY_USER, wall, msg);
    }
    return withWallTime(wall, msg);
  }

  /** A line with a wall-clock prefix, keeping the kernel's own timestamp when it was kept. */
  private static KernelLine withWallTime(String wallTime, String rest) {
    Long usec = null;
    String r = rest.strip();
    Matcher lvl = PRI.matcher(r);
    if (lvl.matches() && lvl.group(1).length() == 1) {
      r = lvl.group(2); // "kernel: <4>[ 12.3] …"
    }
    Matcher inner = DMESG.matcher(r);
    if (inner.matches()) {
      usec = micros(inner.group(1), inner.group(2));
    }
    return new KernelLine(null, usec, KernelLine.FACILITY_UNKNOWN, wallTime, stripInner(r));
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

  private String wallTime(Matcher m) {
    if (m.group("iso") != null) {
      return iso(m.group("iso"));
    }
    if (m.group("ctime") != null) {
      return localized(m.group("ctime"));
    }
    if (m.group("viewer") != null) {
      return localized(m.group("viewer").replace(" @ ", " ").replaceFirst("\\.\\d+$", ""));
    }
    if (m.group("full") != null) {
      String[] p = m.group("full").split(" ");
      String zoneText = p.length > 3 ? p[3] : null;
      String t = p[1] + "T" + p[2];
      if (zoneText == null) {
        return local(t);
      }
      if ("UTC".equals(zoneText) || "GMT".equals(zoneText)) {
        return iso(t + "Z");
      }
      if (zoneText.matches("[+-]\\d{4}")) {
        return iso(t + zoneText);
      }
      return null; // a zone abbreviation ("CET") names no offset for certain
    }
    if (m.group("short") != null) {
      Integer month = month(m.group("mon"));
      if (month == null) {
        return null;
      }
      int day = Integer.parseInt(m.group("day"));
      String[] hms = m.group("hms").split(":");
      int year = m.group("year") != null ? Integer.parseInt(m.group("year")) : assumedYear;
      try {
        LocalDateTime t =
            LocalDateTime.of(
                year,
                month,
                day,
                Integer.parseInt(hms[0]),
                Integer.parseInt(hms[1]),
                Integer.parseInt(hms[2]));
        if (m.group("year") == null && t.isAfter(now.get().plusDays(1))) {
          t = t.minusYears(1);
        }
        return t.atZone(zone).toOffsetDateTime().toString();
      } catch (java.time.DateTimeException e) {
        return null;
      }
    }
    String unix = m.group("unix");
    int dot = unix.indexOf('.');
    long secs = Long.parseLong(unix.substring(0, dot));
    return Instant.ofEpochSecond(secs).atOffset(ZoneOffset.UTC).toString();
  }

  /** The wall-clock time a stamp alone says (a log viewer's time column), or null. */
  public String stampTime(String cell) {
    Matcher m = STAMP.matcher(cell.strip() + " -");
    return m.matches() && m.group("rest").equals("-") ? wallTime(m) : null;
  }

  private String local(String isoLocal) {
    try {
      return LocalDateTime.parse(isoLocal).atZone(zone).toOffsetDateTime().toString();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /**
   * A {@code dmesg -T} date in the language it was printed in ("Thu May 9 14:52:38 2024", "Do Mai 9
   * 14:52:38 2024", "jeu. mai 9 …", "四 5月 9 …"): the year, the day, the time and a month name known
   * in some language; null when any of them is not there for certain.
   */
  String localized(String s) {
    Matcher t = TIME_OF_DAY.matcher(s);
    Matcher y = YEAR.matcher(s);
    if (!t.find() || !y.find()) {
      return null;
    }
    String rest = (s.substring(0, t.start()) + " " + s.substring(t.end())).replace(y.group(1), " ");
    Integer month = null;
    Integer day = null;
    Matcher cjk = CJK_MONTH.matcher(rest);
    if (cjk.find()) {
      month = Integer.valueOf(cjk.group(1));
      rest = rest.substring(0, cjk.start()) + " " + rest.substring(cjk.end());
    }
    for (String tok : rest.split("[\\s,]+")) {
      String w = tok.replaceAll("[日号일]$", "");
      if (w.isEmpty()) {
        continue;
      }
      if (w.chars().allMatch(Character::isDigit)) {
        if (day != null) {
          return null;
        }
        day = Integer.valueOf(w);
      } else if (!WEEKDAYS.contains(key(w))) {
        Integer named = month(w);
        if (named != null) {
          if (month != null && !month.equals(named)) {
            return null; // two month names: not certain which
          }
          month = named;
        }
      }
    }
    if (month == null || day == null) {
      return null;
    }
    try {
      return LocalDateTime.of(
              Integer.parseInt(y.group(1)),
              month,
              day,
              Integer.parseInt(t.group(1)),
              Integer.parseInt(t.group(2)),
              Integer.parseInt(t.group(3)))
          .atZone(zone)
          .toOffsetDateTime()
          .toString();
    } catch (java.time.DateTimeException e) {
      return null;
    }
  }

  private static final String[] LANGUAGES = {
    "en", "de", "fr", "es", "it", "pt", "nl", "sv", "da", "nb", "fi", "pl", "cs", "sk", "hu", "ro",
    "tr", "ru", "uk", "el", "ca", "hr", "sl", "lt", "lv", "et", "id", "vi"
  };

  private static final Map<String, Integer> MONTHS = months();

  /** Month names and abbreviations of many languages, where no two languages disagree. */
  private static Map<String, Integer> months() {
    Map<String, Integer> byName = new HashMap<>();
    Set<String> ambiguous = new java.util.HashSet<>();
    for (String tag : LANGUAGES) {
      DateFormatSymbols sym = DateFormatSymbols.getInstance(Locale.forLanguageTag(tag));
      for (String[] names : new String[][] {sym.getMonths(), sym.getShortMonths()}) {
        for (int i = 0; i < 12 && i < names.length; i++) {
          String k = key(names[i]);
          if (k.isEmpty()) {
            continue;
          }
          Integer old = byName.putIfAbsent(k, i + 1);
          if (old != null && old != i + 1) {
            ambiguous.add(k);
          }
          // glibc abbreviates to three letters where Java does not ("Dez." / "Dez")
          if (k.length() > 3) {
            String three = k.substring(0, 3);
            Integer o3 = byName.putIfAbsent(three + "*", i + 1);
            if (o3 != null && o3 != i + 1) {
              ambiguous.add(three + "*");
            }
          }
        }
      }
    }
    ambiguous.forEach(byName::remove);
    return byName;
  }

  private static String key(String name) {
    return name.toLowerCase(Locale.ROOT).replace(".", "").strip();
  }

  static Integer month(String token) {
    String k = key(token);
    Integer m = MONTHS.get(k);
    if (m == null && k.length() >= 3) {
      m = MONTHS.get(k.substring(0, 3) + "*");
    }
    return m;
  }

  private static final Set<String> WEEKDAYS = weekdays();

  private static Set<String> weekdays() {
    Set<String> days = new java.util.HashSet<>();
    for (String tag : LANGUAGES) {
      DateFormatSymbols sym = DateFormatSymbols.getInstance(Locale.forLanguageTag(tag));
      for (String[] names : new String[][] {sym.getWeekdays(), sym.getShortWeekdays()}) {
        for (String n : names) {
          String k = key(n);
          if (!k.isEmpty()) {
            days.add(k);
            if (k.length() > 3) {
              days.add(k.substring(0, 3));
            }
          }
        }
      }
    }
    return days;
  }

  private String iso(String s) {
    String t = s.replace(',', '.').replace(' ', 'T');
    t = t.replaceFirst("T?(UTC|GMT)$", "Z");
    if (t.indexOf('T') == t.lastIndexOf('T') && t.endsWith("TZ")) {
      t = t.substring(0, t.length() - 2) + "Z";
    }
    // journalctl prints +0000 (no colon); OffsetDateTime wants +00:00.
    t = t.replaceFirst("([+-]\\d\\d)(\\d\\d)$", "$1:$2");
    try {
      return OffsetDateTime.parse(t).toString();
    } catch (DateTimeParseException e) {
      try {
        return LocalDateTime.parse(t).atZone(zone).toOffsetDateTime().toString();
      } catch (DateTimeParseException e2) {
        return null;
      }
    }
  }
}
