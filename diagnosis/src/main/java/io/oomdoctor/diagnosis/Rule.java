package io.oomdoctor.diagnosis;

import java.util.Optional;

/** One cause: whether the evidence points to it, how strongly, and what to do. */
public interface Rule {
  Optional<Finding> evaluate(Facts facts, DiagnosisSettings settings);
}
