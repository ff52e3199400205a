package io.oomdoctor.diagnosis.rules;

import io.oomdoctor.diagnosis.Bytes;
import io.oomdoctor.diagnosis.Cause;
import io.oomdoctor.diagnosis.DiagnosisSettings;
import io.oomdoctor.diagnosis.Facts;
import io.oomdoctor.diagnosis.Finding;
import io.oomdoctor.diagnosis.Rule;
import java.util.Map;
import java.util.Optional;

/**
 * Shared memory (a tmpfs emptyDir with medium Memory, /dev/shm) or page cache made up most of the
 * cgroup's usage: memory the killed process itself never showed as its own.
 */
public final class PageCacheOrShmem implements Rule {
  private static final String ADVICE =
      "Files in a tmpfs count against the limit and cannot be reclaimed: bound the volume"
          + " (emptyDir sizeLimit), delete what is no longer needed, or write to disk;"
          + " otherwise raise the limit to hold them.";

  @Override
  public Optional<Finding> evaluate(Facts f, DiagnosisSettings s) {
    Long limit = f.limitBytes();
    long usage = f.usageBytes() != null ? f.usageBytes() : f.peakBytes();
    if (limit == null || f.hostOom()) {
      return Optional.empty();
    }
    if (f.shmemReadAfterKill()) {
      // The report was cut short: what the cgroup held after the kill is weighed against the
      // limit, the usage at the kill (the limit, at most) not being known.
      if (f.shmemBytes() < limit * 0.4) {
        return Optional.empty();
      }
      return Optional.of(
          new Finding(
              Cause.PageCacheOrShmem,
              0.75,
              Bytes.human(f.shmemBytes())
                  + " of the "
                  + Bytes.human(limit)
                  + " limit ("
                  + Bytes.percent(f.shmemBytes(), limit)
                  + " %) was still shared memory — files in a tmpfs (an emptyDir with medium:"
                  + " Memory, or /dev/shm) — when the cgroup was read just after "
                  + f.processName()
                  + " was killed; the kernel's report itself was cut short.",
              ADVICE,
              s.withHeadroom(Math.max(usage, limit)),
              Map.of()));
    }
    if (usage <= 0) {
      return Optional.empty();
    }
    if (f.shmemBytes() >= usage * 0.4) {
      return Optional.of(
          new Finding(
              Cause.PageCacheOrShmem,
              0.85,
              Bytes.human(f.shmemBytes())
                  + " of the "
                  + Bytes.human(limit)
                  + " limit ("
                  + Bytes.percent(f.shmemBytes(), usage)
                  + " %) was shared memory — files in a tmpfs (an emptyDir with medium: Memory, or"
                  + " /dev/shm) — while "
                  + f.processName()
                  + " itself held only "
                  + Bytes.human(f.anonRssBytes())
                  + ".",
              ADVICE,
              s.withHeadroom(usage),
              Map.of()));
    }
    if (f.fileBytes() >= usage * 0.5) {
      return Optional.of(
          new Finding(
              Cause.PageCacheOrShmem,
              0.5,
              Bytes.human(f.fileBytes())
                  + " of the "
                  + Bytes.human(limit)
                  + " limit was page cache; the kernel could not reclaim it fast enough (dirty or"
                  + " mapped file pages).",
              "Write with fsync or O_DIRECT to keep dirty pages few, or unmap large files; raise the"
                  + " limit if the cache is the working set.",
              s.withHeadroom(usage),
              Map.of()));
    }
    return Optional.empty();
  }
}
