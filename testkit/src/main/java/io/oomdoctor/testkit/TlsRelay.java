package io.oomdoctor.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

/**
 * An HTTPS endpoint in front of a plain-HTTP test server, as a cluster's API server looks from a
 * pod: its certificate (made by keytool for {@code localhost}) is the "cluster CA" a test gives the
 * agent. Bytes are relayed both ways, so WebSocket watches pass too.
 */
public final class TlsRelay implements AutoCloseable {
  private final SSLServerSocket server;
  private final Path caPem;
  private final Thread acceptor;
  private volatile boolean down;
  private final java.util.Set<Socket> open = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * Takes the API server away (connections refused at once, open ones cut) or brings it back: an
   * outage as the agent sees one.
   */
  public void outage(boolean down) {
    this.down = down;
    if (down) {
      for (Socket s : open) {
        try {
          s.close();
        } catch (IOException e) {
          // gone already
        }
      }
      open.clear();
    }
  }

  public TlsRelay(int targetPort, Path dir) throws Exception {
    Path ks = dir.resolve("relay.p12");
    run(
        List.of(
            "keytool",
            "-genkeypair",
            "-alias",
            "relay",
            "-keyalg",
            "EC",
            "-groupname",
            "secp256r1",
            "-dname",
            "CN=localhost",
            "-ext",
            "SAN=dns:localhost,ip:127.0.0.1",
            "-validity",
            "2",
            "-storetype",
            "PKCS12",
            "-keystore",
            ks.toString(),
            "-storepass",
            "changeit",
            "-keypass",
            "changeit"));
    caPem = dir.resolve("ca.crt");
    run(
        List.of(
            "keytool",
            "-exportcert",
            "-rfc",
            "-alias",
            "relay",
            "-keystore",
            ks.toString(),
            "-storepass",
            "changeit",
            "-file",
            caPem.toString()));
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(ks)) {
      store.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, "changeit".toCharArray());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    server =
        (SSLServerSocket)
            ctx.getServerSocketFactory()
                .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor = new Thread(() -> accept(targetPort), "tls-relay");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  /** The certificate to trust, as a pod finds it in its service account's ca.crt. */
  public Path caCertificate() {
    return caPem;
  }

  private void accept(int targetPort) {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        if (down) {
          client.close();
          continue;
        }
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        open.add(client);
        open.add(upstream);
        pump(client, upstream);
        pump(upstream, client);
      } catch (IOException e) {
        // closed, or a failed handshake of one connection
      }
    }
  }

  private static void pump(Socket from, Socket to) {
    Thread t =
        new Thread(
            () -> {
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
              } catch (IOException e) {
                // one side closed
              } finally {
                try {
                  from.close();
                  to.close();
                } catch (IOException e) {
                  // closing anyway
                }
              }
            },
            "tls-relay-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("keytool failed: " + out);
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
