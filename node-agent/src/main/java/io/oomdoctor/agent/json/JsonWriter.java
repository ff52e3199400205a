package io.oomdoctor.agent.json;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * JSON text from the agent's evidence types (public-field objects), maps, lists, strings, numbers
 * and booleans. Small on purpose: a general JSON library costs the agent several MiB of classes on
 * every node (docs/benchmarks.md), for the few shapes it writes.
 */
public final class JsonWriter {
  private static final Map<Class<?>, List<Field>> FIELDS = new ConcurrentHashMap<>();

  private final boolean nulls;

  /**
   * @param nulls whether fields and map entries whose value is null are written
   */
  public JsonWriter(boolean nulls) {
    this.nulls = nulls;
  }

  public String write(Object value) {
    StringBuilder sb = new StringBuilder(1024);
    value(sb, value);
    return sb.toString();
  }

  public void value(StringBuilder sb, Object v) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof CharSequence s) {
      string(sb, s.toString());
    } else if (v instanceof Double d) {
      number(sb, d);
    } else if (v instanceof Float f) {
      number(sb, f.doubleValue());
    } else if (v instanceof Number || v instanceof Boolean) {
      sb.append(v);
    } else if (v instanceof Enum<?> e) {
      string(sb, e.name());
    } else if (v instanceof Map<?, ?> m) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (e.getValue() == null && !nulls) {
          continue;
        }
        first = comma(sb, first);
        string(sb, String.valueOf(e.getKey()));
        sb.append(':');
        value(sb, e.getValue());
      }
      sb.append('}');
    } else if (v instanceof Collection<?> c) {
      sb.append('[');
      boolean first = true;
      for (Object o : c) {
        first = comma(sb, first);
        value(sb, o);
      }
      sb.append(']');
    } else {
      object(sb, v);
    }
  }

  /** An object of public instance fields, in declaration order. */
  private void object(StringBuilder sb, Object o) {
    sb.append('{');
    boolean first = true;
    for (Field f : fields(o.getClass())) {
      Object v;
      try {
        v = f.get(o);
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
      if (v == null && !nulls) {
        continue;
      }
      first = comma(sb, first);
      string(sb, f.getName());
      sb.append(':');
      value(sb, v);
    }
    sb.append('}');
  }

  private static List<Field> fields(Class<?> type) {
    return FIELDS.computeIfAbsent(
        type,
        t -> {
          List<Field> out = new ArrayList<>();
          for (Field f : t.getDeclaredFields()) {
            int m = f.getModifiers();
            if (Modifier.isPublic(m) && !Modifier.isStatic(m)) {
              out.add(f);
            }
          }
          return List.copyOf(out);
        });
  }

  private static boolean comma(StringBuilder sb, boolean first) {
    if (!first) {
      sb.append(',');
    }
    return false;
  }

  private static void number(StringBuilder sb, double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      sb.append("null");
    } else {
      sb.append(d);
    }
  }

  public static void string(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
