package io.oomdoctor.agent.export;

import io.oomdoctor.model.evidence.OomReport;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/** Names and labels of OomKill resources. */
public final class OomKills {
  private OomKills() {}

  /**
   * A name that is the same every time the same kernel record is reported: from node, boot id and
   * sequence number. Creating it twice is a 409, never a duplicate. Readable prefix, hashed suffix.
   */
  public static String name(String nodeName, OomReport r) {
    String node = sanitize(nodeName == null ? "node" : nodeName);
    String seq = r.seq == null ? "x" : Long.toString(r.seq);
    String key = nodeName + "|" + r.bootId + "|" + r.seq + "|" + (r.seq == null ? r.pid : "");
    String hash = sha256(key).substring(0, 10);
    String prefix = node.length() > 40 ? node.substring(0, 40) : node;
    prefix = prefix.replaceAll("[-.]+$", "");
    return (prefix.isEmpty() ? "node" : prefix) + "-" + seq + "-" + hash;
  }

  /** Human form of a kB limit in the units kubectl prints: 64Mi, 1Gi, 1536Ki. */
  public static String humanKb(Long kb) {
    if (kb == null) {
      return null;
    }
    if (kb % (1024 * 1024) == 0 && kb > 0) {
      return (kb / (1024 * 1024)) + "Gi";
    }
    if (kb % 1024 == 0 && kb > 0) {
      return (kb / 1024) + "Mi";
    }
    return kb + "Ki";
  }

  private static String sanitize(String s) {
    String out =
        s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.-]", "-").replaceAll("^[^a-z0-9]+", "");
    return out;
  }

  /** The SHA-256 of a text, in hex (names derived from what they stand for). */
  public static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
