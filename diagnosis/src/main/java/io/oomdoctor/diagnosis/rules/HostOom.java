package io.oomdoctor.diagnosis.rules;

import io.oomdoctor.diagnosis.Bytes;
import io.oomdoctor.diagnosis.Cause;
import io.oomdoctor.diagnosis.DiagnosisSettings;
import io.oomdoctor.diagnosis.Facts;
import io.oomdoctor.diagnosis.Finding;
import io.oomdoctor.diagnosis.Rule;
import java.util.Map;
import java.util.Optional;

/** The node ran out of memory (or node-allocatable enforcement did): no container limit was hit. */
public final class HostOom implements Rule {
  @Override
  public Optional<Finding> evaluate(Facts f, DiagnosisSettings s) {
    if (!f.hostOom()) {
      return Optional.empty();
    }
    String who = f.processName() + (f.pid() == null ? "" : " (pid " + f.pid() + ")");
    return Optional.of(
        new Finding(
            Cause.HostOom,
            0.95,
            "The node ran out of memory: the kernel killed "
                + who
                + ", holding "
                + Bytes.human(f.anonRssBytes())
                + ", to free memory for the whole node, not because of its own limit.",
            "Give the node more memory or fewer pods, and set memory requests equal to limits for"
                + " pods that must survive (Guaranteed pods are killed last); limits above requests"
                + " let pods together promise more than the node has.",
            null,
            Map.of()));
  }
}
