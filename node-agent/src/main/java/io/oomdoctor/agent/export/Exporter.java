package io.oomdoctor.agent.export;

import io.oomdoctor.model.OomKill;

/** Where the agent sends each kill it found (node-problem-detector's Exporter, for OOM kills). */
public interface Exporter extends AutoCloseable {
  /**
   * Takes one kill. {@code delivered} runs once the kill is durably out of the agent's hands
   * (written, or found already written); it may run on another thread.
   */
  void export(OomKill kill, Runnable delivered);

  /** What keeps kills from being delivered (a stopped worker), or null when nothing does. */
  default String liveProblem() {
    return null;
  }

  /** Kills accepted but not yet delivered. */
  default int pending() {
    return 0;
  }

  @Override
  default void close() {}
}
