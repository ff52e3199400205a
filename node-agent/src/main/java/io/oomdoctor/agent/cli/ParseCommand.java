package io.oomdoctor.agent.cli;

import io.oomdoctor.agent.cgroup.PathAttribution;
import io.oomdoctor.agent.export.Json;
import io.oomdoctor.agent.parse.KernelLine;
import io.oomdoctor.agent.parse.LogLineDecoder;
import io.oomdoctor.agent.parse.OomReportParser;
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
            "Read kernel log text (raw /dev/kmsg records, dmesg, dmesg -T, journalctl -k) from files"
                + " or stdin and print one JSON object per OOM kill.",
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
    LogLineDecoder decoder = LogLineDecoder.forNow(ZoneId.systemDefault());
    OomReportParser parser =
        OomReportParser.collecting(
            r -> {
              var spec = new io.oomdoctor.model.OomKillSpec();
              spec.report = r;
              spec.attribution = PathAttribution.of(r);
              sink.accept(spec);
            });
    long garbled = 0;
    int status = 0;
    if (files == null || files.isEmpty()) {
      garbled +=
          feed(
              new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)),
              decoder,
              parser);
    } else {
      for (String name : files) {
        Path f = Path.of(name);
        try (BufferedReader r = Files.newBufferedReader(f, StandardCharsets.ISO_8859_1)) {
          garbled += feed(r, decoder, parser);
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

  private static long feed(BufferedReader in, LogLineDecoder decoder, OomReportParser parser)
      throws IOException {
    long garbled = 0;
    String line;
    while ((line = in.readLine()) != null) {
      List<KernelLine> lines = decoder.decode(line);
      if (lines == null) {
        garbled++;
        continue;
      }
      for (KernelLine l : lines) {
        parser.accept(l);
      }
    }
    return garbled;
  }
}
