package io.oomdoctor.agent.parse;

/**
 * One kernel log line, whatever form it was read in (a /dev/kmsg record, dmesg, journalctl, or a
 * bare line).
 *
 * @param seq kernel sequence number, or null when the form carries none
 * @param kernelTimeUs microseconds since boot, or null
 * @param facility syslog facility (0 = kernel), or -1 when the form does not say
 * @param wallTime RFC 3339 wall-clock time when the form carries it, else null
 * @param text the message text, without prefix or trailing newline
 */
public record KernelLine(Long seq, Long kernelTimeUs, int facility, String wallTime, String text) {

  /** Facility of messages the kernel itself printed. */
  public static final int FACILITY_KERNEL = 0;

  /** Facility when the input form does not say (dmesg, journalctl -k, bare lines). */
  public static final int FACILITY_UNKNOWN = -1;

  /** True unless the line is known to come from userspace (facility other than kernel). */
  public boolean fromKernel() {
    return facility == FACILITY_KERNEL || facility == FACILITY_UNKNOWN;
  }

  /** A bare line of text with nothing known about where it came from. */
  public static KernelLine bare(String text) {
    return new KernelLine(null, null, FACILITY_UNKNOWN, null, text);
  }
}
