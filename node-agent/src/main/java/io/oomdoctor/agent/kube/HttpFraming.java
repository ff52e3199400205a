package io.oomdoctor.agent.kube;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 framing as the agent reads it: the status line, headers, a body by Content-Length,
 * chunks or to the end of the connection — every part bounded (a line at 16 KiB, 200 headers, a
 * body at {@link #MAX_BODY}) so that no server can make the agent hold more.
 */
final class HttpFraming {
  /** Largest response or WebSocket message read (the API server caps an object at 1.5 MiB). */
  static final int MAX_BODY = 16 << 20;

  private HttpFraming() {}

  /**
   * Sends a request head that opens a stream and reads the answer's headers; any status but {@code
   * expected} is an {@link HttpStatusException} with what the server said.
   */
  static Map<String, String> open(OutputStream out, InputStream in, CharSequence head, int expected)
      throws IOException {
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    int status = statusLine(in);
    Map<String, String> headers = headers(in);
    if (status != expected) {
      String body = "";
      try {
        body = new String(body(in, headers), StandardCharsets.UTF_8);
      } catch (IOException e) {
        // the status says enough
      }
      throw new HttpStatusException(status, body);
    }
    return headers;
  }

  /** An answer other than the one that opens the stream (101 for a WebSocket, 200 for a watch). */
  static final class HttpStatusException extends IOException {
    final int status;

    HttpStatusException(int status, String body) {
      super(
          "HTTP "
              + status
              + (body == null || body.isBlank()
                  ? ""
                  : ": " + (body.length() > 300 ? body.substring(0, 300) + "..." : body)));
      this.status = status;
    }
  }

  /** "HTTP/1.1 200 OK" → 200 (interim 1xx answers other than 101 are skipped). */
  static int statusLine(InputStream in) throws IOException {
    while (true) {
      String line = line(in);
      if (line == null) {
        throw new EOFException("the server closed the connection without answering");
      }
      String[] parts = line.split(" ", 3);
      if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
        throw new IOException("not an HTTP response: " + abbreviate(line));
      }
      int status;
      try {
        status = Integer.parseInt(parts[1]);
      } catch (NumberFormatException e) {
        throw new IOException("not an HTTP status: " + abbreviate(line));
      }
      if (status >= 200 || status == 101) {
        return status;
      }
      headers(in); // 100 Continue and the like
    }
  }

  /** Header lines up to the empty one, names in lower case. */
  static Map<String, String> headers(InputStream in) throws IOException {
    Map<String, String> h = new LinkedHashMap<>();
    String line;
    int count = 0;
    while ((line = line(in)) != null && !line.isEmpty()) {
      if (++count > 200) {
        throw new IOException("more than 200 response headers");
      }
      int colon = line.indexOf(':');
      if (colon > 0) {
        h.put(
            line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
            line.substring(colon + 1).trim());
      }
    }
    if (line == null) {
      throw new EOFException("the response ended inside its headers");
    }
    return h;
  }

  static byte[] body(InputStream in, Map<String, String> headers) throws IOException {
    if (isChunked(headers)) {
      return readToEnd(new Chunked(in, MAX_BODY));
    }
    String cl = headers.get("content-length");
    if (cl != null) {
      long n;
      try {
        n = Long.parseLong(cl.trim());
      } catch (NumberFormatException e) {
        throw new IOException("bad Content-Length: " + abbreviate(cl));
      }
      if (n < 0 || n > MAX_BODY) {
        throw new IOException("response of " + n + " bytes is too large");
      }
      return readFully(in, (int) n);
    }
    return readToEnd(in); // to the end of the connection
  }

  private static byte[] readToEnd(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    byte[] buf = new byte[8192];
    int r;
    while ((r = in.read(buf)) > 0) {
      if (out.size() + r > MAX_BODY) {
        throw new IOException("response larger than " + MAX_BODY + " bytes");
      }
      out.write(buf, 0, r);
    }
    return out.toByteArray();
  }

  static boolean isChunked(Map<String, String> headers) {
    String te = headers.get("transfer-encoding");
    return te != null && te.toLowerCase(Locale.ROOT).contains("chunked");
  }

  /**
   * A chunked body, decoded: it ends at the last chunk, whose trailers are read with it. A chunk
   * that would take the body past its cap is refused before it is read.
   */
  static final class Chunked extends InputStream {
    private final InputStream in;
    private final long cap;
    private long left;
    private long total;
    private boolean started;
    private boolean ended;

    /**
     * @param cap the most the whole body may hold: {@link #MAX_BODY} for a response; none for a
     *     watch, whose events are capped one by one
     */
    Chunked(InputStream in, long cap) {
      this.in = in;
      this.cap = cap;
    }

    @Override
    public int read() throws IOException {
      if (!inChunk()) {
        return -1;
      }
      int b = in.read();
      if (b < 0) {
        throw new EOFException("the response ended inside a chunk");
      }
      left--;
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (!inChunk()) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n < 0) {
        throw new EOFException("the response ended inside a chunk");
      }
      left -= n;
      return n;
    }

    /** Moves to the next chunk when this one is read; false at the end of the body. */
    private boolean inChunk() throws IOException {
      if (ended) {
        return false;
      }
      if (left > 0) {
        return true;
      }
      if (started) {
        line(in); // the CRLF after the previous chunk's data
      }
      started = true;
      String sizeLine = line(in);
      if (sizeLine == null) {
        throw new EOFException("the response ended inside a chunk");
      }
      int semi = sizeLine.indexOf(';');
      try {
        left = Long.parseLong((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
      } catch (NumberFormatException e) {
        throw new IOException("bad chunk size: " + abbreviate(sizeLine));
      }
      if (left < 0 || left > cap - total) {
        throw new IOException("response larger than " + cap + " bytes");
      }
      total += left;
      if (left == 0) {
        headers(in); // trailers
        ended = true;
        return false;
      }
      return true;
    }
  }

  /** A line ended by LF (CR dropped), or null at the end of the stream. */
  static String line(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder(64);
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        int n = sb.length();
        if (n > 0 && sb.charAt(n - 1) == '\r') {
          sb.setLength(n - 1);
        }
        return sb.toString();
      }
      if (sb.length() >= 16384) {
        throw new IOException("response line longer than 16 KiB");
      }
      sb.append((char) c);
    }
    return sb.length() == 0 ? null : sb.toString();
  }

  static int read(InputStream in) throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new EOFException("the connection ended inside a WebSocket frame");
    }
    return b;
  }

  static byte[] readFully(InputStream in, int n) throws IOException {
    byte[] b = in.readNBytes(n);
    if (b.length < n) {
      throw new EOFException("the connection ended after " + b.length + " of " + n + " bytes");
    }
    return b;
  }

  static String abbreviate(String s) {
    return s.length() <= 120 ? s : s.substring(0, 120) + "...";
  }
}
