package io.oomdoctor.demo;

import java.util.ArrayList;
import java.util.List;

/**
 * A JVM for the demo's workloads: allocates {@code HOLD_MB} MiB on its heap (every page touched),
 * then holds it and idles. {@code java [flags] -cp … io.oomdoctor.demo.JvmWorkload HOLD_MB}.
 */
public final class JvmWorkload {
  private JvmWorkload() {}

  public static void main(String[] args) throws InterruptedException {
    int mb = args.length > 0 ? Integer.parseInt(args[0]) : 16;
    List<byte[]> kept = new ArrayList<>();
    for (int i = 0; i < mb; i++) {
      byte[] a = new byte[1 << 20];
      for (int j = 0; j < a.length; j += 4096) {
        a[j] = 1;
      }
      kept.add(a);
    }
    while (kept.size() == mb) {
      Thread.sleep(60_000);
    }
  }
}
