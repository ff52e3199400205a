package io.oomdoctor.agent.kube;

import io.fabric8.kubernetes.client.Config;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * TLS for a kubeconfig's cluster and user, from what fabric8's {@link Config} read: the cluster's
 * CA (a file or inline data), the user's client certificate and key in PEM — PKCS#8, PKCS#1 RSA or
 * SEC1 EC, the forms kubeadm, kind, k3s and the cloud CLIs write — or no verification at all when
 * the kubeconfig says {@code insecure-skip-tls-verify}.
 */
final class KubeTls {
  private static final char[] NO_PASSWORD = new char[0];

  private KubeTls() {}

  static SSLContext of(Config c) throws GeneralSecurityException, IOException {
    TrustManager[] trust;
    if (c.isTrustCerts()) {
      trust = new TrustManager[] {new TrustingEveryone()};
    } else {
      byte[] ca = bytes(c.getCaCertData(), c.getCaCertFile());
      KeyStore ks = emptyKeyStore();
      if (ca != null) {
        int i = 0;
        for (Certificate cert : certificates(ca)) {
          ks.setCertificateEntry("ca-" + i++, cert);
        }
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      // Without a CA in the kubeconfig, the JDK's own trust store (a cluster behind a public CA).
      tmf.init(ca == null ? null : ks);
      trust = tmf.getTrustManagers();
    }
    javax.net.ssl.KeyManager[] keys = null;
    byte[] cert = bytes(c.getClientCertData(), c.getClientCertFile());
    byte[] key = bytes(c.getClientKeyData(), c.getClientKeyFile());
    if (cert != null && key != null) {
      KeyStore ks = emptyKeyStore();
      List<Certificate> chain = certificates(cert);
      ks.setKeyEntry("client", privateKey(key), NO_PASSWORD, chain.toArray(Certificate[]::new));
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, NO_PASSWORD);
      keys = kmf.getKeyManagers();
    }
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(keys, trust, null);
    return ctx;
  }

  /** A private key in PEM: PKCS#8, PKCS#1 RSA or SEC1 EC. */
  static PrivateKey privateKey(byte[] pem) throws GeneralSecurityException {
    String text = new String(pem, StandardCharsets.US_ASCII);
    byte[] der;
    if (text.contains("BEGIN RSA PRIVATE KEY")) {
      der = pkcs8(algorithm(RSA_OID, NULL), pemBody(text, "RSA PRIVATE KEY"));
    } else if (text.contains("BEGIN EC PRIVATE KEY")) {
      byte[] sec1 = pemBody(text, "EC PRIVATE KEY");
      der = pkcs8(algorithm(EC_OID, curveOf(sec1)), sec1);
    } else if (text.contains("BEGIN PRIVATE KEY")) {
      der = pemBody(text, "PRIVATE KEY");
    } else {
      throw new GeneralSecurityException(
          "the client key is not a PEM private key (PKCS#8, RSA or EC); an encrypted key cannot"
              + " be used");
    }
    GeneralSecurityException last = null;
    for (String alg : new String[] {"RSA", "EC", "Ed25519"}) {
      try {
        return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        last = e;
      }
    }
    throw new GeneralSecurityException("unreadable client key: " + last.getMessage(), last);
  }

  private static final byte[] RSA_OID = {
    0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01
  };
  private static final byte[] EC_OID = {
    0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 2, 1
  };
  private static final byte[] NULL = {0x05, 0x00};

  /** PrivateKeyInfo (RFC 5208): version 0, the algorithm, the key in an OCTET STRING. */
  private static byte[] pkcs8(byte[] algorithm, byte[] key) {
    return tlv(0x30, concat(new byte[] {0x02, 0x01, 0x00}, algorithm, tlv(0x04, key)));
  }

  private static byte[] algorithm(byte[] oid, byte[] parameters) {
    return tlv(0x30, concat(oid, parameters));
  }

