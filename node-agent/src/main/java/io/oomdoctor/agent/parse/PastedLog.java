package io.oomdoctor.agent.parse;

import io.oomdoctor.agent.json.JsonReader;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kernel log text as a person has it — copied from a terminal, a log viewer, a mail or a bug report
 * — turned back into the kernel's lines. Whatever wraps the text is taken away: e-mail quoting at
 * any depth and quoted-printable soft line breaks, Markdown block quotes, fences, indentation and
 * backticks, the columns of a log viewer's table, the prefixes {@link LogLineDecoder} knows and the
 * prefixes a document shares with itself, line breaks a mail client or terminal put in, lines run
 * together, and rows listed newest first. {@code journalctl -o json}, {@code json-pretty}, {@code
 * export} and {@code verbose} are read field by field. Where the text says it left something out
 * ("...", "…", "[snip]"), a marker line tells the parser, which then reports the report as
 * incomplete rather than guess.
 *
 * <p>Works on a whole document at once (the caller splits very large inputs): several of these
 * forms can only be recognized from more than one line.
 */
public final class PastedLog {
  /** Facility of the marker line standing where the text left part of the log out. */
  public static final int FACILITY_ELIDED = -2;

  private static final Pattern ELISION =
      Pattern.compile(
          "^(?:\\.{3,}|…+|\\[\\s*(?:\\.{3}|…|snip|snipped|cut|truncated)\\s*\\]|<\\s*snip\\s*>"
              + "|\\(\\s*snip\\s*\\)|-+\\s*(?:snip|cut)\\s*-+|\\.{3,}\\s*\\(?[^()]{0,40}\\)?\\s*\\.{3,}"
              + "|\\[\\s*\\.{3}\\s*[^\\]]{0,40}\\])$",
          Pattern.CASE_INSENSITIVE);
  private static final Pattern TRAILING_ELISION = Pattern.compile("(?:\\.{3}|…|\\[\\.\\.\\.\\])$");
  private static final Pattern LEADING_ELISION = Pattern.compile("^(?:\\.{3}|…)\\s*\\S");

  private static final Pattern FENCE = Pattern.compile("^\\s*(?:```|~~~).*$");
  private static final Pattern QP_ESCAPE = Pattern.compile("=([0-9A-F]{2})");

  /** Where a kernel report line begins inside a longer line: used to learn a shared prefix. */
  private static final Pattern ANCHOR =
      Pattern.compile(
          "Memory cgroup out of memory: |Out of memory(?: \\([a-z_]+\\))?: |(?<!: )Killed process \\d"
              + "|oom-kill:constraint=|memory: usage \\d|Memory cgroup stats for |Tasks state \\(memory"
              + "|Mem-Info:|Call Trace:|Hardware name: |CPU: \\d+ PID: \\d+ Comm: |\\S{1,60} invoked oom-killer: ");

  /** Where to cut a line of report text run together without line breaks. */
  private static final Pattern RUN_TOGETHER =
      Pattern.compile(
          "(?<=\\S)\\s*(?=CPU: \\d+ PID: |Hardware name: |Call Trace:|Mem-Info:|memory: usage \\d"
              + "|memory\\+swap: usage \\d|swap: usage \\d|kmem: usage \\d|Memory cgroup stats for "
              + "|Tasks state \\(memory|\\[\\s*pid\\s*\\]|\\[\\s*\\d+\\]\\s+\\d+\\s+\\d+\\s"
              + "|oom-kill:constraint=|Memory cgroup out of memory: |Out of memory(?: \\([a-z_]+\\))?: "
              + "|oom_reaper: |(?<!: )Killed process \\d)");

  /**
   * A line that begins one of the kernel's report lines (so it does not continue the one before).
   */
  private static final Pattern LINE_START =
      Pattern.compile(
          "^(?:.{1,60} invoked oom-killer:|CPU: |Hardware name:|Call Trace:|</?TASK>|\\? |\\S{1,120}\\+0x"
              + "|\\[<[0-9a-f]+>\\]"
              + "|Mem-Info:|Node \\d|active_anon:|memory: |memory\\+swap: |swap: |kmem: |Memory cgroup"
              + "|Tasks state|\\[\\s*pid\\s*\\]|\\[\\s*\\d+\\]|oom-kill:|Out of memory|Killed process"
              + "|oom_reaper:|Task in |[a-z][a-z0-9_]* \\d+$|\\d+ (?:total pagecache|pages)|Free swap"
              + "|Total swap|RIP:|RSP:|R[A-Z0-9]{2}:|Code:|Modules linked)");

