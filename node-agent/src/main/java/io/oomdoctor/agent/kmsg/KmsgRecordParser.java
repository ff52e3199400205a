package io.oomdoctor.agent.kmsg;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parses the text of one /dev/kmsg record. See Documentation/ABI/testing/dev-kmsg in the kernel
 * tree: {@code prio,seq,usec,flags[,more];message\n[ KEY=value\n]…}, with non-printable bytes of
 * the message escaped as {@code \xNN}.
 */
public final class KmsgRecordParser {
  private KmsgRecordParser() {}

  /**
   * Returns the record, or null when the text is not a well-formed record (the caller counts it).
   */
  public static KmsgRecord parse(String raw) {
    if (raw == null) {
      return null;
    }
    int semi = raw.indexOf(';');
    if (semi < 0) {
      return null;
    }
    String prefix = raw.substring(0, semi);
    String[] fields = prefix.split(",", -1);
    if (fields.length < 4) {
      return null;
    }
    int prio;
    long seq;
    long usec;
    try {
      prio = Integer.parseInt(fields[0]);
      seq = Long.parseLong(fields[1]);
      usec = Long.parseLong(fields[2]);
    } catch (NumberFormatException e) {
      return null;
    }
    if (prio < 0 || seq < 0 || usec < 0) {
      return null;
    }
    String rest = raw.substring(semi + 1);
    int nl = rest.indexOf('\n');
    String message = nl < 0 ? rest : rest.substring(0, nl);
    Map<String, String> dict = Map.of();
    if (nl >= 0) {
      for (String cont : rest.substring(nl + 1).split("\n")) {
        if (cont.startsWith(" ")) {
          int eq = cont.indexOf('=');
          if (eq > 1) {
            if (dict.isEmpty()) {
              dict = new LinkedHashMap<>();
            }
            dict.put(cont.substring(1, eq), unescape(cont.substring(eq + 1)));
          }
        }
      }
    }
    // The message keeps the kernel's escapes of control bytes: a process picks its own name, and a
    // decoded newline or escape sequence in it must never become a line of the report or reach a
    // terminal. Escaped printable characters are decoded.
    return new KmsgRecord(prio, seq, usec, unescapePrintable(message), dict);
  }

  /**
   * Decodes the {@code \xNN} escapes of printable ASCII characters but the backslash, which stays
   * escaped so that a name cannot spell an escape of its own.
   */
  static String unescapePrintable(String s) {
    return unescape(s, b -> b >= 0x20 && b < 0x7f && b != '\\');
  }

  /** Decodes the kernel's {@code \xNN} escapes (used for newlines, tabs and non-ASCII bytes). */
  static String unescape(String s) {
    return unescape(s, b -> true);
  }

  private static String unescape(String s, java.util.function.IntPredicate decode) {
    if (s.indexOf("\\x") < 0) {
      return s;
    }
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 3 < s.length() && s.charAt(i + 1) == 'x') {
        int hi = Character.digit(s.charAt(i + 2), 16);
        int lo = Character.digit(s.charAt(i + 3), 16);
        if (hi >= 0 && lo >= 0 && decode.test(hi * 16 + lo)) {
          sb.append((char) (hi * 16 + lo));
          i += 3;
          continue;
        }
      }
      sb.append(c);
    }
    return sb.toString();
  }
}
