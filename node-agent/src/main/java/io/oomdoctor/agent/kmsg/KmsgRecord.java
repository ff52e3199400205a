package io.oomdoctor.agent.kmsg;

import io.oomdoctor.agent.parse.KernelLine;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One /dev/kmsg record: {@code prio,seq,usec,flags[,…];text} followed by optional continuation
 * lines ({@code " KEY=value"}).
 *
 * @param prio syslog priority: facility in the high bits, level in the low three
 * @param seq kernel sequence number, strictly increasing within one boot
 * @param usec microseconds since boot
 * @param text the message as the kernel gave it, its {@code \xNN} escapes kept
 * @param dictionary continuation key/value pairs (SUBSYSTEM, DEVICE, …)
 */
public record KmsgRecord(
    int prio, long seq, long usec, String text, Map<String, String> dictionary) {

  /** Syslog facility: 0 for the kernel, 1 (user) for lines written to /dev/kmsg by processes. */
  public int facility() {
    return prio >> 3;
  }

  /** Syslog level (0 emerg … 7 debug). */
  public int level() {
    return prio & 7;
  }

  /**
   * The record as kernel lines. A record is one line, its non-printable bytes kept as the kernel's
   * {@code \xNN} escapes, except for the one multi-line form an OOM report has: a whole memory.stat
   * printed as one record ({@code anon 123\x0afile 456\x0a…}, kernels up to 6.1), which is split at
   * its escaped newlines. Text a process controls (its name) cannot make that form, since a name is
   * never a whole record of {@code key value} lines.
   */
  public List<KernelLine> lines(String wallTime) {
    if (!text.contains(NEWLINE)) {
      return List.of(new KernelLine(seq, usec, facility(), wallTime, text));
    }
    String[] parts = text.split(java.util.regex.Pattern.quote(NEWLINE), -1);
    for (String part : parts) {
      if (!part.isEmpty() && !STAT_LINE.matcher(part).matches()) {
        return List.of(new KernelLine(seq, usec, facility(), wallTime, text));
      }
    }
    List<KernelLine> out = new ArrayList<>(parts.length);
    for (String part : parts) {
      if (!part.isEmpty()) {
        out.add(new KernelLine(seq, usec, facility(), wallTime, part));
      }
    }
    return out;
  }

  private static final String NEWLINE = "\\x0a";
  private static final java.util.regex.Pattern STAT_LINE =
      java.util.regex.Pattern.compile("^[a-z][a-z0-9_]* \\d+$");
}
