// Native memory through sun.misc.Unsafe, as off-heap caches and JNI libraries allocate it: 4 MiB
// every 150 ms, never freed. The heap stays small.
import java.lang.reflect.Field;
import sun.misc.Unsafe;

public class Native {
  public static void main(String[] a) throws Exception {
    Field f = Unsafe.class.getDeclaredField("theUnsafe");
    f.setAccessible(true);
    Unsafe u = (Unsafe) f.get(null);
    while (true) {
      long n = 4L << 20;
      long p = u.allocateMemory(n);
      for (long i = 0; i < n; i += 4096) u.putByte(p + i, (byte) 1);
      Thread.sleep(150);
    }
  }
}
