// Direct buffers outside the heap, 4 MiB every 150 ms.
import java.nio.ByteBuffer;
import java.util.ArrayList;
public class Direct {
  public static void main(String[] a) throws Exception {
    ArrayList<ByteBuffer> keep = new ArrayList<>();
    while (true) {
      ByteBuffer b = ByteBuffer.allocateDirect(4 << 20);
      for (int i = 0; i < b.capacity(); i += 4096) b.put(i, (byte) 1);
      keep.add(b);
      Thread.sleep(150);
    }
  }
}
