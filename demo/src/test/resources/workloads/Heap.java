// Heap objects kept, 2 MiB every 100 ms.
import java.util.ArrayList;
public class Heap {
  public static void main(String[] a) throws Exception {
    ArrayList<byte[]> keep = new ArrayList<>();
    while (true) { byte[] b = new byte[2 << 20]; for (int i = 0; i < b.length; i += 4096) b[i] = 1; keep.add(b); Thread.sleep(100); }
  }
}