  /**
   * The named curve of a SEC1 ECPrivateKey (RFC 5915): the OID inside its [0] parameters. Keys
   * without them (the curve given elsewhere) are not in kubeconfigs.
   */
  static byte[] curveOf(byte[] sec1) throws GeneralSecurityException {
    int[] seq = header(sec1, 0);
    if (sec1[0] != 0x30) {
      throw new GeneralSecurityException("an EC key that is not a SEC1 sequence");
    }
    int p = seq[0];
    int end = seq[0] + seq[1];
    while (p < end) {
      int tag = sec1[p] & 0xff;
      int[] h = header(sec1, p);
      if (tag == 0xa0) {
        int[] oid = header(sec1, h[0]);
        return java.util.Arrays.copyOfRange(sec1, h[0], oid[0] + oid[1]);
      }
      p = h[0] + h[1];
    }
    throw new GeneralSecurityException("an EC key without its curve");
  }

  /** {content offset, content length} of the DER element at {@code at}. */
  private static int[] header(byte[] der, int at) throws GeneralSecurityException {
    if (at + 2 > der.length) {
      throw new GeneralSecurityException("truncated key");
    }
    int len = der[at + 1] & 0xff;
    int p = at + 2;
    if (len >= 0x80) {
      int n = len & 0x7f;
      if (n == 0 || n > 3 || p + n > der.length) {
        throw new GeneralSecurityException("bad key encoding");
      }
      len = 0;
      for (int i = 0; i < n; i++) {
        len = (len << 8) | (der[p++] & 0xff);
      }
    }
    if (p + len > der.length) {
      throw new GeneralSecurityException("truncated key");
    }
    return new int[] {p, len};
  }

  private static byte[] tlv(int tag, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
    out.write(tag);
    int n = content.length;
    if (n < 0x80) {
      out.write(n);
    } else if (n < 0x100) {
      out.write(0x81);
      out.write(n);
    } else if (n < 0x10000) {
      out.write(0x82);
      out.write(n >> 8);
      out.write(n);
    } else {
      out.write(0x83);
      out.write(n >> 16);
      out.write(n >> 8);
      out.write(n);
    }
    out.writeBytes(content);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static byte[] pemBody(String text, String label) throws GeneralSecurityException {
    String begin = "-----BEGIN " + label + "-----";
    String end = "-----END " + label + "-----";
    int b = text.indexOf(begin);
    int e = text.indexOf(end, b);
    if (b < 0 || e < 0) {
      throw new GeneralSecurityException("no " + label + " in the PEM text");
    }
    String body = text.substring(b + begin.length(), e);
    if (body.contains("Proc-Type:") || body.contains("DEK-Info:")) {
      throw new GeneralSecurityException("the client key is encrypted; it cannot be used");
    }
    try {
      return Base64.getMimeDecoder().decode(body);
    } catch (IllegalArgumentException bad) {
      throw new GeneralSecurityException(
          "the " + label + " is not valid base64: " + bad.getMessage());
    }
  }

  private static List<Certificate> certificates(byte[] pem) throws GeneralSecurityException {
    List<Certificate> certs =
        List.copyOf(
            CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(pem)));
    if (certs.isEmpty()) {
      throw new GeneralSecurityException("no certificate in the PEM text");
    }
    return certs;
  }

  /** Inline data (base64 of the PEM text, as kubeconfigs hold it) or the file's bytes. */
  private static byte[] bytes(String data, String file) throws IOException {
    if (data != null && !data.isBlank()) {
      String d = data.trim();
      return d.startsWith("-----BEGIN")
          ? d.getBytes(StandardCharsets.US_ASCII)
          : Base64.getMimeDecoder().decode(d);
    }
    return file == null || file.isBlank() ? null : Files.readAllBytes(Path.of(file));
  }

  private static KeyStore emptyKeyStore() throws GeneralSecurityException, IOException {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    return ks;
  }

  /**
   * insecure-skip-tls-verify: any certificate for any name. An extended trust manager, so that the
   * JDK does not check the host name on its behalf either.
   */
  private static final class TrustingEveryone extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket s) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket s) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine e) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine e) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
