package io.oomdoctor.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/**
 * The few objects kubectl's generators send as Kubernetes protobuf ({@code kubectl create
 * namespace}, {@code create configmap}, {@code create secret generic}), read into JSON for the
 * demo's API server, which speaks JSON only. The envelope is {@code k8s\0} and a runtime.Unknown
 * holding the type and the object's own message; only the fields those generators set are read
 * (names, labels, annotations, data), as numbered in Kubernetes' generated.proto files.
 */
final class KubeProtobuf {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] MAGIC = {'k', '8', 's', 0};

  private KubeProtobuf() {}

  /** The object as JSON, or null when it is not one of the kinds read here. */
  static String toJson(byte[] body) {
    if (body.length < 4
        || body[0] != MAGIC[0]
        || body[1] != MAGIC[1]
        || body[2] != MAGIC[2]
        || body[3] != MAGIC[3]) {
      return null;
    }
    Reader unknown = new Reader(body, 4, body.length);
    String apiVersion = null;
    String kind = null;
    byte[] raw = null;
    while (unknown.more()) {
      int tag = unknown.tag();
      switch (tag >>> 3) {
        case 1 -> {
          Reader tm = unknown.message();
          while (tm.more()) {
            int t = tm.tag();
            if (t >>> 3 == 1) {
              apiVersion = tm.string();
            } else if (t >>> 3 == 2) {
              kind = tm.string();
            } else {
              tm.skip(t);
            }
          }
        }
        case 2 -> raw = unknown.bytes();
        default -> unknown.skip(tag);
      }
    }
    if (raw == null || kind == null || !"v1".equals(apiVersion)) {
      return null;
    }
    ObjectNode o = JSON.createObjectNode().put("apiVersion", apiVersion).put("kind", kind);
    Reader r = new Reader(raw, 0, raw.length);
    switch (kind) {
      case "Namespace" -> {
        while (r.more()) {
          int t = r.tag();
          if (t >>> 3 == 1) {
            o.set("metadata", meta(r.message()));
          } else {
            r.skip(t);
          }
        }
      }
      case "ConfigMap", "Secret" -> {
        boolean secret = kind.equals("Secret");
        ObjectNode data = JSON.createObjectNode();
        while (r.more()) {
          int t = r.tag();
          int field = t >>> 3;
          if (field == 1) {
            o.set("metadata", meta(r.message()));
          } else if (field == 2 || (!secret && field == 3)) {
            Map.Entry<String, byte[]> e = entry(r.message());
            String value =
                secret || field == 3
                    ? Base64.getEncoder().encodeToString(e.getValue())
                    : new String(e.getValue(), StandardCharsets.UTF_8);
            (field == 3 ? o.with("binaryData") : data).put(e.getKey(), value);
          } else if (secret && field == 3) {
            o.put("type", r.string());
          } else {
            r.skip(t);
          }
        }
        if (!data.isEmpty()) {
          o.set("data", data);
        }
      }
      default -> {
        return null;
      }
    }
    return o.toString();
  }

  /** ObjectMeta: name 1, generateName 2, namespace 3, labels 11, annotations 12. */
  private static ObjectNode meta(Reader r) {
    ObjectNode m = JSON.createObjectNode();
    while (r.more()) {
      int t = r.tag();
      switch (t >>> 3) {
        case 1 -> m.put("name", r.string());
        case 2 -> m.put("generateName", r.string());
        case 3 -> m.put("namespace", r.string());
        case 11, 12 -> {
          Map.Entry<String, byte[]> e = entry(r.message());
          m.with(t >>> 3 == 11 ? "labels" : "annotations")
              .put(e.getKey(), new String(e.getValue(), StandardCharsets.UTF_8));
        }
        default -> r.skip(t);
      }
    }
    return m;
  }

  /** A map entry: key 1, value 2. */
  private static Map.Entry<String, byte[]> entry(Reader r) {
    String key = "";
    byte[] value = new byte[0];
    while (r.more()) {
      int t = r.tag();
      if (t >>> 3 == 1) {
        key = r.string();
      } else if (t >>> 3 == 2) {
        value = r.bytes();
      } else {
        r.skip(t);
      }
    }
    return Map.entry(key, value);
  }

  /** Protobuf wire format over a slice of bytes; a malformed message is an error. */
  static final class Reader {
    private final byte[] b;
    private int p;
    private final int end;

    Reader(byte[] b, int from, int end) {
      this.b = b;
      this.p = from;
      this.end = end;
    }

    boolean more() {
      return p < end;
    }

    int tag() {
      return (int) varint();
    }

    long varint() {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (p >= end) {
          throw new IllegalArgumentException("truncated protobuf");
        }
        int x = b[p++] & 0xff;
        v |= (long) (x & 0x7f) << shift;
        if (x < 0x80) {
          return v;
        }
      }
      throw new IllegalArgumentException("bad varint");
    }

    byte[] bytes() {
      long n = varint();
      if (n < 0 || p + n > end) {
        throw new IllegalArgumentException("truncated protobuf");
      }
      byte[] out = java.util.Arrays.copyOfRange(b, p, p + (int) n);
      p += (int) n;
      return out;
    }

    String string() {
      return new String(bytes(), StandardCharsets.UTF_8);
    }

    Reader message() {
      byte[] m = bytes();
      return new Reader(m, 0, m.length);
    }

    void skip(int tag) {
      switch (tag & 7) {
        case 0 -> varint();
        case 1 -> p += 8;
        case 2 -> bytes();
        case 5 -> p += 4;
        default -> throw new IllegalArgumentException("unknown wire type " + (tag & 7));
      }
      if (p > end) {
        throw new IllegalArgumentException("truncated protobuf");
      }
    }
  }

  /** For tests: a Namespace as kubectl sends it. */
  static byte[] namespace(String name) {
    ByteArrayOutputStream meta = new ByteArrayOutputStream();
    field(meta, 1, name.getBytes(StandardCharsets.UTF_8));
    ByteArrayOutputStream ns = new ByteArrayOutputStream();
    field(ns, 1, meta.toByteArray());
    ByteArrayOutputStream tm = new ByteArrayOutputStream();
    field(tm, 1, "v1".getBytes(StandardCharsets.UTF_8));
    field(tm, 2, "Namespace".getBytes(StandardCharsets.UTF_8));
    ByteArrayOutputStream unknown = new ByteArrayOutputStream();
    unknown.writeBytes(MAGIC);
    field(unknown, 1, tm.toByteArray());
    field(unknown, 2, ns.toByteArray());
    return unknown.toByteArray();
  }

  private static void field(ByteArrayOutputStream out, int number, byte[] value) {
    varint(out, (number << 3) | 2);
    varint(out, value.length);
    out.writeBytes(value);
  }

  private static void varint(ByteArrayOutputStream out, long v) {
    while (v >= 0x80) {
      out.write((int) (v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.write((int) v);
  }
}
