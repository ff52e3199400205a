package io.oomdoctor.model;

/**
 * Makes text safe to show: a process chooses its own name, and a pasted log or a forged object can
 * carry any bytes, so nothing reaches an Event, a log line, a metric label or a terminal with a
 * control character in it. Each one is written as a visible {@code \xNN} (or {@code \\u{NNNN}})
 * escape instead, so that what was there can still be seen.
 */
public final class Text {
  private Text() {}

  /** {@code s} with every control and bidirectional-override character escaped; null stays null. */
  public static String printable(String s) {
    return printable(s, false);
  }

  /**
   * As {@link #printable(String)}; with {@code keepNewlines}, line feeds stay (for multi-line text
   * the program itself laid out, whose parts were made printable).
   */
  public static String printable(String s, boolean keepNewlines) {
    if (s == null) {
      return null;
    }
    StringBuilder sb = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean bad = unsafe(c) && !(keepNewlines && c == '\n');
      if (bad && sb == null) {
        sb = new StringBuilder(s.length() + 16).append(s, 0, i);
      }
      if (sb != null) {
        if (!bad) {
          sb.append(c);
        } else if (c < 0x100) {
          sb.append(String.format("\\x%02x", (int) c));
        } else {
          sb.append(String.format("\\u{%04x}", (int) c));
        }
      }
    }
    return sb == null ? s : sb.toString();
  }

  /** At most {@code max} characters of {@code s} (made printable), with "…" when cut. */
  public static String clip(String s, int max) {
    String p = printable(s);
    if (p == null || p.length() <= max) {
      return p;
    }
    return p.substring(0, Math.max(0, max - 1)) + "…";
  }

  private static boolean unsafe(char c) {
    return c < 0x20
        || (c >= 0x7f && c <= 0x9f)
        || (c >= 0x202a && c <= 0x202e)
        || (c >= 0x2066 && c <= 0x2069)
        || c == 0x2028
        || c == 0x2029
        || c == 0x200e
        || c == 0x200f
        || c == 0x061c;
  }
}
