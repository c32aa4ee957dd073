package io.nbsecrets.dev;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;

/**
 * Reads the Kubernetes protobuf encoding of a few built-in kinds into JSON. client-go's typed
 * clients send built-in objects as protobuf ({@code application/vnd.kubernetes.protobuf}), which
 * the mock cannot read; kubectl does so for its generators: {@code kubectl create namespace},
 * {@code create configmap}, {@code create secret}, {@code create serviceaccount}. These kinds (and
 * the object metadata) are described here field by field, after k8s.io/api's generated.proto; other
 * kinds are refused with 415, and kubectl's other writes are JSON anyway.
 */
final class Protobuf {
  static final String CONTENT_TYPE = "application/vnd.kubernetes.protobuf";
  private static final byte[] MAGIC = {'k', '8', 's', 0};
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private enum Type {
    STRING,
    BYTES,
    BOOL,
    INT,
    TIME,
    MESSAGE,
    MAP_STRING,
    MAP_BYTES
  }

  private record Field(String name, Type type, String message, boolean repeated) {}

  private static Field f(String name, Type type) {
    return new Field(name, type, null, false);
  }

  private static Field list(String name, Type type) {
    return new Field(name, type, null, true);
  }

  private static Field msg(String name, String message, boolean repeated) {
    return new Field(name, Type.MESSAGE, message, repeated);
  }

  private static final Map<String, Map<Integer, Field>> MESSAGES =
      Map.of(
          "ObjectMeta",
          Map.ofEntries(
              Map.entry(1, f("name", Type.STRING)),
              Map.entry(2, f("generateName", Type.STRING)),
              Map.entry(3, f("namespace", Type.STRING)),
              Map.entry(5, f("uid", Type.STRING)),
              Map.entry(6, f("resourceVersion", Type.STRING)),
              Map.entry(7, f("generation", Type.INT)),
              Map.entry(8, f("creationTimestamp", Type.TIME)),
              Map.entry(9, f("deletionTimestamp", Type.TIME)),
              Map.entry(10, f("deletionGracePeriodSeconds", Type.INT)),
              Map.entry(11, f("labels", Type.MAP_STRING)),
              Map.entry(12, f("annotations", Type.MAP_STRING)),
              Map.entry(13, msg("ownerReferences", "OwnerReference", true)),
              Map.entry(14, list("finalizers", Type.STRING))),
          "OwnerReference",
          Map.of(
              1, f("kind", Type.STRING),
              3, f("name", Type.STRING),
              4, f("uid", Type.STRING),
              5, f("apiVersion", Type.STRING),
              6, f("controller", Type.BOOL),
              7, f("blockOwnerDeletion", Type.BOOL)),
          "ObjectReference",
          Map.of(
              1, f("kind", Type.STRING),
              2, f("namespace", Type.STRING),
              3, f("name", Type.STRING),
              4, f("uid", Type.STRING),
              5, f("apiVersion", Type.STRING),
              6, f("resourceVersion", Type.STRING),
              7, f("fieldPath", Type.STRING)),
          "LocalObjectReference",
          Map.of(1, f("name", Type.STRING)),
          "ConfigMap",
          Map.of(
              1, msg("metadata", "ObjectMeta", false),
              2, f("data", Type.MAP_STRING),
              3, f("binaryData", Type.MAP_BYTES),
              4, f("immutable", Type.BOOL)),
          "Secret",
          Map.of(
              1, msg("metadata", "ObjectMeta", false),
              2, f("data", Type.MAP_BYTES),
              3, f("type", Type.STRING),
              4, f("stringData", Type.MAP_STRING),
              5, f("immutable", Type.BOOL)),
          "Namespace",
          Map.of(1, msg("metadata", "ObjectMeta", false), 2, msg("spec", "NamespaceSpec", false)),
          "NamespaceSpec",
          Map.of(1, list("finalizers", Type.STRING)),
          "ServiceAccount",
          Map.of(
              1, msg("metadata", "ObjectMeta", false),
              2, msg("secrets", "ObjectReference", true),
              3, msg("imagePullSecrets", "LocalObjectReference", true),
              4, f("automountServiceAccountToken", Type.BOOL)));

  private Protobuf() {}

  static boolean is(String contentType) {
    return contentType != null && contentType.startsWith(CONTENT_TYPE);
  }

