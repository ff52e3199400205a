package io.oomdoctor.agent.export;

/**
 * A token bucket: {@code burst} requests at once after a quiet spell, {@code qps} a second in the
 * long run. Used by one thread.
 */
final class TokenBucket {
  private final double perNano;
  private final double burst;
  private double tokens;
  private long last = System.nanoTime();

  TokenBucket(double qps, int burst) {
    if (qps <= 0 || burst < 1) {
      throw new IllegalArgumentException("qps must be positive and burst at least 1");
    }
    this.perNano = qps / 1e9;
    this.burst = burst;
    this.tokens = burst;
  }

  /** Takes a token when there is one. */
  boolean tryTake() {
    refill();
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }

  /** Milliseconds until the next token. */
  long millisToNext() {
    refill();
    return tokens >= 1 ? 0 : (long) Math.ceil((1 - tokens) / perNano / 1e6);
  }

  private void refill() {
    long now = System.nanoTime();
    tokens = Math.min(burst, tokens + (now - last) * perNano);
    last = now;
  }
}
