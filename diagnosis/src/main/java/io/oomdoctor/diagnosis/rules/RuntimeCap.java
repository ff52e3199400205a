package io.oomdoctor.diagnosis.rules;

import io.oomdoctor.diagnosis.Bytes;
import io.oomdoctor.diagnosis.Cause;
import io.oomdoctor.diagnosis.DiagnosisSettings;
import io.oomdoctor.diagnosis.Facts;
import io.oomdoctor.diagnosis.Finding;
import io.oomdoctor.diagnosis.Rule;
import io.oomdoctor.model.evidence.RuntimeCaps;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A language runtime's own memory cap that does not fit the container: a JVM heap at or above the
 * limit or blind to it, Node's old space above it, Go without a soft limit, gunicorn workers never
 * recycled.
 */
public final class RuntimeCap implements Rule {
  @Override
  public Optional<Finding> evaluate(Facts f, DiagnosisSettings s) {
    RuntimeCaps c = f.caps();
    Long limit = f.limitBytes();
    if (c == null || c.runtime == null || limit == null || f.hostOom()) {
      return Optional.empty();
    }
    return switch (c.runtime) {
      case "jvm" -> jvm(c, limit);
      case "node" -> node(c, limit);
      case "go" -> go(c, limit);
      case "gunicorn" -> gunicorn(c, limit);
      default -> Optional.empty();
    };
  }

  /** The JVM's caps against the limit: no container support, or a heap that fills it. */
  public static Optional<Finding> jvm(RuntimeCaps c, long limit) {
    // Heap at ~70 % of the limit leaves room for metaspace, thread stacks, direct buffers, the
    // code cache and GC structures.
    String xmx = (Bytes.roundUpMi(limit * 0.70) / Bytes.MI) + "m";
    String budget = "; budget direct memory, metaspace and thread stacks in the remaining 30 %.";
    if (Boolean.FALSE.equals(c.jvmUseContainerSupport)) {
      Map<String, String> flags = new LinkedHashMap<>();
      flags.put("-XX:+UseContainerSupport", "");
      flags.put("-XX:MaxRAMPercentage", "70.0");
      return Optional.of(
          new Finding(
              Cause.RuntimeCapMisconfigured,
              0.9,
              "The JVM runs with -XX:-UseContainerSupport: it sizes its heap from the node's memory,"
                  + " not from the "
                  + Bytes.human(limit)
                  + " container limit.",
              "Let the JVM see the container (remove -XX:-UseContainerSupport) and size the heap"
                  + " to about 70 % of the "
                  + Bytes.human(limit)
                  + " limit with -XX:MaxRAMPercentage=70.0"
                  + budget,
              null,
              flags));
    }
    Long heap = c.jvmMaxHeapBytes;
    boolean fromPercentage = false;
    if (heap == null && c.jvmMaxRamPercentage != null) {
      long base = c.jvmMaxRamBytes != null ? c.jvmMaxRamBytes : limit;
      heap = Math.round(base * c.jvmMaxRamPercentage / 100.0);
      fromPercentage = true;
    }
    if (heap != null && heap >= limit * 0.9) {
      Map<String, String> flags = new LinkedHashMap<>();
      String fix;
      if (fromPercentage) {
        flags.put("-XX:MaxRAMPercentage", "70.0");
        fix =
            "Size the heap to about 70 % of the "
                + Bytes.human(limit)
                + " limit with -XX:MaxRAMPercentage=70.0"
                + (c.jvmMaxRamBytes != null ? " and drop -XX:MaxRAM" : "")
                + budget;
      } else {
        flags.put("-Xmx", xmx);
        fix =
            "Set -Xmx"
                + xmx
                + " (about 70 % of the "
                + Bytes.human(limit)
                + " limit), or drop -Xmx and use -XX:MaxRAMPercentage=70.0 so that the heap"
                + " follows the limit"
                + budget;
      }
      return Optional.of(
          new Finding(
              Cause.RuntimeCapMisconfigured,
              0.9,
              "The JVM may grow its heap to "
                  + Bytes.human(heap)
                  + ", "
                  + Bytes.percent(heap, limit)
                  + " % of the "
                  + Bytes.human(limit)
                  + " limit, leaving no room for everything else a JVM needs outside the heap.",
              fix,
              null,
              flags));
    }
    return Optional.empty();
  }

  /** Node's old space against the limit. */
  public static Optional<Finding> node(RuntimeCaps c, long limit) {
    if (c.nodeMaxOldSpaceMb == null || c.nodeMaxOldSpaceMb * Bytes.MI < limit * 0.75) {
      return Optional.empty();
    }
    long mb = Math.round(limit * 0.70 / Bytes.MI);
    return Optional.of(
        new Finding(
            Cause.RuntimeCapMisconfigured,
            0.85,
            "Node may grow its old space to "
                + c.nodeMaxOldSpaceMb
                + " MiB (--max-old-space-size), "
                + Bytes.percent(c.nodeMaxOldSpaceMb * Bytes.MI, limit)
                + " % of the "
                + Bytes.human(limit)
                + " limit: the garbage collector does not work hard before the kernel kills.",
            "Set --max-old-space-size to 60-75 % of the limit, so that V8 collects before the"
                + " container runs out.",
            null,
            Map.of("--max-old-space-size", Long.toString(mb))));
  }

  private static Optional<Finding> go(RuntimeCaps c, long limit) {
    if (c.goMemLimit != null && !c.goMemLimit.isBlank()) {
      return Optional.empty();
    }
    long mib = Math.round(limit * 0.90 / Bytes.MI);
    return Optional.of(
        new Finding(
            Cause.RuntimeCapMisconfigured,
            0.6,
            "The Go runtime runs without GOMEMLIMIT: its garbage collector paces itself by GOGC"
                + " alone and lets the heap double past the "
                + Bytes.human(limit)
                + " limit.",
            "Set GOMEMLIMIT to about 90 % of the limit, so that the collector works harder as the"
                + " limit nears.",
            null,
            Map.of("GOMEMLIMIT", mib + "MiB")));
  }

  private static Optional<Finding> gunicorn(RuntimeCaps c, long limit) {
    if (c.gunicornMaxRequests != null && c.gunicornMaxRequests > 0) {
      return Optional.empty();
    }
    int workers = c.gunicornWorkers == null ? 1 : c.gunicornWorkers;
    return Optional.of(
        new Finding(
            Cause.RuntimeCapMisconfigured,
            0.55,
            "gunicorn runs "
                + workers
                + " worker(s) that are never recycled (no --max-requests), so whatever each worker"
                + " accumulates stays until the "
                + Bytes.human(limit)
                + " limit is reached.",
            "Recycle workers with --max-requests (and --max-requests-jitter so they do not restart"
                + " together), and size the limit for all workers at their peak.",
            null,
            Map.of("--max-requests", "1000", "--max-requests-jitter", "100")));
  }
}