  /**
   * The object in a protobuf body, as JSON.
   *
   * @throws IllegalArgumentException when the body is not Kubernetes protobuf or of another kind
   */
  static ObjectNode decode(byte[] body) {
    if (body.length < MAGIC.length || !Arrays.equals(Arrays.copyOf(body, MAGIC.length), MAGIC)) {
      throw new IllegalArgumentException("not a Kubernetes protobuf envelope");
    }
    Reader unknown = new Reader(body, MAGIC.length, body.length);
    String apiVersion = "";
    String kind = "";
    byte[] raw = new byte[0];
    while (unknown.more()) {
      long key = unknown.varint();
      int field = (int) (key >>> 3);
      int wire = (int) (key & 7);
      if (field == 1 && wire == 2) {
        Reader typeMeta = unknown.nested();
        while (typeMeta.more()) {
          long k = typeMeta.varint();
          if ((k >>> 3) == 1 && (k & 7) == 2) {
            apiVersion = typeMeta.string();
          } else if ((k >>> 3) == 2 && (k & 7) == 2) {
            kind = typeMeta.string();
          } else {
            typeMeta.skip((int) (k & 7));
          }
        }
      } else if (field == 2 && wire == 2) {
        raw = unknown.bytes();
      } else {
        unknown.skip(wire);
      }
    }
    if (!apiVersion.equals("v1") || !MESSAGES.containsKey(kind) || kind.endsWith("Spec")) {
      throw new IllegalArgumentException(
          "this server reads protobuf only for v1 ConfigMap, Namespace, Secret and ServiceAccount,"
              + " not "
              + apiVersion
              + " "
              + kind
              + "; send JSON");
    }
    ObjectNode object = NODES.objectNode();
    object.put("apiVersion", apiVersion);
    object.put("kind", kind);
    read(new Reader(raw, 0, raw.length), kind, object);
    return object;
  }

  private static void read(Reader in, String message, ObjectNode into) {
    Map<Integer, Field> fields = MESSAGES.get(message);
    while (in.more()) {
      long key = in.varint();
      int number = (int) (key >>> 3);
      int wire = (int) (key & 7);
      Field field = fields.get(number);
      if (field == null) {
        in.skip(wire);
        continue;
      }
      switch (field.type()) {
        case STRING -> {
          String v = in.string();
          if (field.repeated()) {
            array(into, field.name()).add(v);
          } else {
            into.put(field.name(), v);
          }
        }
        case BYTES -> into.put(field.name(), Base64.getEncoder().encodeToString(in.bytes()));
        case BOOL -> into.put(field.name(), in.varint() != 0);
        case INT -> into.put(field.name(), in.varint());
        case TIME -> {
          Reader t = in.nested();
          long seconds = 0;
          while (t.more()) {
            long k = t.varint();
            if ((k >>> 3) == 1 && (k & 7) == 0) {
              seconds = t.varint();
            } else {
              t.skip((int) (k & 7));
            }
          }
          into.put(field.name(), Instant.ofEpochSecond(seconds).toString());
        }
        case MESSAGE -> {
          ObjectNode child = NODES.objectNode();
          read(in.nested(), field.message(), child);
          if (field.repeated()) {
            array(into, field.name()).add(child);
          } else {
            into.set(field.name(), child);
          }
        }
        case MAP_STRING, MAP_BYTES -> {
          Reader entry = in.nested();
          String k = "";
          String v = "";
          while (entry.more()) {
            long ek = entry.varint();
            if ((ek >>> 3) == 1 && (ek & 7) == 2) {
              k = entry.string();
            } else if ((ek >>> 3) == 2 && (ek & 7) == 2) {
              v =
                  field.type() == Type.MAP_BYTES
                      ? Base64.getEncoder().encodeToString(entry.bytes())
                      : entry.string();
            } else {
              entry.skip((int) (ek & 7));
            }
          }
          ObjectNode map =
              into.get(field.name()) instanceof ObjectNode o ? o : into.putObject(field.name());
          map.put(k, v);
        }
      }
    }
  }

  private static ArrayNode array(ObjectNode into, String name) {
    return into.get(name) instanceof ArrayNode a ? a : into.putArray(name);
  }

  /** Protocol buffers wire format, the parts these messages use. */
  private static final class Reader {
    private final byte[] data;
    private int pos;
    private final int end;

    Reader(byte[] data, int start, int end) {
      this.data = data;
      this.pos = start;
      this.end = end;
    }

    boolean more() {
      return pos < end;
    }

    long varint() {
      long result = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= end) {
          throw new IllegalArgumentException("truncated protobuf");
        }
        byte b = data[pos++];
        result |= (long) (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          return result;
        }
      }
      throw new IllegalArgumentException("malformed varint");
    }

    byte[] bytes() {
      int length = (int) varint();
      if (length < 0 || pos + length > end) {
        throw new IllegalArgumentException("truncated protobuf");
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream(length);
      out.write(data, pos, length);
      pos += length;
      return out.toByteArray();
    }

    String string() {
      return new String(bytes(), StandardCharsets.UTF_8);
    }

    Reader nested() {
      int length = (int) varint();
      if (length < 0 || pos + length > end) {
        throw new IllegalArgumentException("truncated protobuf");
      }
      Reader r = new Reader(data, pos, pos + length);
      pos += length;
      return r;
    }

    void skip(int wire) {
      switch (wire) {
        case 0 -> varint();
        case 1 -> pos += 8;
        case 2 -> {
          int length = (int) varint();
          pos += length;
        }
        case 5 -> pos += 4;
        default -> throw new IllegalArgumentException("unsupported wire type " + wire);
      }
      if (pos > end) {
        throw new IllegalArgumentException("truncated protobuf");
      }
    }
  }
}