  /** Lines that certainly begin a report line, even right after a line of the wrap width. */
  private static final Pattern STRONG_START =
      Pattern.compile(
          "^(?:\\S{1,60} invoked oom-killer: |CPU: \\d+ |Call Trace:|memory: usage |memory\\+swap: usage "
              + "|kmem: usage |Memory cgroup (?:stats for|out of memory)|Tasks state|\\[\\s*pid\\s*\\]"
              + "|\\[\\s*\\d+\\]\\s+\\d+\\s+\\d+\\s|oom-kill:constraint=|Out of memory|Killed process \\d"
              + "|oom_reaper: )");

  /** Prefix forms that repeat inside a line when lines were run together. */
  private static final Pattern[] REPEATING_PREFIXES = {
    Pattern.compile("\\[\\s*\\d+\\.\\d{6}\\](?:\\[\\s*[TC]\\d+\\])? "),
    Pattern.compile(
        "(?<![\\d:])\\p{L}{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)? \\S+ kernel: "),
    Pattern.compile("\\d{4}-\\d\\d-\\d\\d[T ]\\d\\d:\\d\\d:\\d\\d\\S* \\S+ kernel: "),
    Pattern.compile("\\[\\p{L}{2,4}\\.? \\p{L}{3,5}\\.? [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\d{4}\\] "),
  };

  private final LogLineDecoder decoder;

  /** What was read: the kernel lines in the order the kernel printed them, and what was wrong. */
  public record Result(List<KernelLine> lines, long garbled, List<String> forms) {}

  public PastedLog(LogLineDecoder decoder) {
    this.decoder = decoder;
  }

  /** The line decoder, for reading text line by line when it cannot be unwrapped. */
  public LogLineDecoder decoder() {
    return decoder;
  }

  /** Reads one document. */
  public Result read(String document) {
    List<String> forms = new ArrayList<>();
    String text = normalize(document);
    List<KernelLine> journal = journalFields(text, forms);
    if (journal != null) {
      return new Result(inKernelOrder(journal, forms), 0, forms);
    }
    if (quotedPrintable(text)) {
      text = decodeQuotedPrintable(text);
      forms.add("quoted-printable");
    }
    List<Raw> raws = new ArrayList<>();
    boolean fenced = false;
    for (String line : text.split("\n", -1)) {
      if (FENCE.matcher(line).matches()) {
        fenced = true;
        continue;
      }
      String l = unquote(line);
      raws.add(new Raw(l, null));
    }
    if (fenced) {
      forms.add("markdown");
    }
    raws = columns(raws, forms);
    raws = splitRunTogether(raws, forms);
    raws = joinWrapped(raws, forms);
    List<KernelLine> lines = new ArrayList<>();
    long garbled = 0;
    List<Raw> stripped = stripSharedPrefix(raws, forms);
    for (Raw r : stripped) {
      List<KernelLine> decoded = decoder.decode(r.text);
      if (decoded == null) {
        garbled++;
        continue;
      }
      for (KernelLine k : decoded) {
        KernelLine withTime =
            k.wallTime() == null && r.wallTime != null
                ? new KernelLine(k.seq(), k.kernelTimeUs(), k.facility(), r.wallTime, k.text())
                : k;
        String t = withTime.text().strip();
        boolean elided = ELISION.matcher(t).matches();
        if (elided) {
          lines.add(elision(t));
          continue;
        }
        if (LEADING_ELISION.matcher(t).find()) {
          lines.add(elision(t));
        }
        lines.add(withTime);
        if (TRAILING_ELISION.matcher(t).find()) {
          lines.add(elision(t));
        }
      }
    }
    return new Result(inKernelOrder(lines, forms), garbled, forms);
  }

