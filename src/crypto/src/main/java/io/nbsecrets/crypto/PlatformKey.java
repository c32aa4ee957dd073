package io.nbsecrets.crypto;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * The platform key: 32 random bytes, held by the secrets API only, that encrypt each user's Fernet
 * key at rest ({@link UserKeys}). Its id ({@code "pk-"} + 16 hex) names it in wrapped keys, so
 * several platform keys can be in use during a rotation. Immutable; {@link #toString()} shows the
 * id only.
 */
public final class PlatformKey {
  private static final int KEY_BYTES = 32;
  private static final byte[] ID_DOMAIN =
      "nbsecrets platform key id".getBytes(StandardCharsets.US_ASCII);

  private final byte[] key;
  private final String id;

  private PlatformKey(byte[] key) {
    this.key = key;
    this.id = "pk-" + Codec.hexPrefix(Codec.sha256(ID_DOMAIN, key), 16);
  }

  /** A new random platform key. */
  public static PlatformKey generate() {
    return new PlatformKey(Codec.randomBytes(KEY_BYTES));
  }

  /**
   * The platform key encoded as by {@link #encoded()} (URL-safe base64 of 32 bytes, padding and
   * surrounding whitespace optional).
   *
   * @throws IllegalArgumentException if it is not (the message does not contain the input)
   */
  public static PlatformKey fromEncoded(String urlSafeBase64) {
    Objects.requireNonNull(urlSafeBase64, "urlSafeBase64");
    byte[] key;
    try {
      key = Base64.getUrlDecoder().decode(urlSafeBase64.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("platform key is not URL-safe base64");
    }
    if (key.length != KEY_BYTES) {
      int length = key.length;
      Arrays.fill(key, (byte) 0);
      throw new IllegalArgumentException(
          "platform key must be 32 bytes of URL-safe base64, got " + length + " bytes");
    }
    return new PlatformKey(key);
  }

  /** The key as URL-safe base64 with padding. This is key material: never log it. */
  public String encoded() {
    return Base64.getUrlEncoder().encodeToString(key);
  }

  /** {@code "pk-"} + the first 16 hex characters of SHA-256("nbsecrets platform key id" || key). */
  public String id() {
    return id;
  }

  /** The raw key, for AES-256-GCM. */
  byte[] keyBytes() {
    return key.clone();
  }

  /** Shows the id only. */
  @Override
  public String toString() {
    return "PlatformKey[id=" + id + "]";
  }
}
