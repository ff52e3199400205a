package io.oomdoctor.testkit;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A real JVM whose memory grows until the kernel kills it: {@code heap} allocates byte arrays on
 * the Java heap, {@code direct} allocates direct (native, off-heap) buffers. Every page is touched,
 * so the memory is resident.
 *
 * <pre>java [JVM flags] -cp … JavaHog heap|direct STEP_MB INTERVAL_MS</pre>
 */
public final class JavaHog {
  private JavaHog() {}

  public static void main(String[] args) throws InterruptedException {
    boolean direct = args.length > 0 && args[0].equals("direct");
    int stepMb = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    long intervalMs = args.length > 2 ? Long.parseLong(args[2]) : 50;
    List<Object> kept = new ArrayList<>();
    while (true) {
      int bytes = stepMb << 20;
      if (direct) {
        ByteBuffer b = ByteBuffer.allocateDirect(bytes);
        for (int i = 0; i < bytes; i += 4096) {
          b.put(i, (byte) 1);
        }
        kept.add(b);
      } else {
        byte[] a = new byte[bytes];
        for (int i = 0; i < bytes; i += 4096) {
          a[i] = 1;
        }
        kept.add(a);
      }
      Thread.sleep(intervalMs);
    }
  }
}
