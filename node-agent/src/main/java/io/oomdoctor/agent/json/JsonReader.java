package io.oomdoctor.agent.json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses JSON text into maps, lists, strings, longs, doubles, booleans and nulls: what the agent
 * reads from the API server (pod lists, watch events, error statuses). Malformed input throws
 * {@link IllegalArgumentException} with the offset.
 */
public final class JsonReader {
  private final String s;
  private final java.util.Set<String> skip;
  private int i;

  private JsonReader(String s) {
    this(s, java.util.Set.of());
  }

  private JsonReader(String s, java.util.Set<String> skip) {
    this.s = s;
    this.skip = skip;
  }

  /**
   * The text as a JSON object, the values of the names in {@code skip} (at any depth) stepped over
   * without being kept: a pod's annotations can be a megabyte the agent has no use for.
   */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> object(String text, java.util.Set<String> skip) {
    JsonReader r = new JsonReader(text, skip);
    r.space();
    Object v = r.value();
    r.space();
    if (r.i != text.length()) {
      throw r.error("trailing characters");
    }
    if (!(v instanceof Map)) {
      throw new IllegalArgumentException("expected a JSON object");
    }
    return (Map<String, Object>) v;
  }

  public static Object parse(String text) {
    JsonReader r = new JsonReader(text);
    r.space();
    Object v = r.value();
    r.space();
    if (r.i != text.length()) {
      throw r.error("trailing characters");
    }
    return v;
  }

  /** The text as a JSON object; an error when it is something else. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> object(String text) {
    Object v = parse(text);
    if (!(v instanceof Map)) {
      throw new IllegalArgumentException("expected a JSON object");
    }
    return (Map<String, Object>) v;
  }

  private Object value() {
    if (i >= s.length()) {
      throw error("unexpected end");
    }
    char c = s.charAt(i);
    switch (c) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", null);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          return number();
        }
        throw error("unexpected '" + c + "'");
    }
  }

  private Map<String, Object> object() {
    Map<String, Object> m = new LinkedHashMap<>();
    i++;
    space();
    if (peek() == '}') {
      i++;
      return m;
    }
    while (true) {
      space();
      if (peek() != '"') {
        throw error("expected a name");
      }
      String k = string();
      space();
      expect(':');
      space();
      if (skip.contains(k)) {
        skipValue();
      } else {
        m.put(k, value());
      }
      space();
      char c = next();
      if (c == '}') {
        return m;
      }
      if (c != ',') {
        throw error("expected ',' or '}'");
      }
    }
  }

  /** Steps over one value, keeping nothing of it. */
  private void skipValue() {
    int depth = 0;
    do {
      space();
      char c = peek();
      if (c == '"') {
        skipString();
      } else if (c == '{' || c == '[') {
        depth++;
        i++;
      } else if (c == '}' || c == ']') {
        depth--;
        i++;
      } else if (c == ',' || c == ':') {
        i++;
      } else {
        value(); // a number or a literal: small
      }
    } while (depth > 0);
  }

  private void skipString() {
    i++; // the opening quote
    while (true) {
      char c = next();
      if (c == '\\') {
        next();
      } else if (c == '"') {
        return;
      }
    }
  }

  private List<Object> array() {
    List<Object> l = new ArrayList<>();
    i++;
    space();
    if (peek() == ']') {
      i++;
      return l;
    }
    while (true) {
      space();
      l.add(value());
      space();
      char c = next();
      if (c == ']') {
        return l;
      }
      if (c != ',') {
        throw error("expected ',' or ']'");
      }
    }
  }

  private String string() {
    i++; // opening quote
    StringBuilder sb = null;
    int start = i;
    while (true) {
      if (i >= s.length()) {
        throw error("unterminated string");
      }
      char c = s.charAt(i++);
      if (c == '"') {
        return sb == null ? s.substring(start, i - 1) : sb.toString();
      }
      if (c == '\\') {
        if (sb == null) {
          sb = new StringBuilder(s.substring(start, i - 1));
        }
        if (i >= s.length()) {
          throw error("unterminated escape");
        }
        char e = s.charAt(i++);
        switch (e) {
          case 'n' -> sb.append('\n');
          case 't' -> sb.append('\t');
          case 'r' -> sb.append('\r');
          case 'b' -> sb.append('\b');
          case 'f' -> sb.append('\f');
          case 'u' -> {
            if (i + 4 > s.length()) {
              throw error("short \\u escape");
            }
            sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
            i += 4;
          }
          default -> sb.append(e);
        }
      } else if (sb != null) {
        sb.append(c);
      }
    }
  }

  private Object number() {
    int start = i;
    boolean fraction = false;
    while (i < s.length()) {
      char c = s.charAt(i);
      if ((c >= '0' && c <= '9') || c == '-' || c == '+') {
        i++;
      } else if (c == '.' || c == 'e' || c == 'E') {
        fraction = true;
        i++;
      } else {
        break;
      }
    }
    String n = s.substring(start, i);
    try {
      if (!fraction) {
        return Long.parseLong(n);
      }
      return Double.parseDouble(n);
    } catch (NumberFormatException e) {
      if (!fraction) {
        return Double.parseDouble(n); // beyond long
      }
      throw error("bad number " + n);
    }
  }

  private Object literal(String word, Object v) {
    if (!s.startsWith(word, i)) {
      throw error("unexpected token");
    }
    i += word.length();
    return v;
  }

  private void space() {
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
        i++;
      } else {
        return;
      }
    }
  }

  private char peek() {
    if (i >= s.length()) {
      throw error("unexpected end");
    }
    return s.charAt(i);
  }

  private char next() {
    char c = peek();
    i++;
    return c;
  }

  private void expect(char c) {
    if (next() != c) {
      throw error("expected '" + c + "'");
    }
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException("malformed JSON at offset " + i + ": " + what);
  }
}
