package io.oomdoctor.agent.parse;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.model.evidence.OomReport;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The property: a real report, wrapped in any of the forms people paste kernel logs in, parses to
 * the same fields as the report itself. Every fixture of real kernel text is taken apart into the
 * kernel's lines and put back together in each form.
 */
class PastedFormsTest {
  static final String[] FIXTURES = {
    "6.18-v1-cgroupfs-container-limit.kmsg",
    "6.18-v1-systemd-pod-limit.kmsg",
    "6.18-v1-jvm-heap-above-limit.kmsg",
    "6.18-v1-systemd-worker-child-killed.kmsg",
    "6.18-v1-tmpfs-shmem.kmsg",
    "3.10-rhel7-systemd-docker-pod-limit.dmesg",
    "4.15-ubuntu-cgroupfs-pod-limit.syslog",
    "5.15-aks-v2-systemd-pod-limit.syslog",
    "5.x-global-oom.journal",
    "5.x-global-printk-caller-cut-short.dmesg",
  };

  /** A kernel line as the fixture holds it: its time since boot and its text. */
  record Line(long us, String text) {}

  static final long BOOT_EPOCH_S = 1_764_600_000L; // 2025-12-01T14:40:00Z

  static List<Line> kernelLines(String fixture) {
    LogLineDecoder d = new LogLineDecoder(ZoneOffset.UTC, 2026);
    List<Line> out = new ArrayList<>();
    long us = 1_000_000;
    for (String raw : OomReportParserTest.read(fixture)) {
      List<KernelLine> ls = d.decode(raw);
      if (ls == null) {
        continue;
      }
      for (KernelLine l : ls) {
        if (!l.fromKernel() || l.text().isBlank()) {
          continue;
        }
        us = l.kernelTimeUs() != null ? l.kernelTimeUs() : us + 17;
        out.add(new Line(us, l.text()));
      }
    }
    return out;
  }

  static ZonedDateTime wall(Line l) {
    return Instant.ofEpochSecond(BOOT_EPOCH_S + l.us / 1_000_000, (l.us % 1_000_000) * 1000)
        .atZone(ZoneOffset.UTC);
  }

  static String dmesgStamp(Line l) {
    return String.format(Locale.ROOT, "[%5d.%06d]", l.us / 1_000_000, l.us % 1_000_000);
  }

  static String perLine(List<Line> lines, Function<Line, String> f) {
    StringBuilder b = new StringBuilder();
    for (Line l : lines) {
      b.append(f.apply(l)).append('\n');
    }
    return b.toString();
  }

