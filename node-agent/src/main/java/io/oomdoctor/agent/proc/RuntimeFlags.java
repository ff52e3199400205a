package io.oomdoctor.agent.proc;

import io.oomdoctor.model.evidence.RuntimeCaps;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Finds language-runtime memory caps in a command line or in option variables: JVM heap and
 * off-heap flags, Node's old-space size, gunicorn's worker recycling, Go's GOMEMLIMIT/GOGC.
 */
public final class RuntimeFlags {
  /** The only environment variables the agent ever reads, and only when enabled. */
  public static final List<String> ENV_WHITELIST =
      List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "NODE_OPTIONS", "GOMEMLIMIT", "GOGC");

  private RuntimeFlags() {}

  /**
   * Reads caps from argv (and from the whitelisted variables in {@code env}, which may be empty).
   * Returns null when nothing runtime-specific was found.
   */
  public static RuntimeCaps parse(List<String> argv, Map<String, String> env) {
    RuntimeCaps c = new RuntimeCaps();
    boolean found = false;
    String exe = argv.isEmpty() ? "" : baseName(argv.get(0));
    boolean java = exe.equals("java") || argv.stream().anyMatch(a -> a.startsWith("-Xmx"));
    boolean node = exe.equals("node") || exe.equals("nodejs");
    boolean gunicorn =
        exe.equals("gunicorn") || argv.stream().limit(4).anyMatch(a -> a.endsWith("gunicorn"));
    if (java) {
      c.runtime = "jvm";
      c.source = "cmdline";
      jvm(c, argv);
      found = true;
    }
    for (String var : List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS")) {
      String v = env.get(var);
      if (v != null && !v.isBlank()) {
        if (c.runtime == null) {
          c.runtime = "jvm";
        }
        // The command line wins over JAVA_TOOL_OPTIONS; apply the variable only where unset.
        RuntimeCaps fromEnv = new RuntimeCaps();
        jvm(fromEnv, List.of(v.trim().split("\\s+")));
        mergeJvm(c, fromEnv);
        c.source = c.source == null ? var : c.source + "," + var;
        found = true;
      }
    }
    if (node) {
      c.runtime = "node";
      c.source = "cmdline";
      nodeFlags(c, argv);
      found = true;
    }
    String nodeOptions = env.get("NODE_OPTIONS");
    if (nodeOptions != null && !nodeOptions.isBlank()) {
      if (c.nodeMaxOldSpaceMb == null) {
        nodeFlags(c, List.of(nodeOptions.trim().split("\\s+")));
      }
      if (c.runtime == null) {
        c.runtime = "node";
      }
      c.source = c.source == null ? "NODE_OPTIONS" : c.source + ",NODE_OPTIONS";
      found = true;
    }
    if (gunicorn) {
      c.runtime = "gunicorn";
      c.source = "cmdline";
      gunicornFlags(c, argv);
      found = true;
    }
    if (env.containsKey("GOMEMLIMIT") || env.containsKey("GOGC")) {
      c.goMemLimit = env.get("GOMEMLIMIT");
      c.goGc = env.get("GOGC");
      if (c.runtime == null) {
        c.runtime = "go";
      }
      c.source = c.source == null ? "env" : c.source + ",env";
      found = true;
    }
    return found ? c : null;
  }

  private static void jvm(RuntimeCaps c, List<String> args) {
    for (String a : args) {
      if (a.equals("-jar") || a.startsWith("-cp") || a.equals("-classpath")) {
        // flags after the main class belong to the application, but -jar app.jar keeps scanning
        // harmlessly: JVM flags never follow, application flags rarely look like -Xmx.
        continue;
      }
      if (a.startsWith("-Xmx")) {
        c.jvmMaxHeapBytes = size(a.substring(4));
      } else if (a.startsWith("-Xms")) {
        c.jvmInitialHeapBytes = size(a.substring(4));
      } else if (a.startsWith("-Xss")) {
        c.jvmThreadStackBytes = size(a.substring(4));
      } else if (a.startsWith("-XX:MaxRAMPercentage=")) {
        c.jvmMaxRamPercentage = decimal(a.substring("-XX:MaxRAMPercentage=".length()));
      } else if (a.startsWith("-XX:MaxRAM=")) {
        c.jvmMaxRamBytes = size(a.substring("-XX:MaxRAM=".length()));
      } else if (a.startsWith("-XX:MaxDirectMemorySize=")) {
        c.jvmMaxDirectMemoryBytes = size(a.substring("-XX:MaxDirectMemorySize=".length()));
      } else if (a.startsWith("-XX:MaxMetaspaceSize=")) {
        c.jvmMaxMetaspaceBytes = size(a.substring("-XX:MaxMetaspaceSize=".length()));
      } else if (a.equals("-XX:-UseContainerSupport")) {
        c.jvmUseContainerSupport = false;
      } else if (a.equals("-XX:+UseContainerSupport")) {
        c.jvmUseContainerSupport = true;
      } else if (a.startsWith("-XX:MaxHeapSize=")) {
        c.jvmMaxHeapBytes = size(a.substring("-XX:MaxHeapSize=".length()));
      }
    }
  }

  private static void mergeJvm(RuntimeCaps into, RuntimeCaps from) {
    if (into.jvmMaxHeapBytes == null) into.jvmMaxHeapBytes = from.jvmMaxHeapBytes;
    if (into.jvmInitialHeapBytes == null) into.jvmInitialHeapBytes = from.jvmInitialHeapBytes;
    if (into.jvmThreadStackBytes == null) into.jvmThreadStackBytes = from.jvmThreadStackBytes;
    if (into.jvmMaxRamPercentage == null) into.jvmMaxRamPercentage = from.jvmMaxRamPercentage;
    if (into.jvmMaxRamBytes == null) into.jvmMaxRamBytes = from.jvmMaxRamBytes;
    if (into.jvmMaxDirectMemoryBytes == null) {
      into.jvmMaxDirectMemoryBytes = from.jvmMaxDirectMemoryBytes;
    }
    if (into.jvmMaxMetaspaceBytes == null) into.jvmMaxMetaspaceBytes = from.jvmMaxMetaspaceBytes;
    if (into.jvmUseContainerSupport == null) {
      into.jvmUseContainerSupport = from.jvmUseContainerSupport;
    }
  }

  private static void nodeFlags(RuntimeCaps c, List<String> args) {
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      String value = null;
      if (a.startsWith("--max-old-space-size=") || a.startsWith("--max_old_space_size=")) {
        value = a.substring(a.indexOf('=') + 1);
      } else if ((a.equals("--max-old-space-size") || a.equals("--max_old_space_size"))
          && i + 1 < args.size()) {
        value = args.get(i + 1);
      }
      if (value != null) {
        Long mb = integer(value);
        if (mb != null) {
          c.nodeMaxOldSpaceMb = mb;
        }
      }
    }
  }

  private static void gunicornFlags(RuntimeCaps c, List<String> args) {
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      String next = i + 1 < args.size() ? args.get(i + 1) : null;
      if (a.startsWith("--workers=")) {
        c.gunicornWorkers = toInt(integer(a.substring(10)));
      } else if ((a.equals("--workers") || a.equals("-w")) && next != null) {
        c.gunicornWorkers = toInt(integer(next));
      } else if (a.startsWith("-w") && a.length() > 2) {
        c.gunicornWorkers = toInt(integer(a.substring(2)));
      } else if (a.startsWith("--max-requests=")) {
        c.gunicornMaxRequests = toInt(integer(a.substring(15)));
      } else if (a.equals("--max-requests") && next != null) {
        c.gunicornMaxRequests = toInt(integer(next));
      }
    }
  }

  /** JVM size syntax: digits with an optional k/m/g/t suffix (either case). */
  public static Long size(String s) {
    if (s == null || s.isEmpty()) {
      return null;
    }
    char last = Character.toLowerCase(s.charAt(s.length() - 1));
    long mult =
        switch (last) {
          case 'k' -> 1L << 10;
          case 'm' -> 1L << 20;
          case 'g' -> 1L << 30;
          case 't' -> 1L << 40;
          default -> 1;
        };
    String digits = mult == 1 ? s : s.substring(0, s.length() - 1);
    Long v = integer(digits);
    if (v == null) {
      return null;
    }
    try {
      return Math.multiplyExact(v, mult);
    } catch (ArithmeticException e) {
      return null;
    }
  }

  private static Long integer(String s) {
    try {
      return Long.valueOf(s.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static Integer toInt(Long v) {
    return v == null || v > Integer.MAX_VALUE || v < Integer.MIN_VALUE ? null : v.intValue();
  }

  private static Double decimal(String s) {
    try {
      return Double.valueOf(s.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static String baseName(String path) {
    int i = path.lastIndexOf('/');
    return (i < 0 ? path : path.substring(i + 1)).toLowerCase(Locale.ROOT);
  }

  /** Splits a NUL-separated /proc cmdline. */
  public static List<String> argv(byte[] cmdline) {
    List<String> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < cmdline.length; i++) {
      if (cmdline[i] == 0) {
        if (i > start) {
          out.add(new String(cmdline, start, i - start, java.nio.charset.StandardCharsets.UTF_8));
        }
        start = i + 1;
      }
    }
    if (start < cmdline.length) {
      out.add(
          new String(
              cmdline, start, cmdline.length - start, java.nio.charset.StandardCharsets.UTF_8));
    }
    return out;
  }
}
