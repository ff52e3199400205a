package io.oomdoctor.agent.cli;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The options of one subcommand: each has a name, an environment variable and a default, in that
 * order of precedence, and a line of help. The agent's command line is small and fixed, so it is
 * parsed here rather than by a general library: on every node, the agent's resident memory pays for
 * each class it loads (docs/benchmarks.md).
 */
final class Options {
  /** A command line that cannot be run: the message says why. */
  static final class UsageException extends Exception {
    UsageException(String message) {
      super(message);
    }
  }

  private record Spec(
      String name, String env, String defaultValue, String label, String help, boolean flag) {}

  private final String command;
  private final String summary;
  private final Map<String, Spec> specs = new LinkedHashMap<>();
  private final Map<String, String> given = new LinkedHashMap<>();
  private final List<String> positional = new ArrayList<>();
  private final Function<String, String> environment;
  private String positionalLabel;
  private String positionalHelp;

  Options(String command, String summary, Function<String, String> environment) {
    this.command = command;
    this.summary = summary;
    this.environment = environment;
  }

  /**
   * An option taking a value.
   *
   * @param env environment variable consulted when the option is not given, or null
   * @param defaultValue used when neither is set, or null (no value)
   */
  Options value(String name, String label, String env, String defaultValue, String help) {
    specs.put(name, new Spec(name, env, defaultValue, label, help, false));
    return this;
  }

  /**
   * A boolean option: {@code --name} alone means true; {@code --name=false} or {@code --name
   * false}.
   */
  Options flag(String name, String env, boolean defaultValue, String help) {
    specs.put(name, new Spec(name, env, Boolean.toString(defaultValue), null, help, true));
    return this;
  }

  /** Accepts arguments after the options (files, for instance). */
  Options positional(String label, String help) {
    this.positionalLabel = label;
    this.positionalHelp = help;
    return this;
  }