  private static KernelLine elision(String text) {
    return new KernelLine(null, null, FACILITY_ELIDED, null, text);
  }

  private record Raw(String text, String wallTime) {}

  private static String normalize(String s) {
    String t = s;
    if (t.startsWith("\uFEFF")) {
      t = t.substring(1);
    }
    t = t.replace("\r\n", "\n").replace('\r', '\n');
    StringBuilder b = new StringBuilder(t.length());
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      switch (c) {
        case '\u00A0', '\u2007', '\u202F', '\u2009', '\u2002', '\u2003' -> b.append(' ');
        case '\u200B', '\u200C', '\u200D', '\u2060' -> {}
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /** E-mail and Markdown quoting ("> ", "> > ", ">>"), and backticks around a whole line. */
  private static String unquote(String line) {
    String l = line.substring(quoteEnd(line));
    String s = l.strip();
    if (s.length() >= 2 && s.charAt(0) == '`' && s.charAt(s.length() - 1) == '`') {
      int a = 0;
      while (a < s.length() && s.charAt(a) == '`') {
        a++;
      }
      int z = s.length();
      while (z > a && s.charAt(z - 1) == '`') {
        z--;
      }
      l = s.substring(a, z);
    }
    return l;
  }

  /**
   * Where e-mail quoting ("> ", "> > ", ">>", after at most three spaces) ends, or 0. A loop, not a
   * regular expression: a line of a hundred thousand "> " must not exhaust the stack.
   */
  static int quoteEnd(String line) {
    int i = 0;
    int n = line.length();
    int lead = 0;
    while (i < n && lead < 3 && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
      i++;
      lead++;
    }
    if (i >= n || line.charAt(i) != '>') {
      return 0;
    }
    while (i < n && line.charAt(i) == '>') {
      i++;
      if (i < n && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
        i++;
      }
    }
    return i;
  }

  private static boolean quotedPrintable(String text) {
    if (text.contains("=3D") || text.contains("=20\n")) {
      return true;
    }
    int soft = 0;
    int lines = 0;
    for (String l : text.split("\n")) {
      lines++;
      if (l.endsWith("=") && l.length() >= 60 && !l.endsWith("==")) {
        soft++;
      }
    }
    return soft >= 2 && soft * 10 >= lines;
  }

  /** RFC 2045 quoted-printable: soft breaks joined, =XX escapes decoded as UTF-8. */
  private static String decodeQuotedPrintable(String text) {
    StringBuilder j = new StringBuilder(text.length());
    int from = 0;
    for (int nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      String line = text.substring(from, nl);
      String trimmed = line.stripTrailing();
      if (trimmed.endsWith("=")) {
        // a soft line break: the next line continues this one (its own quoting taken off)
        j.append(trimmed, 0, trimmed.length() - 1);
        from = nl + 1;
        int next = text.indexOf('\n', from);
        String following = next < 0 ? text.substring(from) : text.substring(from, next);
        from += quoteEnd(following);
      } else {
        j.append(line).append('\n');
        from = nl + 1;
      }
    }
    j.append(text.substring(from));
    String joined = j.toString();
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(joined.length());
    Matcher m = QP_ESCAPE.matcher(joined);
    int at = 0;
    while (m.find()) {
      out.writeBytes(
          joined.substring(at, m.start()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      out.write(Integer.parseInt(m.group(1), 16));
      at = m.end();
    }
    out.writeBytes(joined.substring(at).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * A log viewer's table (tab-separated, CSV, or Markdown "| a | b |" rows): the column holding the
   * kernel's message is found from the rows that hold a report line, and kept; a column holding a
   * timestamp gives the line its time when the message has none.
   */
  private List<Raw> columns(List<Raw> raws, List<String> forms) {
    int tabs = 0;
    int pipes = 0;
    int csv = 0;
    int nonBlank = 0;
    for (Raw r : raws) {
      String s = r.text.strip();
      if (s.isEmpty()) {
        continue;
      }
      nonBlank++;
      if (r.text.indexOf('\t') > 0 && !r.text.startsWith("\t")) {
        tabs++;
      }
      if ((s.startsWith("|") && s.endsWith("|") && s.length() > 2) || PIPES.matcher(s).find()) {
        pipes++;
      }
      if (s.startsWith("\"") && s.contains("\",")) {
        csv++;
      }
    }
    if (nonBlank == 0) {
      return raws;
    }
    String kind;
    if (tabs * 2 >= nonBlank) {
      kind = "tab-separated";
    } else if (pipes * 2 >= nonBlank) {
      kind = "table";
    } else if (csv * 2 >= nonBlank) {
      kind = "csv";
    } else {
      return raws;
    }
    List<List<String>> rows = new ArrayList<>();
    Map<Integer, Integer> votes = new HashMap<>();
    for (Raw r : raws) {
      List<String> cells = cells(r.text, kind);
      rows.add(cells);
      for (int i = 0; i < cells.size(); i++) {
        if (ANCHOR.matcher(cells.get(i)).find()) {
          votes.merge(i, 1, Integer::sum);
          break;
        }
      }
    }
    if (votes.isEmpty()) {
      return raws;
    }
    int col = votes.entrySet().stream().max(Map.Entry.comparingByValue()).get().getKey();
    forms.add(kind);
    List<Raw> out = new ArrayList<>();
    for (int r = 0; r < rows.size(); r++) {
      List<String> cells = rows.get(r);
      if (cells.size() <= 1) {
        out.add(raws.get(r));
        continue;
      }
      if (col >= cells.size()) {
        continue; // a row of another shape (a header, a separator)
      }
      String wall = null;
      for (int i = 0; i < cells.size() && wall == null; i++) {
        if (i != col) {
          wall = timestamp(cells.get(i).strip());
          if (wall == null) {
            wall = decoder.stampTime(cells.get(i));
          }
        }
      }
      out.add(new Raw(cells.get(col), wall));
    }
    return out;
  }

  private static List<String> cells(String line, String kind) {
    List<String> cells = new ArrayList<>();
    switch (kind) {
      case "tab-separated" -> {
        for (String c : line.split("\t", -1)) {
          cells.add(c);
        }
      }
      case "table" -> {
        String s = line.strip();
        if (s.startsWith("|")) {
          s = s.substring(1);
        }
        if (s.endsWith("|") && !s.endsWith("\\|")) {
          s = s.substring(0, s.length() - 1);
        }
        if (s.indexOf('|') < 0) {
          cells.add(line);
          return cells;
        }
        for (String c : s.split("(?<!\\\\)\\|", -1)) {
          cells.add(c.strip().replace("\\|", "|"));
        }
      }
      default -> {
        String s = line.strip();
        if (!s.startsWith("\"")) {
          cells.add(line);
          return cells;
        }
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
          char c = s.charAt(i);
          if (quoted) {
            if (c == '"' && i + 1 < s.length() && s.charAt(i + 1) == '"') {
              cur.append('"');
              i++;
            } else if (c == '"') {
              quoted = false;
            } else {
              cur.append(c);
            }
          } else if (c == '"') {
            quoted = true;
          } else if (c == ',') {
            cells.add(cur.toString());
            cur.setLength(0);
          } else {
            cur.append(c);
          }
        }
        cells.add(cur.toString());
      }
    }
    return cells;
  }

  /** A row of a table copied with its column bars: two " | " at least. */
  private static final Pattern PIPES = Pattern.compile(" \\| .* \\| ");

  private static final Pattern CELL_TIME =
      Pattern.compile(
          "^\\d{4}-\\d\\d-\\d\\d[T ]\\d\\d:\\d\\d:\\d\\d(?:[.,]\\d{1,9})?(?:Z|[+-]\\d\\d:?\\d\\d)?$");

  private static String timestamp(String cell) {
    if (!CELL_TIME.matcher(cell).matches()) {
      return null;
    }
    String t =
        cell.replace(',', '.').replace(' ', 'T').replaceFirst("([+-]\\d\\d)(\\d\\d)$", "$1:$2");
    try {
      return OffsetDateTime.parse(t).toString();
    } catch (DateTimeParseException e) {
      try {
        return java.time.LocalDateTime.parse(t).atOffset(java.time.ZoneOffset.UTC).toString();
      } catch (DateTimeParseException e2) {
        return null;
      }
    }
  }

  /**
   * Lines pasted without their line breaks: cut where the same prefix, or a report line, starts.
   */
  private static List<Raw> splitRunTogether(List<Raw> raws, List<String> forms) {
    List<Raw> out = new ArrayList<>(raws.size());
    boolean split = false;
    for (Raw r : raws) {
      String s = r.text.strip();
      if (s.length() < 120) {
        out.add(r);
        continue;
      }
      Pattern own = null;
      for (Pattern p : REPEATING_PREFIXES) {
        if (p.matcher(s).lookingAt()) {
          own = p;
          break;
        }
      }
      List<String> pieces = new ArrayList<>();
      if (own != null) {
        Matcher m = own.matcher(s);
        int from = 0;
        int search = 1;
        while (m.find(search)) {
          if (m.start() > from && Character.isWhitespace(s.charAt(m.start() - 1))) {
            pieces.add(s.substring(from, m.start()).strip());
            from = m.start();
          }
          search = m.start() + 1;
        }
        pieces.add(s.substring(from).strip());
      } else {
        Matcher m = RUN_TOGETHER.matcher(s);
        int from = 0;
        int cuts = 0;
        List<String> bare = new ArrayList<>();
        while (m.find()) {
          bare.add(s.substring(from, m.start()).strip());
          from = m.end();
          cuts++;
        }
        bare.add(s.substring(from).strip());
        if (cuts >= 2) {
          pieces.addAll(bare);
        } else {
          pieces.add(s);
        }
      }
      if (pieces.size() > 1) {
        split = true;
        for (String p : pieces) {
          out.add(new Raw(p, r.wallTime));
        }
      } else {
        out.add(r);
      }
    }
    if (split) {
      forms.add("lines run together");
    }
    return out;
  }

  /**
   * Lines broken by a terminal or a mail client: a line without the prefix its neighbours carry, or
   * (in text without prefixes) one that follows a line of the document's wrap width and does not
   * begin a report line of its own, continues the line before.
   */
  private List<Raw> joinWrapped(List<Raw> raws, List<String> forms) {
    int nonBlank = 0;
    int prefixed = 0;
    boolean[] hasForm = new boolean[raws.size()];
    Map<Integer, Integer> lengths = new HashMap<>();
    int max = 0;
    int maxBreakable = 0;
    for (int i = 0; i < raws.size(); i++) {
      String t = raws.get(i).text;
      if (t.isBlank()) {
        continue;
      }
      nonBlank++;
      List<KernelLine> d = decoder.decode(t);
      // a garbled kmsg record or a line without a message (a record's continuation): never joined
      hasForm[i] = d == null || d.isEmpty() || LogLineDecoder.hasForm(d, t);
      if (hasForm[i]) {
        prefixed++;
      }
      int len = t.length();
      lengths.merge(len, 1, Integer::sum);
      max = Math.max(max, len);
      int firstSpace = t.strip().indexOf(' ');
      if (firstSpace > 0 && firstSpace < 50) {
        maxBreakable = Math.max(maxBreakable, len); // a wrapper could have broken this line
      }
    }
    if (nonBlank < 2) {
      return raws;
    }
    // many of a prefixed document's lines can be continuations when most lines were broken
    boolean prefixedDoc = prefixed >= 3 && prefixed * 4 >= nonBlank;
    // a terminal breaks at a fixed width: several lines exactly as long as the longest
    boolean hardWrap = max >= 40 && lengths.getOrDefault(max, 0) >= 3;
    // a mail client breaks at the last space before its width: several lines just short of it
    int width = hardWrap ? max : maxBreakable;
    int near = 0;
    for (Map.Entry<Integer, Integer> e : lengths.entrySet()) {
      if (e.getKey() >= width - 12 && e.getKey() <= width) {
        near += e.getValue();
      }
    }
    boolean softWrap = !hardWrap && width >= 50 && width <= 132 && near >= 3;
    List<Raw> out = new ArrayList<>();
    boolean joined = false;
    int lastLen = 0; // length of the last physical line, joined or not
    for (int i = 0; i < raws.size(); i++) {
      Raw r = raws.get(i);
      String t = r.text;
      int len = t.length();
      if (!out.isEmpty() && !t.isBlank() && !hasForm[i]) {
        Raw prev = out.get(out.size() - 1);
        String p = hardWrap ? prev.text : prev.text.stripTrailing();
        String cont = hardWrap ? t : t.strip();
        String c = cont.strip();
        boolean startsStrong = STRONG_START.matcher(c).find();
        boolean startsAny = startsStrong || LINE_START.matcher(c).find();
        // a terminal breaks at the width; a mail client before the first word that did not fit
        int firstWord = c.indexOf(' ') < 0 ? c.length() : c.indexOf(' ');
        boolean prevAtWidth =
            hardWrap ? lastLen == max : softWrap && lastLen + 1 + firstWord > width;
        boolean join;
        if (prefixedDoc) {
          // in text whose lines carry a prefix, one without it continues the line before
          join = !p.isBlank() && (prevAtWidth ? !startsStrong : !startsAny);
        } else {
          join = !p.isBlank() && prevAtWidth && !startsStrong;
        }
        if (join) {
          String sep = hardWrap && lastLen == max ? "" : " ";
          out.set(out.size() - 1, new Raw(p + sep + cont, prev.wallTime));
          joined = true;
          lastLen = len;
          continue;
        }
      }
      out.add(r);
      lastLen = len;
    }
    if (joined) {
      forms.add("wrapped lines");
    }
    return out;
  }

  /**
   * Prefixes no known form explains but the document shares with itself (a log viewer's time and
   * host columns, say): learned from the lines where a report line begins after them, and taken off
   * every line that begins with words of the same shapes.
   */
  private List<Raw> stripSharedPrefix(List<Raw> raws, List<String> forms) {
    Map<String, Integer> shapes = new HashMap<>();
    int anchored = 0;
    List<KernelLine> decoded = new ArrayList<>(raws.size());
    for (Raw r : raws) {
      List<KernelLine> d = decoder.decode(r.text);
      KernelLine line = d == null || d.size() != 1 ? null : d.get(0);
      decoded.add(line);
      String text = line == null ? null : line.text();
      if (text == null) {
        continue;
      }
      Matcher a = ANCHOR.matcher(text);
      if (a.find() && a.start() > 0) {
        int start = a.start();
        if (a.group().endsWith(" invoked oom-killer: ")) {
          continue; // where the invoker's name begins cannot be told
        }
        String prefix = text.substring(0, start);
        String[] words = prefix.strip().split("\\s+");
        anchored++;
        if (words.length <= 6 && (prefix.endsWith(" ") || prefix.endsWith("\t"))) {
          shapes.merge(shape(words), 1, Integer::sum);
        }
      }
    }
    if (shapes.isEmpty()) {
      return raws;
    }
    Map.Entry<String, Integer> best =
        shapes.entrySet().stream().max(Map.Entry.comparingByValue()).get();
    if (best.getValue() < 2 && anchored > 1) {
      return raws; // one line's words are no shared prefix
    }
    String shape = best.getKey();
    int words = shape.split(" ").length;
    List<Raw> out = new ArrayList<>(raws.size());
    boolean stripped = false;
    for (int i = 0; i < raws.size(); i++) {
      Raw r = raws.get(i);
      KernelLine k = decoded.get(i);
      if (k == null) {
        out.add(r);
        continue;
      }
      String[] parts = k.text().strip().split("\\s+", words + 1);
      if (parts.length == words + 1 && shape(java.util.Arrays.copyOf(parts, words)).equals(shape)) {
        String rest = parts[words];
        // rebuild as a line whose form the decoder keeps: the time already read travels with it
        String wall = k.wallTime() != null ? k.wallTime() : r.wallTime;
        out.add(
            new Raw(k.kernelTimeUs() != null ? dmesgStamp(k.kernelTimeUs()) + rest : rest, wall));
        stripped = true;
      } else {
        out.add(r);
      }
    }
    if (stripped) {
      forms.add("shared prefix");
    }
    return out;
  }

  private static String dmesgStamp(long us) {
    return String.format(java.util.Locale.ROOT, "[%d.%06d] ", us / 1_000_000, us % 1_000_000);
  }

  /** A word's shape: digits as 9, letters as a, runs collapsed ("node-12" and "node-3" alike). */
  private static String shape(String[] words) {
    StringBuilder b = new StringBuilder();
    for (String w : words) {
      if (b.length() > 0) {
        b.append(' ');
      }
      char last = 0;
      for (int i = 0; i < w.length(); i++) {
        char c = w.charAt(i);
        char k = Character.isDigit(c) ? '9' : Character.isLetter(c) ? 'a' : c;
        if (k != last || (k != '9' && k != 'a')) {
          b.append(k);
        }
        last = k;
      }
    }
    return b.toString();
  }

  /**
   * Rows listed newest first (as log viewers do) are put back in the kernel's order: by their
   * timestamps where they have them, else by the order of a report's first and last lines.
   */
  private static List<KernelLine> inKernelOrder(List<KernelLine> lines, List<String> forms) {
    int up = 0;
    int down = 0;
    int wallUp = 0;
    int wallDown = 0;
    Long prevKernel = null;
    String prevWall = null;
    for (KernelLine l : lines) {
      if (l.kernelTimeUs() != null) {
        if (prevKernel != null) {
          if (l.kernelTimeUs() > prevKernel) {
            up++;
          } else if (l.kernelTimeUs() < prevKernel) {
            down++;
          }
        }
        prevKernel = l.kernelTimeUs();
      }
      if (l.wallTime() != null) {
        if (prevWall != null) {
          int c = compareTimes(l.wallTime(), prevWall);
          if (c > 0) {
            wallUp++;
          } else if (c < 0) {
            wallDown++;
          }
        }
        prevWall = l.wallTime();
      }
    }
    if (wallUp + wallDown >= 2) {
      // wall-clock time holds across machines and reboots; the kernel's own does not
      up = wallUp;
      down = wallDown;
    }
    boolean reverse;
    if (up + down >= 2) {
      reverse = down > up;
    } else {
      int first = -1;
      int last = -1;
      char firstKind = 0;
      char lastKind = 0;
      for (int i = 0; i < lines.size(); i++) {
        String t = lines.get(i).text();
        char k =
            t.contains(" invoked oom-killer: ")
                ? 'H'
                : t.contains("Killed process ") && !t.contains("oom_reaper") ? 'K' : 0;
        if (k != 0) {
          if (first < 0) {
            first = i;
            firstKind = k;
          }
          last = i;
          lastKind = k;
        }
      }
      reverse = first >= 0 && first != last && firstKind == 'K' && lastKind == 'H';
    }
    if (!reverse) {
      return lines;
    }
    forms.add("newest first");
    List<KernelLine> out = new ArrayList<>(lines);
    java.util.Collections.reverse(out);
    return out;
  }

  private static int compareTimes(String a, String b) {
    try {
      return OffsetDateTime.parse(a).compareTo(OffsetDateTime.parse(b));
    } catch (DateTimeParseException e) {
      return 0;
    }
  }

  // ---- journalctl's structured output ----------------------------------------------------------

  private static final Pattern JSON_START = Pattern.compile("^\\s*[\\[{]");
  private static final Pattern KEY_VALUE = Pattern.compile("^\\s*([A-Z_][A-Z0-9_]*)=(.*)$");

  /**
   * {@code journalctl -o json|json-pretty|json-seq|export|verbose}: one entry per object or block,
   * its MESSAGE the line, its monotonic time the kernel's, and entries of other programs kept apart
   * from the kernel's. Null when the text is not in one of these forms.
   */
  private List<KernelLine> journalFields(String text, List<String> forms) {
    if (JSON_START.matcher(text).lookingAt() && text.contains("MESSAGE")) {
      List<Map<String, Object>> entries = jsonEntries(text);
      if (entries != null) {
        forms.add("journal json");
        List<KernelLine> out = new ArrayList<>();
        for (Map<String, Object> e : entries) {
          KernelLine l = entry(e);
          if (l != null) {
            out.add(l);
          }
        }
        return out;
      }
    }
    int keyLines = 0;
    int messages = 0;
    for (String l : text.split("\n")) {
      Matcher m = KEY_VALUE.matcher(l);
      if (m.matches()) {
        keyLines++;
        if ("MESSAGE".equals(m.group(1))) {
          messages++;
        }
      }
    }
    if (messages == 0 || keyLines < 3 * messages) {
      return null;
    }
    forms.add("journal fields");
    List<KernelLine> out = new ArrayList<>();
    Map<String, Object> entry = new HashMap<>();
    for (String l : text.split("\n")) {
      Matcher m = KEY_VALUE.matcher(l);
      boolean startsBlock = !l.isBlank() && !Character.isWhitespace(l.charAt(0)) && !m.matches();
      if (l.isBlank() || startsBlock) {
        KernelLine k = entry(entry);
        if (k != null) {
          out.add(k);
        }
        entry = new HashMap<>();
        continue;
      }
      if (m.matches()) {
        entry.put(m.group(1), m.group(2));
      }
    }
    KernelLine k = entry(entry);
    if (k != null) {
      out.add(k);
    }
    return out;
  }

  private static List<Map<String, Object>> jsonEntries(String text) {
    List<Map<String, Object>> out = new ArrayList<>();
    String t = text.replace('\u001e', '\n').strip(); // json-seq record separators
    try {
      Object whole = JsonReader.parse(t);
      if (whole instanceof List<?> list) {
        for (Object o : list) {
          if (o instanceof Map<?, ?> m) {
            @SuppressWarnings("unchecked")
            Map<String, Object> e = (Map<String, Object>) m;
            out.add(e);
          }
        }
        return out;
      }
      if (whole instanceof Map<?, ?> m) {
        @SuppressWarnings("unchecked")
        Map<String, Object> e = (Map<String, Object>) m;
        out.add(e);
        return out;
      }
    } catch (IllegalArgumentException e) {
      // several objects, one after another
    }
    int depth = 0;
    int start = -1;
    boolean inString = false;
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
        }
        continue;
      }
      if (c == '"') {
        inString = true;
      } else if (c == '{') {
        if (depth++ == 0) {
          start = i;
        }
      } else if (c == '}' && depth > 0 && --depth == 0) {
        try {
          out.add(JsonReader.object(t.substring(start, i + 1)));
        } catch (IllegalArgumentException e) {
          return null;
        }
      }
    }
    return out.isEmpty() ? null : out;
  }

  private static KernelLine entry(Map<String, Object> e) {
    Object msg = e.get("MESSAGE");
    if (msg == null) {
      return null;
    }
    String text;
    if (msg instanceof List<?> bytes) {
      byte[] b = new byte[bytes.size()];
      for (int i = 0; i < b.length; i++) {
        b[i] = (byte) ((Number) bytes.get(i)).intValue();
      }
      text = new String(b, java.nio.charset.StandardCharsets.UTF_8);
    } else {
      text = String.valueOf(msg);
    }
    Long mono = number(e.get("_SOURCE_MONOTONIC_TIMESTAMP"));
    Long real = number(e.get("_SOURCE_REALTIME_TIMESTAMP"));
    if (real == null) {
      real = number(e.get("__REALTIME_TIMESTAMP"));
    }
    String wall =
        real == null
            ? null
            : java.time.Instant.ofEpochSecond(real / 1_000_000, (real % 1_000_000) * 1000)
                .atOffset(java.time.ZoneOffset.UTC)
                .toString();
    String transport = string(e.get("_TRANSPORT"));
    String ident = string(e.get("SYSLOG_IDENTIFIER"));
    boolean kernel =
        "kernel".equals(transport)
            || (transport == null && (ident == null || "kernel".equals(ident)));
    int facility = kernel ? KernelLine.FACILITY_KERNEL : 1;
    return new KernelLine(null, kernel ? mono : null, facility, wall, text);
  }

  private static String string(Object o) {
    return o == null ? null : String.valueOf(o);
  }

  private static Long number(Object o) {
    if (o instanceof Number n) {
      return n.longValue();
    }
    if (o instanceof String s) {
      try {
        return Long.valueOf(s.strip());
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }
}