  static final DateTimeFormatter SYSLOG =
      DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.ROOT);

  static String dmesgT(Line l, Locale locale) {
    return "["
        + DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", locale).format(wall(l))
        + "] "
        + l.text;
  }

  static String json(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  static String journalJson(Line l, boolean pretty) {
    long real = BOOT_EPOCH_S * 1_000_000 + l.us;
    String sep = pretty ? ",\n\t" : ", ";
    return (pretty ? "{\n\t" : "{ ")
        + "\"__REALTIME_TIMESTAMP\" : \""
        + real
        + "\""
        + sep
        + "\"_TRANSPORT\" : \"kernel\""
        + sep
        + "\"SYSLOG_IDENTIFIER\" : \"kernel\""
        + sep
        + "\"_SOURCE_MONOTONIC_TIMESTAMP\" : \""
        + l.us
        + "\""
        + sep
        + "\"MESSAGE\" : "
        + json(l.text)
        + (pretty ? "\n}" : " }");
  }

  static String hardWrap(String text, int width) {
    StringBuilder b = new StringBuilder();
    for (String line : text.split("\n")) {
      String s = line;
      while (s.length() > width) {
        b.append(s, 0, width).append('\n');
        s = s.substring(width);
      }
      b.append(s).append('\n');
    }
    return b.toString();
  }

  static String wordWrap(String text, int width) {
    StringBuilder b = new StringBuilder();
    for (String line : text.split("\n")) {
      String s = line;
      while (s.length() > width) {
        int at = s.lastIndexOf(' ', width);
        if (at <= 0) {
          break; // a word longer than the width stays whole, as mail clients leave it
        }
        b.append(s, 0, at).append('\n');
        s = s.substring(at + 1);
      }
      b.append(s).append('\n');
    }
    return b.toString();
  }

  static String quotedPrintable(String text) {
    StringBuilder out = new StringBuilder();
    for (String line : text.split("\n")) {
      StringBuilder enc = new StringBuilder();
      for (byte by : line.getBytes(StandardCharsets.UTF_8)) {
        int c = by & 0xff;
        if (c == '=' || c > 126 || (c < 32 && c != '\t')) {
          enc.append(String.format("=%02X", c));
        } else {
          enc.append((char) c);
        }
      }
      String e = enc.toString();
      while (e.length() > 75) {
        int cut = 75;
        if (e.charAt(cut - 1) == '=') {
          cut -= 1;
        } else if (e.charAt(cut - 2) == '=') {
          cut -= 2;
        }
        out.append(e, 0, cut).append("=\n");
        e = e.substring(cut);
      }
      out.append(e).append('\n');
    }
    return out.toString();
  }

  static String quote(String text, String prefix) {
    return perLine(
        text.lines().map(s -> new Line(0, s)).toList(),
        l -> l.text.isEmpty() ? prefix.strip() : prefix + l.text);
  }

  static String newestFirst(String text) {
    List<String> rows = new ArrayList<>(text.lines().toList());
    Collections.reverse(rows);
    return String.join("\n", rows) + "\n";
  }

  static String isoStamp(Line l) {
    return DateTimeFormatter.ISO_INSTANT.format(wall(l).withNano((int) (l.us % 1_000_000) * 1000));
  }

  /** Every form, by name, as a function of the report's lines. */
  static Map<String, Function<List<Line>, String>> forms() {
    Map<String, Function<List<Line>, String>> f = new LinkedHashMap<>();
    f.put("bare", ls -> perLine(ls, Line::text));
    f.put("dmesg", ls -> perLine(ls, l -> dmesgStamp(l) + " " + l.text));
    f.put("dmesg -r", ls -> perLine(ls, l -> "<4>" + dmesgStamp(l) + " " + l.text));
    f.put("dmesg -x", ls -> perLine(ls, l -> "kern  :warn  : " + dmesgStamp(l) + " " + l.text));
    f.put("dmesg -T", ls -> perLine(ls, l -> dmesgT(l, Locale.ROOT)));
    f.put("dmesg -T de", ls -> perLine(ls, l -> dmesgT(l, Locale.GERMAN)));
    f.put("dmesg -T fr", ls -> perLine(ls, l -> dmesgT(l, Locale.FRENCH)));
    f.put("dmesg -T es", ls -> perLine(ls, l -> dmesgT(l, Locale.forLanguageTag("es"))));
    f.put("dmesg -T ru", ls -> perLine(ls, l -> dmesgT(l, Locale.forLanguageTag("ru"))));
    f.put("dmesg -T zh", ls -> perLine(ls, l -> dmesgT(l, Locale.CHINESE)));
    f.put("dmesg -T ja", ls -> perLine(ls, l -> dmesgT(l, Locale.JAPANESE)));
    f.put(
        "dmesg --time-format iso",
        ls ->
            perLine(
                ls,
                l ->
                    DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss,SSSSSSxxx")
                            .format(wall(l).withNano((int) (l.us % 1_000_000) * 1000))
                        + " "
                        + l.text));
    f.put(
        "journalctl -k",
        ls -> perLine(ls, l -> SYSLOG.format(wall(l)) + " node-7 kernel: " + l.text));
    f.put(
        "journalctl -k no host",
        ls -> perLine(ls, l -> SYSLOG.format(wall(l)) + " kernel: " + l.text));
    f.put(
        "journalctl -o short-precise",
        ls ->
            perLine(
                ls,
                l ->
                    DateTimeFormatter.ofPattern("MMM dd HH:mm:ss.SSSSSS", Locale.ROOT)
                            .format(wall(l).withNano((int) (l.us % 1_000_000) * 1000))
                        + " ip-10-0-3-17 kernel: "
                        + l.text));
    f.put(
        "journalctl -o short-iso",
        ls ->
            perLine(
                ls,
                l ->
                    DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssxx").format(wall(l))
                        + " worker-2.example.com kernel: "
                        + l.text));
    f.put(
        "journalctl -o short-full",
        ls ->
            perLine(
                ls,
                l ->
                    DateTimeFormatter.ofPattern("EEE yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
                            .format(wall(l))
                        + " node-7 kernel: "
                        + l.text));
    f.put(
        "journalctl -o short-monotonic",
        ls -> perLine(ls, l -> dmesgStamp(l) + " node-7 kernel: " + l.text));
    f.put(
        "journalctl -o short-unix",
        ls ->
            perLine(
                ls,
                l ->
                    String.format(
                            Locale.ROOT,
                            "%d.%06d",
                            BOOT_EPOCH_S + l.us / 1_000_000,
                            l.us % 1_000_000)
                        + " node-7 kernel: "
                        + l.text));
    f.put("journalctl -o json", ls -> perLine(ls, l -> journalJson(l, false)));
    f.put("journalctl -o json-pretty", ls -> perLine(ls, l -> journalJson(l, true)));
    f.put(
        "journalctl -o export",
        ls ->
            perLine(
                ls,
                l ->
                    "__REALTIME_TIMESTAMP="
                        + (BOOT_EPOCH_S * 1_000_000 + l.us)
                        + "\n_TRANSPORT=kernel\nSYSLOG_IDENTIFIER=kernel\n_SOURCE_MONOTONIC_TIMESTAMP="
                        + l.us
                        + "\nMESSAGE="
                        + l.text
                        + "\n"));
    f.put(
        "syslog",
        ls ->
            perLine(
                ls,
                l -> SYSLOG.format(wall(l)) + " node-7 kernel: " + dmesgStamp(l) + " " + l.text));
    f.put(
        "syslog with PRI",
        ls -> perLine(ls, l -> "<4>" + SYSLOG.format(wall(l)) + " node-7 kernel: " + l.text));
    f.put(
        "syslog facility.severity",
        ls ->
            perLine(
                ls,
                l ->
                    SYSLOG.format(wall(l))
                        + " node-7 kern.warning kernel: "
                        + dmesgStamp(l)
                        + " "
                        + l.text));
    f.put(
        "syslog ISO-8601",
        ls ->
            perLine(
                ls,
                l ->
                    DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSxxx")
                            .format(wall(l).withNano((int) (l.us % 1_000_000) * 1000))
                        + " node-7 kernel: "
                        + dmesgStamp(l)
                        + " "
                        + l.text));
    f.put(
        "RFC 5424",
        ls -> perLine(ls, l -> "<4>1 " + isoStamp(l) + " node-7 kernel - - - " + l.text));
    f.put(
        "viewer table, tab-separated, newest first",
        ls ->
            newestFirst(
                perLine(ls, l -> isoStamp(l) + "\tnode-7\tkernel\t" + l.text + "\tkern.warn")));
    f.put(
        "viewer table, CSV, newest first",
        ls ->
            newestFirst(
                perLine(
                    ls,
                    l ->
                        "\""
                            + isoStamp(l)
                            + "\",\"node-7\",\""
                            + l.text.replace("\"", "\"\"")
                            + "\",\"/var/log/kern.log\"")));
    f.put(
        "viewer table, Markdown",
        ls ->
            "| time | host | message |\n|---|---|---|\n"
                + perLine(
                    ls,
                    l -> "| " + isoStamp(l) + " | node-7 | " + l.text.replace("|", "\\|") + " |"));
    f.put(
        "viewer rows, shared prefix, newest first",
        ls -> newestFirst(perLine(ls, l -> isoStamp(l) + "  node-7  warn  " + l.text)));
    f.put("e-mail quote", ls -> quote(perLine(ls, l -> dmesgStamp(l) + " " + l.text), "> "));
    f.put(
        "e-mail quote, depth 3",
        ls -> quote(perLine(ls, l -> SYSLOG.format(wall(l)) + " h kernel: " + l.text), "> > > "));
    f.put("e-mail quote, >>", ls -> quote(perLine(ls, Line::text), ">> "));
    f.put(
        "quoted-printable", ls -> quotedPrintable(perLine(ls, l -> dmesgStamp(l) + " " + l.text)));
    f.put(
        "quoted-printable, quoted",
        ls -> quotedPrintable(quote(perLine(ls, l -> dmesgStamp(l) + " " + l.text), "> ")));
    f.put(
        "Markdown fenced",
        ls ->
            "Here is dmesg:\n\n```text\n"
                + perLine(ls, l -> dmesgStamp(l) + " " + l.text)
                + "```\n");
    f.put("Markdown indented", ls -> "dmesg says:\n\n" + quote(perLine(ls, Line::text), "    "));
    f.put(
        "Markdown block quote", ls -> quote(perLine(ls, l -> dmesgStamp(l) + " " + l.text), "> "));
    f.put("Markdown inline code", ls -> perLine(ls, l -> "`" + dmesgStamp(l) + " " + l.text + "`"));
    f.put(
        "wrapped at 80, dmesg", ls -> hardWrap(perLine(ls, l -> dmesgStamp(l) + " " + l.text), 80));
    f.put("wrapped at 80, bare", ls -> hardWrap(perLine(ls, Line::text), 80));
    f.put(
        "word-wrapped at 72, syslog",
        ls -> wordWrap(perLine(ls, l -> SYSLOG.format(wall(l)) + " node-7 kernel: " + l.text), 72));
    f.put("word-wrapped at 76, bare", ls -> wordWrap(perLine(ls, Line::text), 76));
    f.put(
        "run together, dmesg",
        ls -> String.join(" ", perLine(ls, l -> dmesgStamp(l) + " " + l.text).split("\n")) + "\n");
    f.put(
        "run together, syslog",
        ls ->
            String.join(
                    " ",
                    perLine(ls, l -> SYSLOG.format(wall(l)) + " node-7 kernel: " + l.text)
                        .split("\n"))
                + "\n");
    f.put(
        "interleaved with other programs",
        ls -> {
          Random r = new Random(ls.size());
          StringBuilder b = new StringBuilder();
          for (Line l : ls) {
            if (r.nextInt(4) == 0) {
              b.append(SYSLOG.format(wall(l)))
                  .append(
                      " node-7 containerd[812]: time=\"x\" level=info msg=\"TaskExit event\"\n");
            }
            b.append(SYSLOG.format(wall(l))).append(" node-7 kernel: ").append(l.text).append('\n');
          }
          return b.toString();
        });
    f.put(
        "CRLF and no-break spaces",
        ls -> perLine(ls, l -> dmesgStamp(l).replace(' ', '\u00A0') + " " + l.text + "\r"));
    return f;
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (String fixture : FIXTURES) {
      for (String form : forms().keySet()) {
        out.add(Arguments.of(fixture, form));
      }
    }
    return out.stream();
  }

  /** The fields a report is checked by: everything the report says, but where it was read. */
  static Map<String, Object> fields(OomReport r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", r.kind);
    m.put("complete", r.complete);
    m.put("pid", r.pid);
    m.put("process", r.process);
    m.put("uid", r.uid);
    m.put("constraint", r.constraint);
    m.put("oomMemcg", r.oomMemcg);
    m.put("taskMemcg", r.taskMemcg);
    m.put("totalVmKb", r.totalVmKb);
    m.put("anonRssKb", r.anonRssKb);
    m.put("fileRssKb", r.fileRssKb);
    m.put("shmemRssKb", r.shmemRssKb);
    m.put("pgtablesKb", r.pgtablesKb);
    m.put("oomScoreAdj", r.oomScoreAdj);
    m.put("usageKb", r.usageKb);
    m.put("limitKb", r.limitKb);
    m.put("failcnt", r.failcnt);
    m.put("swapUsageKb", r.swapUsageKb);
    m.put("swapLimitKb", r.swapLimitKb);
    m.put("kmemUsageKb", r.kmemUsageKb);
    m.put(
        "invoker",
        r.invoker == null
            ? null
            : r.invoker.process + "|" + r.invoker.gfpMask + "|" + r.invoker.order);
    m.put("memcgStatsPath", r.memcgStatsPath);
    m.put("memcgStats", r.memcgStats);
    m.put("tasks", r.tasks == null ? 0 : r.tasks.size());
    m.put(
        "taskNames",
        r.tasks == null
            ? List.of()
            : r.tasks.stream().map(t -> t.pid + ":" + t.name + ":" + t.rssPages).toList());
    return m;
  }

  @ParameterizedTest(name = "{0} as {1}")
  @MethodSource("cases")
  void wrappingChangesNoField(String fixture, String form) {
    List<Line> lines = kernelLines(fixture);
    List<Map<String, Object>> plain =
        OomReportParserTest.parseText(forms().get("bare").apply(lines)).stream()
            .map(PastedFormsTest::fields)
            .toList();
    assertThat(plain).as("the plain report parses").isNotEmpty();
    String wrapped = forms().get(form).apply(lines);
    List<Map<String, Object>> got =
        OomReportParserTest.parseText(wrapped).stream().map(PastedFormsTest::fields).toList();
    assertThat(got).as(form + ":\n" + wrapped).isEqualTo(plain);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtures")
  void anElidedPartMakesTheReportIncompleteAndKeepsTheRest(String fixture) {
    List<Line> lines = kernelLines(fixture);
    OomReport plain = OomReportParserTest.parseText(forms().get("bare").apply(lines)).get(0);
    for (String marker : List.of("...", "…", "[...]", "[snip]", "<snip>")) {
      StringBuilder b = new StringBuilder();
      boolean cut = false;
      for (Line l : lines) {
        if (l.text.contains("Call Trace") && !cut) {
          b.append(dmesgStamp(l)).append(' ').append(marker).append('\n');
          cut = true;
        }
        b.append(dmesgStamp(l)).append(' ').append(l.text).append('\n');
      }
      if (!cut) {
        continue; // a fixture without a stack trace: nothing to elide before the counters
      }
      OomReport r = OomReportParserTest.parseText(b.toString()).get(0);
      assertThat(r.complete).as(marker).isFalse();
      assertThat(r.incompleteReason).contains("leaves part of the report out");
      Map<String, Object> want = fields(plain);
      Map<String, Object> got = fields(r);
      want.remove("complete");
      got.remove("complete");
      assertThat(got).as(marker).isEqualTo(want);
    }
  }

  static Stream<String> fixtures() {
    return Stream.of(FIXTURES);
  }

  @org.junit.jupiter.api.Test
  void reportsInterleavedWithUnrelatedLinesAreEachFound() {
    StringBuilder b = new StringBuilder("$ journalctl -k --since yesterday\n");
    int expected = 0;
    for (String fixture : FIXTURES) {
      List<Line> lines = kernelLines(fixture);
      expected += OomReportParserTest.parseText(forms().get("bare").apply(lines)).size();
      b.append("-- Boot 3f2a --\n");
      for (Line l : lines) {
        b.append(SYSLOG.format(wall(l))).append(" node-7 kernel: ").append(l.text).append('\n');
        if (l.text.startsWith("Tasks state")) {
          b.append(SYSLOG.format(wall(l)))
              .append(" node-7 kubelet[1123]: I1202 eviction_manager.go:346] \"Eviction\"\n");
        }
      }
      b.append("Unrelated text a person typed between two reports.\n");
    }
    List<OomReport> got = OomReportParserTest.parseText(b.toString());
    assertThat(got).hasSize(expected);
  }
}