  /** Reads the arguments that follow the subcommand's name. */
  Options parse(List<String> args) throws UsageException {
    boolean onlyPositional = false;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (onlyPositional || !a.startsWith("--") || a.equals("-")) {
        if (a.startsWith("-") && !a.equals("-") && !onlyPositional) {
          throw new UsageException("unknown option '" + a + "'");
        }
        if (positionalLabel == null) {
          throw new UsageException("unexpected argument '" + a + "'");
        }
        positional.add(a);
        continue;
      }
      if (a.equals("--")) {
        onlyPositional = true;
        continue;
      }
      int eq = a.indexOf('=');
      String name = eq < 0 ? a : a.substring(0, eq);
      Spec spec = specs.get(name);
      if (spec == null) {
        throw new UsageException("unknown option '" + name + "'");
      }
      String v;
      if (eq >= 0) {
        v = a.substring(eq + 1);
      } else if (spec.flag) {
        boolean next =
            i + 1 < args.size()
                && (args.get(i + 1).equalsIgnoreCase("true")
                    || args.get(i + 1).equalsIgnoreCase("false"));
        v = next ? args.get(++i) : "true";
      } else if (i + 1 < args.size()) {
        v = args.get(++i);
      } else {
        throw new UsageException("option '" + name + "' needs a value (" + spec.label + ")");
      }
      given.put(name, v);
    }
    return this;
  }

  /** Whether the option was set, on the command line or in its environment variable. */
  boolean given(String name) {
    Spec spec = spec(name);
    if (given.containsKey(name)) {
      return true;
    }
    String e = spec.env == null ? null : environment.apply(spec.env);
    return e != null && !e.isEmpty();
  }

  /** The option's value (command line, else environment, else default), or null. */
  String string(String name) {
    Spec spec = spec(name);
    String v = given.get(name);
    if (v == null && spec.env != null) {
      String e = environment.apply(spec.env);
      v = e == null || e.isEmpty() ? null : e;
    }
    return v != null ? v : spec.defaultValue;
  }

  Path path(String name) throws UsageException {
    String v = string(name);
    try {
      return v == null ? null : Paths.get(v);
    } catch (RuntimeException e) {
      throw new UsageException(where(name) + "'" + v + "' is not a path");
    }
  }

  int integer(String name) throws UsageException {
    String v = string(name);
    try {
      return Integer.parseInt(v.trim());
    } catch (RuntimeException e) {
      throw new UsageException(where(name) + "'" + v + "' is not a whole number");
    }
  }

  boolean bool(String name) throws UsageException {
    String v = string(name).trim().toLowerCase(Locale.ROOT);
    return switch (v) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new UsageException(where(name) + "'" + v + "' is not true or false");
    };
  }

  Duration duration(String name) throws UsageException {
    String v = string(name);
    Duration d = parseDuration(v);
    if (d == null) {
      throw new UsageException(
          where(name) + "'" + v + "' is not a duration (use e.g. 10s, 500ms, 2m)");
    }
    return d;
  }

  /** One of {@code choices}, as given. */
  String choice(String name, String... choices) throws UsageException {
    String v = string(name);
    for (String c : choices) {
      if (c.equals(v)) {
        return c;
      }
    }
    throw new UsageException(
        where(name) + "'" + v + "' is not one of " + String.join(", ", choices));
  }

  List<String> positional() {
    return positional;
  }

  /** "10s", "500ms", "2m", "1h", or ISO-8601 ("PT10S"); null when it is none of those. */
  static Duration parseDuration(String s) {
    if (s == null) {
      return null;
    }
    String v = s.trim().toLowerCase(Locale.ROOT);
    try {
      if (v.startsWith("p")) {
        return Duration.parse(v.toUpperCase(Locale.ROOT));
      }
      if (v.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      }
      long n = Long.parseLong(v.substring(0, v.length() - 1));
      return switch (v.charAt(v.length() - 1)) {
        case 's' -> Duration.ofSeconds(n);
        case 'm' -> Duration.ofMinutes(n);
        case 'h' -> Duration.ofHours(n);
        default -> null;
      };
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** The help text of this subcommand. */
  String usage() {
    StringBuilder sb = new StringBuilder();
    sb.append("Usage: oomdoctor-agent ").append(command).append(" [OPTIONS]");
    if (positionalLabel != null) {
      sb.append(" [").append(positionalLabel).append("...]");
    }
    sb.append('\n').append(wrap(summary, 0)).append('\n');
    if (positionalLabel != null) {
      sb.append('\n').append("  ").append(positionalLabel).append("...\n");
      sb.append(wrap(positionalHelp, 6)).append('\n');
    }
    sb.append("\nOptions:\n");
    for (Spec s : specs.values()) {
      sb.append("  ").append(s.name);
      if (!s.flag) {
        sb.append(' ').append(s.label);
      } else {
        sb.append("[=true|false]");
      }
      sb.append('\n');
      StringBuilder help = new StringBuilder(s.help);
      List<String> notes = new ArrayList<>(2);
      if (s.env != null) {
        notes.add("env " + s.env);
      }
      if (s.defaultValue != null) {
        notes.add("default " + s.defaultValue);
      }
      if (!notes.isEmpty()) {
        help.append(" (").append(String.join("; ", notes)).append(')');
      }
      sb.append(wrap(help.toString(), 6)).append('\n');
    }
    sb.append("  --help\n").append(wrap("Show this help and exit.", 6)).append('\n');
    return sb.toString();
  }

  private Spec spec(String name) {
    Spec spec = specs.get(name);
    if (spec == null) {
      throw new IllegalArgumentException("no option " + name + " in " + command);
    }
    return spec;
  }

  private String where(String name) {
    Spec spec = spec(name);
    boolean fromEnv =
        !given.containsKey(name) && spec.env != null && environment.apply(spec.env) != null;
    return name + (fromEnv ? " (from " + spec.env + ")" : "") + ": ";
  }

  /** Words of {@code text} in lines of at most 100 columns, each indented by {@code indent}. */
  static String wrap(String text, int indent) {
    StringBuilder out = new StringBuilder();
    int col = 0;
    for (String word : text.split(" ")) {
      if (col > indent && col + 1 + word.length() > 100) {
        out.append('\n');
        col = 0;
      }
      if (col == 0) {
        out.append(" ".repeat(indent));
        col = indent;
      } else {
        out.append(' ');
        col++;
      }
      out.append(word);
      col += word.length();
    }
    return out.toString();
  }
}
