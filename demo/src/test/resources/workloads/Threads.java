// Threads with deep stacks, one every 30 ms.
public class Threads {
  public static void main(String[] a) throws Exception {
    for (int i = 0; ; i++) {
      Thread t = new Thread(null, () -> { deep(0); try { Thread.sleep(1_000_000); } catch (Exception e) {} }, "w" + i, 4 << 20);
      t.start();
      Thread.sleep(30);
    }
  }
  static int deep(int n) { byte[] pad = new byte[1024]; pad[0] = (byte) n; return n < 3000 ? deep(n + 1) + pad[0] : 0; }
}
