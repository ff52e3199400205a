package io.oomdoctor.agent.cgroup;

import io.oomdoctor.agent.KernelFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Small, forgiving readers for cgroup files: a missing or garbled file is a null, never a throw.
 */
final class CgroupFiles {
  /** cgroup v1 reports "no limit" as LONG_MAX rounded down to a page. */
  static final long V1_UNLIMITED = 0x7FFFFFFFFFFFF000L;

  private CgroupFiles() {}

  /** The file's text (cgroup files are ASCII), or null when it cannot be read. */
  static String read(Path file) {
    byte[] b = KernelFiles.read(file);
    return b == null ? null : new String(b, StandardCharsets.ISO_8859_1);
  }

  /** A single number; "max" (v2) and v1's page-rounded LONG_MAX are unlimited, returned as -1. */
  static Long number(Path file) {
    String s = read(file);
    if (s == null) {
      return null;
    }
    s = s.trim();
    if (s.equals("max")) {
      return -1L;
    }
    try {
      long v = Long.parseLong(s);
      return v >= V1_UNLIMITED ? -1L : v;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** "key value" lines (memory.stat, memory.events, memory.oom_control). Bad lines are skipped. */
  static Map<String, Long> keyed(Path file) {
    String s = read(file);
    if (s == null) {
      return null;
    }
    Map<String, Long> out = new LinkedHashMap<>();
    for (String line : s.split("\n")) {
      int sp = line.indexOf(' ');
      if (sp <= 0) {
        continue;
      }
      try {
        out.put(line.substring(0, sp), Long.parseLong(line.substring(sp + 1).trim()));
      } catch (NumberFormatException e) {
        // a truncated last line: leave it out
      }
    }
    return out;
  }

  /**
   * One counter of a "key value" file without building a map (the sampler's hot path); 0 when the
   * file or the key is missing.
   */
  static long counter(Path file, String key) {
    String s = read(file);
    return s == null ? 0 : counterIn(s, key);
  }

  /** Several counters of one "key value" file read once; 0 for a missing key, null file gone. */
  static long[] counters(Path file, String... keys) {
    String s = read(file);
    if (s == null) {
      return null;
    }
    long[] out = new long[keys.length];
    for (int i = 0; i < keys.length; i++) {
      out[i] = counterIn(s, keys[i]);
    }
    return out;
  }

  private static long counterIn(String s, String key) {
    int at = s.startsWith(key + " ") ? 0 : s.indexOf("\n" + key + " ");
    if (at < 0) {
      return 0;
    }
    int start = s.indexOf(' ', at + 1) + 1;
    int end = s.indexOf('\n', start);
    try {
      return Long.parseLong(s.substring(start, end < 0 ? s.length() : end).trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /**
   * "some avg10=0.00 avg60=1.25 avg300=0.40 total=123" (PSI): the some line's avg60, or null when
   * the file is missing or garbled.
   */
  static Double pressureSomeAvg60(Path file) {
    String s = read(file);
    if (s == null || !s.startsWith("some ")) {
      return null;
    }
    int at = s.indexOf("avg60=");
    int nl = s.indexOf('\n');
    if (at < 0 || (nl >= 0 && at > nl)) {
      return null;
    }
    int end = s.indexOf(' ', at);
    try {
      double v = Double.parseDouble(s.substring(at + 6, end < 0 ? s.length() : end).trim());
      return Double.isFinite(v) && v >= 0 ? Math.min(100.0, v) : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  static long[] pids(Path file) {
    String s = read(file);
    if (s == null || s.isBlank()) {
      return new long[0];
    }
    String[] parts = s.trim().split("\\s+");
    long[] out = new long[parts.length];
    int n = 0;
    for (String p : parts) {
      try {
        out[n++] = Long.parseLong(p);
      } catch (NumberFormatException e) {
        n--;
      }
    }
    return n == out.length ? out : java.util.Arrays.copyOf(out, n);
  }

  static Long nullIfUnlimited(Long v) {
    return v == null || v < 0 ? null : v;
  }
}
