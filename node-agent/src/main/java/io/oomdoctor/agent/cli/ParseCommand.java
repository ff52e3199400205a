package io.oomdoctor.agent.cli;

import io.oomdoctor.agent.cgroup.PathAttribution;
import io.oomdoctor.agent.export.Json;
import io.oomdoctor.agent.parse.KernelLine;
import io.oomdoctor.agent.parse.LogLineDecoder;
import io.oomdoctor.agent.parse.OomReportParser;
import io.oomdoctor.agent.parse.PastedLog;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.List;
import java.util.function.Function;

/** Kernel log text in, one JSON object per OOM kill out. */
final class ParseCommand {
  private ParseCommand() {}

  static Options options(Function<String, String> env) {
    return new Options(
            "parse",
            "Read kernel log text from files or stdin and print one JSON object per OOM kill. Takes"
                + " the text as people have it: /dev/kmsg records, dmesg (-T in any language, -x,"
                + " -r, iso), journalctl -k (short modes, json, export, verbose), syslog files"
                + " (RFC 3164/5424, ISO stamps), a log viewer's table (newest first too), e-mail"
                + " quotes, quoted-printable, Markdown, wrapped or run-together lines. A report"
                + " the text cuts short or elides is printed with complete=false and the reason.",
            env)
        .positional("FILE", "Files to read; stdin when none.");
  }

  static int run(List<String> files, PrintStream out, PrintStream err) throws IOException {
    return run(files, spec -> out.println(Json.line(spec.report, spec.attribution)), out, err);
  }

  /**
   * Parses kernel log text from files (stdin when none) and hands each report, with what its cgroup
   * paths say, to {@code sink}; returns the exit code.
   */
  static int run(
      List<String> files,
      java.util.function.Consumer<io.oomdoctor.model.OomKillSpec> sink,
      PrintStream out,
      PrintStream err)
      throws IOException {
    PastedLog pasted = new PastedLog(LogLineDecoder.forNow(ZoneId.systemDefault()));
    OomReportParser parser = specParser(sink);
    long garbled = 0;
    int status = 0;
    if (files == null || files.isEmpty()) {
      garbled += feed(new BufferedReader(new InputStreamReader(System.in, utf8())), pasted, parser);
    } else {
      for (String name : files) {
        Path f = Path.of(name);
        try (BufferedReader r =
            new BufferedReader(new InputStreamReader(Files.newInputStream(f), utf8()))) {
          garbled += feed(r, pasted, parser);
          parser.flush(); // a report never spans two files
        } catch (java.nio.file.NoSuchFileException e) {
          err.println("oomdoctor-agent: cannot read " + f + ": no such file");
          status = 1;
        } catch (IOException e) {
          err.println("oomdoctor-agent: cannot read " + f + ": " + e.getMessage());
          status = 1;
        }
      }
    }
    parser.flush();
    garbled += parser.garbledLines();
    if (garbled > 0) {
      err.println("oomdoctor-agent: skipped " + garbled + " garbled line(s)");
    }
    out.flush();
    return status;
  }

  /** A parser that hands each report on with what its cgroup paths say, as `parse` prints it. */
  private static OomReportParser specParser(
      java.util.function.Consumer<io.oomdoctor.model.OomKillSpec> sink) {
    return OomReportParser.collecting(
        r -> {
          var spec = new io.oomdoctor.model.OomKillSpec();
          spec.report = r;
          spec.attribution = PathAttribution.of(r);
          sink.accept(spec);
        });
  }

  /** Parses one document of kernel log text as `parse` does, each kill to {@code sink}. */
  static void parseText(
      String text, java.util.function.Consumer<io.oomdoctor.model.OomKillSpec> sink) {
    OomReportParser parser = specParser(sink);
    feedDocument(
        new StringBuilder(text),
        new PastedLog(LogLineDecoder.forNow(ZoneId.systemDefault())),
        parser);
    parser.flush();
  }

  /** Text is read in documents of at most this many characters, cut at a line's end. */
  static final int DOCUMENT_CHARS = 4 << 20;

  /** UTF-8 that replaces what is not UTF-8 (a log in another encoding) instead of failing. */
  private static java.nio.charset.CharsetDecoder utf8() {
    return StandardCharsets.UTF_8
        .newDecoder()
        .onMalformedInput(java.nio.charset.CodingErrorAction.REPLACE)
        .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPLACE);
  }

  private static long feed(BufferedReader in, PastedLog pasted, OomReportParser parser)
      throws IOException {
    long garbled = 0;
    StringBuilder doc = new StringBuilder();
    String line;
    while ((line = in.readLine()) != null) {
      doc.append(line).append('\n');
      if (doc.length() >= DOCUMENT_CHARS) {
        garbled += feedDocument(doc, pasted, parser);
      }
    }
    return garbled + feedDocument(doc, pasted, parser);
  }

  private static long feedDocument(StringBuilder doc, PastedLog pasted, OomReportParser parser) {
    if (doc.length() == 0) {
      return 0;
    }
    String text = doc.toString();
    doc.setLength(0);
    PastedLog.Result r;
    try {
      r = pasted.read(text);
    } catch (RuntimeException | StackOverflowError e) {
      // Text no form explains in time or depth: read it line by line, as the kernel printed it.
      System.err.println(
          "oomdoctor-agent: could not unwrap the text (" + e + "); reading it line by line");
      long garbled = 0;
      for (String line : text.split("\n")) {
        List<KernelLine> ls = pasted.decoder().decode(line);
        if (ls == null) {
          garbled++;
        } else {
          ls.forEach(parser::accept);
        }
      }
      return garbled;
    }
    for (KernelLine l : r.lines()) {
      parser.accept(l);
    }
    return r.garbled();
  }
}
