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
 * @param text the message, with the kernel's {@code \xNN} escapes decoded
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
   * The record as kernel lines: one per line of text, since a record may hold several lines (older
   * kernels print a whole memory.stat in one record).
   */
  public List<KernelLine> lines(String wallTime) {
    List<KernelLine> out = new ArrayList<>(1);
    int start = 0;
    for (int i = 0; i <= text.length(); i++) {
      if (i == text.length() || text.charAt(i) == '\n') {
        if (i > start || out.isEmpty()) {
          out.add(new KernelLine(seq, usec, facility(), wallTime, text.substring(start, i)));
        }
        start = i + 1;
      }
    }
    return out;
  }
}
