package io.oomdoctor.diagnosis.rules;

import io.oomdoctor.diagnosis.Bytes;
import io.oomdoctor.diagnosis.Cause;
import io.oomdoctor.diagnosis.DiagnosisSettings;
import io.oomdoctor.diagnosis.Facts;
import io.oomdoctor.diagnosis.Finding;
import io.oomdoctor.diagnosis.Rule;
import io.oomdoctor.model.evidence.RuntimeCaps;
import java.util.Map;
import java.util.Optional;

/**
 * A JVM (or Node) whose heap cap sits well under the limit, yet whose resident memory reached it.
 */
public final class NativeMemory implements Rule {
  @Override
  public Optional<Finding> evaluate(Facts f, DiagnosisSettings s) {
    RuntimeCaps c = f.caps();
    Long limit = f.limitBytes();
    Long cap = Facts.heapCap(c);
    if (cap == null || limit == null) {
      return Optional.empty();
    }
    boolean node = "node".equals(c.runtime);
    long heap = cap;
    if (heap > limit * 0.6 || f.anonRssBytes() < limit * 0.8) {
      return Optional.empty();
    }
    long outside = f.anonRssBytes() - heap;
    String threads = f.threadCount() == null ? "" : ", " + f.threadCount() + " threads";
    var t = f.trend();
    boolean grew =
        t != null
            && t.growthBytesPerHour != null
            && t.growthBytesPerHour > 0
            && t.fitR2 != null
            && t.fitR2 >= MemoryLeak.MIN_R2
            && t.fitWindowSeconds != null;
    String capNoun = node ? "old space" : "heap";
    String growth =
        grew
            ? " It grew steadily by "
                + Bytes.human(t.growthBytesPerHour)
                + " an hour for "
                + MemoryLeak.human(java.time.Duration.ofSeconds(t.fitWindowSeconds))
                + " with the "
                + capNoun
                + " capped: native memory grew, a leak outside the heap if it never levels off."
            : "";
    String outsideWhat =
        node
            ? "the JavaScript heap (Buffers and ArrayBuffers, native addons, compiled code)"
            : "the heap (direct buffers, metaspace, thread stacks"
                + threads
                + ", native libraries)";
    return Optional.of(
        new Finding(
            Cause.NativeMemory,
            grew ? 0.9 : node ? 0.75 : f.threadCount() != null && f.threadCount() > 500 ? 0.8 : 0.7,
            (node ? "V8's old space" : "The heap")
                + " is capped at "
                + Bytes.human(heap)
                + " yet "
                + (node ? "node" : "the process")
                + " held "
                + Bytes.human(f.anonRssBytes())
                + " of the "
                + Bytes.human(limit)
                + " limit: at least "
                + Bytes.human(outside)
                + " outside "
                + outsideWhat
                + "."
                + growth,
            node
                ? "Find what holds memory outside the heap (process.memoryUsage(): external and"
                    + " arrayBuffers), stream instead of buffering whole payloads, and size the"
                    + " limit for the old space plus that external memory."
                : "Bound direct memory (-XX:MaxDirectMemorySize), metaspace (-XX:MaxMetaspaceSize)"
                    + " and the thread count; find the rest with -XX:NativeMemoryTracking=summary.",
            null,
            node ? Map.of() : Map.of("-XX:NativeMemoryTracking", "summary")));
  }
}
