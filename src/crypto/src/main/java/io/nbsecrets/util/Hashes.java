package io.nbsecrets.util;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** Content hashes for change detection and names. Never applied to secret values. */
public final class Hashes {
  /**
   * The canonical mapper, made on the first {@link #ofJson}: the other hashes are used where
   * Jackson is not (the refresh sidecar's look at its manifest every 2 s), and a mapper would load
   * and keep its classes there for nothing.
   */
  private static final class Canonical {
    static final ObjectMapper MAPPER =
        JsonMapper.builder()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
            .configure(
                com.fasterxml.jackson.databind.MapperFeature.SORT_PROPERTIES_ALPHABETICALLY, true)
            .build();
  }

  private Hashes() {}

  public static byte[] sha256(byte[] data) {
    return Bytes.sha256(data);
  }

  public static String sha256Hex(String text) {
    return HexFormat.of().formatHex(sha256(text.getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * SHA-256 (hex) of {@code parts} as text ({@link String#valueOf}), length-prefixed ({@link
   * Bytes#lengthPrefixed}), so that no two lists of parts give the same input.
   */
  public static String ofParts(Object... parts) {
    String[] texts = new String[parts.length];
    for (int i = 0; i < parts.length; i++) {
      texts[i] = String.valueOf(parts[i]);
    }
    return HexFormat.of().formatHex(sha256(Bytes.lengthPrefixed(texts)));
  }

  /** SHA-256 (hex) of the object's canonical JSON: equal content, equal hash. */
  public static String ofJson(Object value) {
    try {
      return sha256Hex(Canonical.MAPPER.writeValueAsString(value));
    } catch (java.io.IOException e) {
      // Jackson's JsonProcessingException; named by its JDK supertype, so that verifying this
      // class loads no Jackson class where only the other hashes are used.
      throw new IllegalArgumentException("cannot serialize " + value.getClass().getSimpleName(), e);
    }
  }
}
