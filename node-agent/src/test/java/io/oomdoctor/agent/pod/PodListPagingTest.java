package io.oomdoctor.agent.pod;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.oomdoctor.agent.kube.KubeConnection;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The node's pods are listed in pages (limit/continue), so that no response holds every pod of a
 * node with big pod objects; deleted pods are remembered for a while, and never more than a bound.
 */
class PodListPagingTest {
  static String uid(int i) {
    return String.format("0a1b2c3d-0000-4000-8000-%012d", i);
  }

  static String pod(int i) {
    return "{\"metadata\":{\"name\":\"p"
        + i
        + "\",\"namespace\":\"shop\",\"uid\":\""
        + uid(i)
        + "\",\"annotations\":{\"big\":\""
        + "x".repeat(32 * 1024)
        + "\"}},\"spec\":{\"nodeName\":\"node-a\",\"containers\":[{\"name\":\"app\"}]},"
        + "\"status\":{\"containerStatuses\":[{\"name\":\"app\",\"containerID\":\"containerd://"
        + String.format("%064d", i)
        + "\"}]}}";
  }

  @Test
  void listsInPagesAndRemembersABoundedNumberOfDeletedPods() throws Exception {
    AtomicInteger podsOnNode = new AtomicInteger(600);
    List<String> queries = new CopyOnWriteArrayList<>();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    server.createContext(
        "/api/v1/pods",
        ex -> {
          String q = ex.getRequestURI().getRawQuery();
          queries.add(q);
          byte[] out;
          if (q.contains("watch=true")) {
            out = new byte[0]; // a watch that ends at once: the watcher lists again
          } else {
            int limit = Integer.parseInt(q.replaceAll(".*limit=(\\d+).*", "$1"));
            int from =
                q.contains("continue=")
                    ? Integer.parseInt(q.replaceAll(".*continue=(\\d+).*", "$1"))
                    : 0;
            int total = podsOnNode.get();
            int to = Math.min(total, from + limit);
            StringBuilder sb = new StringBuilder("{\"metadata\":{\"resourceVersion\":\"7\"");
            if (to < total) {
              sb.append(",\"continue\":\"").append(to).append('"');
            }
            sb.append("},\"items\":[");
            for (int i = from; i < to; i++) {
              sb.append(i > from ? "," : "").append(pod(i));
            }
            out = sb.append("]}").toString().getBytes(StandardCharsets.UTF_8);
          }
          ex.sendResponseHeaders(200, out.length == 0 ? -1 : out.length);
          if (out.length > 0) {
            ex.getResponseBody().write(out);
          }
          ex.close();
        });
    server.start();
    try (PodWatcher w =
        new PodWatcher(
            KubeConnection.forUrl("http://127.0.0.1:" + server.getAddress().getPort()),
            "node-a",
            true)) {
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> w.size() == 600);
      assertThat(queries)
          .filteredOn(q -> !q.contains("watch=true"))
          .allSatisfy(q -> assertThat(q).contains("limit=" + PodWatcher.PAGE));
      assertThat(w.resolve(uid(599), String.format("%064d", 599)).container).isEqualTo("app");

      podsOnNode.set(0); // every pod deleted while the watch was down: found on the next list
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> w.size() == 0);
      assertThat(w.deletedRemembered()).isEqualTo(PodWatcher.MAX_DELETED);
      assertThat(
              java.util.stream.IntStream.range(0, 600).filter(i -> w.resolve(uid(i), null) != null))
          .as("a kill read after its pod went is still attributed, for a bounded number of pods")
          .hasSize(PodWatcher.MAX_DELETED);
    } finally {
      server.stop(0);
    }
  }
}
