package io.oomdoctor.diagnosis;

import io.oomdoctor.diagnosis.rules.HostOom;
import io.oomdoctor.diagnosis.rules.LimitTooLow;
import io.oomdoctor.diagnosis.rules.MemoryLeak;
import io.oomdoctor.diagnosis.rules.NativeMemory;
import io.oomdoctor.diagnosis.rules.PageCacheOrShmem;
import io.oomdoctor.diagnosis.rules.RuntimeCap;
import io.oomdoctor.diagnosis.rules.SharedLimit;
import io.oomdoctor.diagnosis.rules.StartupSpike;
import io.oomdoctor.diagnosis.rules.UnboundedCache;
import io.oomdoctor.model.OomKillSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** Runs every rule over an OomKill's evidence; the strongest finding is the primary cause. */
public final class Diagnoser {
  private final List<Rule> rules =
      List.of(
          new HostOom(),
          new RuntimeCap(),
          new SharedLimit(),
          new PageCacheOrShmem(),
          new NativeMemory(),
          new StartupSpike(),
          new MemoryLeak(),
          new UnboundedCache(),
          new LimitTooLow());
  private final DiagnosisSettings settings;

  public Diagnoser(DiagnosisSettings settings) {
    this.settings = settings;
  }

  public Diagnoser() {
    this(DiagnosisSettings.DEFAULT);
  }

  public Diagnosis diagnose(OomKillSpec evidence) {
    Facts facts = new Facts(evidence);
    List<Finding> found = new ArrayList<>();
    for (Rule r : rules) {
      r.evaluate(facts, settings).ifPresent(found::add);
    }
    // Evidence that bears on several causes at once, weighed after every rule has spoken.
    found = Weighing.weigh(facts, found, settings);
    found.sort(Comparator.comparingDouble(Finding::confidence).reversed());
    if (found.isEmpty()) {
      found.add(
          new Finding(
              Cause.Unknown,
              0.1,
              facts.processName() + " was OOM-killed, but the report holds too little to tell why.",
              "Check the container's memory graph around the kill; the kernel's report may have been"
                  + " cut short.",
              null,
              Map.of()));
    }
    Finding primary = found.get(0);
    // A pod limit equal to the container's (one container: kubelet sets the pod's to the sum) is
    // the container's limit in effect; only a different one is worth a word.
    if ("pod".equals(facts.limitScope())
        && primary.cause() != Cause.HostOom
        && !java.util.Objects.equals(facts.containerLimitBytes(), facts.limitBytes())) {
      primary =
          primary.withSummary(
              primary.summary()
                  + " The limit hit was the pod's (all its containers together), not the"
                  + " container's own.");
    }
    // The restart history says whether this is the first kill or a pattern.
    if (facts.restartCount() != null && facts.restartCount() > 0 && !facts.victimIsChild()) {
      primary =
          primary.withSummary(
              primary.summary()
                  + " The container had restarted "
                  + facts.restartCount()
                  + (facts.restartCount() == 1 ? " time" : " times")
                  + " before.");
    }
    return new Diagnosis(primary, List.copyOf(found.subList(1, found.size())));
  }
}
