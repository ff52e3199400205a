package io.oomdoctor.agent.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/**
 * A kubeconfig's TLS without fabric8's internals: client keys as openssl and the Kubernetes tools
 * write them (test/resources/tls, made with openssl 3), against a server that demands a client
 * certificate signed by its CA.
 */
class KubeTlsTest {
  private static final Path TLS = io.oomdoctor.testkit.Fixtures.tls();

  @Test
  void everyPemFormOfAClientKeySignsForItsCertificate() throws Exception {
    assertSigns("client-rsa-pkcs1.key", "client-rsa.crt", "SHA256withRSA");
    assertSigns("client-rsa-pkcs8.key", "client-rsa.crt", "SHA256withRSA");
    assertSigns("client-ec-sec1.key", "client-ec.crt", "SHA256withECDSA");
  }

  @Test
  void whatIsNotAUsableKeyIsAClearError() throws Exception {
    assertThatThrownBy(() -> KubeTls.privateKey(Files.readAllBytes(TLS.resolve("client-rsa.crt"))))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("not a PEM private key");
    String encrypted =
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n"
            + "-----END RSA PRIVATE KEY-----\n";
    assertThatThrownBy(() -> KubeTls.privateKey(encrypted.getBytes(StandardCharsets.US_ASCII)))
        .hasMessageContaining("encrypted");
    String truncated = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\n-----END EC PRIVATE KEY-----\n";
    assertThatThrownBy(() -> KubeTls.privateKey(truncated.getBytes(StandardCharsets.US_ASCII)))
        .isInstanceOf(GeneralSecurityException.class);
  }

  @Test
  void aClientCertificateFromFilesIsPresentedToTheServer() throws Exception {
    Config c =
        new ConfigBuilder(Config.empty())
            .withCaCertFile(TLS.resolve("ca.crt").toString())
            .withClientCertFile(TLS.resolve("client-ec.crt").toString())
            .withClientKeyFile(TLS.resolve("client-ec-sec1.key").toString())
            .build();
    assertThat(handshake(c)).isEqualTo("CN=agent-ec");
  }

  @Test
  void aClientCertificateInlineAsKubeconfigsHoldItIsPresented() throws Exception {
    Config c =
        new ConfigBuilder(Config.empty())
            .withCaCertData(base64("ca.crt"))
            .withClientCertData(base64("client-rsa.crt"))
            .withClientKeyData(base64("client-rsa-pkcs1.key"))
            .build();
    assertThat(handshake(c)).contains("CN=agent-rsa");
  }

  @Test
  void withoutTheClusterCaTheServerIsNotTrusted() throws Exception {
    Config c =
        new ConfigBuilder(Config.empty())
            .withCaCertFile(TLS.resolve("client-rsa.crt").toString())
            .withClientCertFile(TLS.resolve("client-ec.crt").toString())
            .withClientKeyFile(TLS.resolve("client-ec-sec1.key").toString())
            .build();
    assertThatThrownBy(() -> handshake(c)).isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
  }

  private static String base64(String file) throws Exception {
    return Base64.getEncoder().encodeToString(Files.readAllBytes(TLS.resolve(file)));
  }

  private static void assertSigns(String key, String cert, String algorithm) throws Exception {
    PrivateKey k = KubeTls.privateKey(Files.readAllBytes(TLS.resolve(key)));
    X509Certificate x;
    try (InputStream in = Files.newInputStream(TLS.resolve(cert))) {
      x = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    byte[] message = "oomdoctor".getBytes(StandardCharsets.UTF_8);
    Signature s = Signature.getInstance(algorithm);
    s.initSign(k);
    s.update(message);
    byte[] sig = s.sign();
    Signature v = Signature.getInstance(algorithm);
    v.initVerify(x.getPublicKey());
    v.update(message);
    assertThat(v.verify(sig)).as(key + " belongs to " + cert).isTrue();
  }

  /**
   * One GET through {@link KubeConnection#fromConfig} to a server that requires a client
   * certificate from its CA; returns the subject the server saw.
   */
  private static String handshake(Config c) throws Exception {
    KeyStore server = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(TLS.resolve("server.p12"))) {
      server.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(server, "changeit".toCharArray());
    KeyStore ca = KeyStore.getInstance(KeyStore.getDefaultType());
    ca.load(null, null);
    try (InputStream in = Files.newInputStream(TLS.resolve("ca.crt"))) {
      ca.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ca);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    try (SSLServerSocket ss =
        (SSLServerSocket)
            ctx.getServerSocketFactory()
                .createServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      ss.setNeedClientAuth(true);
      AtomicReference<String> subject = new AtomicReference<>();
      Thread t =
          new Thread(
              () -> {
                try (SSLSocket s = (SSLSocket) ss.accept()) {
                  BufferedReader r =
                      new BufferedReader(
                          new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                  String line;
                  while ((line = r.readLine()) != null && !line.isEmpty()) {
                    // the request head
                  }
                  subject.set(
                      ((X509Certificate) s.getSession().getPeerCertificates()[0])
                          .getSubjectX500Principal()
                          .getName());
                  OutputStream out = s.getOutputStream();
                  out.write(
                      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
                          .getBytes(StandardCharsets.ISO_8859_1));
                  out.flush();
                } catch (Exception e) {
                  // the client refused the server: the test sees the client's error
                }
              });
      t.setDaemon(true);
      t.start();
      c.setMasterUrl("https://localhost:" + ss.getLocalPort());
      KubeConnection.Response r = KubeConnection.fromConfig(c).send("GET", "/version", null);
      assertThat(r.statusCode()).isEqualTo(200);
      t.join(5000);
      return subject.get();
    }
  }
}
