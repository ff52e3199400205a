package io.oomdoctor.agent.export;

import io.oomdoctor.model.OomKill;

/**
 * Writes one OomKill where kills are kept — the seam between the exporter's queue (order, rate,
 * coalescing, backoff, what to drop) and the transport that talks to the API server.
 */
public interface OomKillWriter {
  /** What became of one write. */
  sealed interface Outcome permits Written, Refused, Failed {}

  /** Kept: created now, or there already (the same kernel record, reported before a restart). */
  record Written(String result) implements Outcome {}

  /** An answer that retrying cannot change: the object is invalid, too large or not allowed. */
  record Refused(String reason, String detail) implements Outcome {}

  /** Not reached, or the server failed: worth retrying later. */
  record Failed(String reason, String detail) implements Outcome {}

  Outcome write(OomKill kill) throws InterruptedException;
}
