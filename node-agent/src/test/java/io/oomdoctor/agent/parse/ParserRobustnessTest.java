package io.oomdoctor.agent.parse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.oomdoctor.agent.cgroup.CgroupPaths;
import io.oomdoctor.agent.kmsg.KmsgRecordParser;
import io.oomdoctor.model.evidence.OomReport;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Property tests over generated input: any text in, no exception out; and real reports that are
 * mutated (lines dropped, duplicated, corrupted, truncated) still give their victim or an
 * incomplete report, never a crash. Seeded, so a failure reproduces.
 */
class ParserRobustnessTest {
  private static final long SEED = 0x00D0C7L;
  private static final int CASES = 3000;
  private static final String[] FIXTURES = {
    "6.18-v1-cgroupfs-container-limit.kmsg",
    "6.18-v1-systemd-pod-limit.kmsg",
    "3.10-rhel7-systemd-docker-pod-limit.dmesg",
    "4.15-ubuntu-cgroupfs-pod-limit.syslog",
    "5.15-aks-v2-systemd-pod-limit.syslog",
  };

  /** Fragments of the grammar, so that random input reaches deep into the parser. */
  private static final String[] PIECES = {
    "invoked oom-killer: gfp_mask=",
    "order=",
    "oom_score_adj=",
    "memory: usage ",
    "kB, limit ",
    "kB, failcnt ",
    "Memory cgroup stats for ",
    ":",
    "[  pid  ]",
    "[ ",
    "]",
    "oom-kill:",
    "constraint=",
    ",pid=",
    ",task=",
    ",oom_memcg=",
    "Killed process ",
    " (",
    ")",
    " total-vm:",
    "kB, anon-rss:",
    "Task in ",
    " killed as a result of limit of ",
    "Kill process ",
    " score ",
    " or sacrifice child",
    "/kubepods/burstable/pod",
    "kubepods.slice",
    "-",
    "_",
    "99999999999999999999999",
    "-1",
    "0",
    "\\x0a",
    "\\x",
    ";",
    ",",
    " ",
    "\t",
    "\u00ff",
    "(",
    "Memory cgroup out of memory: ",
    "Out of memory: ",
    "oom_reaper: reaped process ",
  };

  @Test
  void anyLineOfAnyShapeNeverThrows() {
    Random rnd = new Random(SEED);
    LogLineDecoder decoder = new LogLineDecoder(ZoneOffset.UTC, 2026);
    List<OomReport> out = new ArrayList<>();
    OomReportParser parser = OomReportParser.collecting(out::add);
    for (int i = 0; i < CASES * 5; i++) {
      String line = randomLine(rnd);
      assertThatCode(
              () -> {
                KmsgRecordParser.parse(line);
                CgroupPaths.parse(line);
                List<KernelLine> decoded = decoder.decode(line);
                if (decoded != null) {
                  decoded.forEach(parser::accept);
                }
              })
          .as("line %d: %s", i, line)
          .doesNotThrowAnyException();
    }
    assertThatCode(parser::flush).doesNotThrowAnyException();
  }

  @Test
  void mutatedRealReportsNeverThrowAndKeepWhatSurvives() {
    Random rnd = new Random(SEED + 1);
    for (int i = 0; i < CASES / 10; i++) {
      String fixture = FIXTURES[rnd.nextInt(FIXTURES.length)];
      List<String> lines = new ArrayList<>(OomReportParserTest.read(fixture));
      int mutations = 1 + rnd.nextInt(6);
      for (int m = 0; m < mutations && !lines.isEmpty(); m++) {
        int at = rnd.nextInt(lines.size());
        switch (rnd.nextInt(5)) {
          case 0 -> lines.remove(at);
          case 1 -> lines.add(at, lines.get(rnd.nextInt(lines.size())));
          case 2 -> lines.set(at, corrupt(lines.get(at), rnd));
          case 3 ->
              lines.set(at, lines.get(at).substring(0, rnd.nextInt(lines.get(at).length() + 1)));
          default -> lines.add(at, randomLine(rnd));
        }
      }
      List<OomReport>[] result = new List[1];
      assertThatCode(() -> result[0] = OomReportParserTest.parseLines(lines))
          .as("mutation %d of %s", i, fixture)
          .doesNotThrowAnyException();
      for (OomReport r : result[0]) {
        assertThat(r.complete).isNotNull();
        if (Boolean.FALSE.equals(r.complete)) {
          assertThat(r.incompleteReason).as("an incomplete report says why").isNotBlank();
        }
      }
    }
  }

  @Test
  void randomBytesAsKmsgRecordsNeverThrow() {
    Random rnd = new Random(SEED + 2);
    for (int i = 0; i < CASES; i++) {
      byte[] b = new byte[rnd.nextInt(300)];
      rnd.nextBytes(b);
      String raw = rnd.nextBoolean() ? "6," + rnd.nextInt(1000) + ",1,-;" : "";
      String s = raw + new String(b, StandardCharsets.ISO_8859_1);
      assertThatCode(
              () -> {
                var rec = KmsgRecordParser.parse(s);
                if (rec != null) {
                  rec.lines(null);
                }
              })
          .doesNotThrowAnyException();
    }
  }

  private static String randomLine(Random rnd) {
    StringBuilder sb = new StringBuilder();
    if (rnd.nextInt(3) == 0) {
      sb.append(rnd.nextInt(8))
          .append(',')
          .append(rnd.nextInt(100000))
          .append(',')
          .append(Math.abs(rnd.nextLong() % 10_000_000_000L))
          .append(",-;");
    } else if (rnd.nextInt(3) == 0) {
      sb.append("[")
          .append(rnd.nextInt(99999))
          .append('.')
          .append(rnd.nextInt(999999))
          .append("] ");
    }
    int parts = rnd.nextInt(12);
    for (int p = 0; p < parts; p++) {
      if (rnd.nextInt(4) == 0) {
        sb.append(rnd.nextInt(100000));
      } else {
        sb.append(PIECES[rnd.nextInt(PIECES.length)]);
      }
    }
    return sb.toString();
  }

  private static String corrupt(String s, Random rnd) {
    if (s.isEmpty()) {
      return s;
    }
    char[] c = s.toCharArray();
    for (int i = 0; i < 1 + rnd.nextInt(4); i++) {
      c[rnd.nextInt(c.length)] = (char) (rnd.nextInt(95) + 32);
    }
    return new String(c);
  }
}
