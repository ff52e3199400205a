package io.oomdoctor.agent.risk;

import io.oomdoctor.model.OomRisk;

/**
 * Where the agent sends the risks it sees: each call is the latest state of one risk (raised,
 * renewed with fresh figures, or cleared). Never blocks the sampling pass.
 */
public interface RiskExporter extends AutoCloseable {
  void report(OomRisk risk);

  /** Risk states waiting to be written. */
  default int pending() {
    return 0;
  }

  @Override
  default void close() {}

  RiskExporter NONE = r -> {};
}
