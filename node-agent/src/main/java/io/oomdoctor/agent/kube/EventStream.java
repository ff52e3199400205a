package io.oomdoctor.agent.kube;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The events of a watch streamed as plain HTTP: one JSON object per line of the (decoded) body,
 * each bounded at {@link HttpFraming#HttpFraming.MAX_BODY}.
 */
final class EventStream implements KubeConnection.WatchStream {
  private final ApiHttp.Connection connection;
  private final InputStream body;

  EventStream(ApiHttp.Connection connection, InputStream body) {
    this.connection = connection;
    this.body = body;
  }

  @Override
  public String next() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(1024);
    while (true) {
      int b = body.read();
      if (b < 0) {
        // The server ended the watch; a last event without its newline still counts.
        return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
      }
      if (b == '\n') {
        if (line.size() > 0) {
          return line.toString(StandardCharsets.UTF_8);
        }
        continue; // blank line between events
      }
      if (line.size() >= HttpFraming.MAX_BODY) {
        throw new IOException("watch event larger than " + HttpFraming.MAX_BODY + " bytes");
      }
      line.write(b);
    }
  }

  /** Drops the connection, so that a {@link #next()} blocked in another thread returns. */
  @Override
  public void close() {
    connection.drop();
  }
}
