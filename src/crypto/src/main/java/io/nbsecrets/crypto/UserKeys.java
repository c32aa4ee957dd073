package io.nbsecrets.crypto;

import java.util.Arrays;
import java.util.Collection;
import java.util.Objects;

/**
 * Users' Fernet keys at rest, encrypted under a {@link PlatformKey}, in the format {@code nbuk1}:
 * four ASCII fields joined by {@code '.'}:
 *
 * <pre>
 * nbuk1.&lt;platformKeyId&gt;.&lt;b64u(nonce)&gt;.&lt;b64u(ciphertext || tag)&gt;
 * </pre>
 *
 * <p>{@code b64u} is canonical base64url without padding; {@code nonce} 12 random bytes; {@code
 * ciphertext || tag} = AES-256-GCM under the platform key, 128-bit tag, of the UTF-8 bytes of the
 * Fernet key string (44 characters), with AAD {@code LP("nbuk1", platformKeyId, user)} ({@code LP}:
 * for each field a 4-byte big-endian UTF-8 length, then its UTF-8 bytes). A wrapped key copied to
 * another user, or with any changed part, fails authentication.
 */
public final class UserKeys {
  /** The version field of wrapped user keys in this format. */
  public static final String VERSION = "nbuk1";

  private static final int PARTS = 4;

  private UserKeys() {}

  /**
   * Wraps {@code user}'s Fernet key under {@code pk}.
   *
   * @throws IllegalArgumentException if {@code fernetUserKey} is not a Fernet key
   */
  public static String wrap(PlatformKey pk, String user, String fernetUserKey) {
    Objects.requireNonNull(pk, "pk");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(fernetUserKey, "fernetUserKey");
    Fernet.fromKey(fernetUserKey); // validates; the message does not contain the key
    byte[] aad = Codec.lengthPrefixed(VERSION, pk.id(), user);
    byte[] nonce = Codec.randomBytes(Codec.GCM_NONCE_BYTES);
    byte[] key = pk.keyBytes();
    byte[] plaintext = Codec.strictUtf8(fernetUserKey);
    try {
      byte[] ciphertext = Codec.gcmEncrypt(key, nonce, aad, plaintext);
      return String.join(".", VERSION, pk.id(), Codec.b64url(nonce), Codec.b64url(ciphertext));
    } finally {
      Arrays.fill(key, (byte) 0);
      Arrays.fill(plaintext, (byte) 0);
    }
  }

  /**
   * Unwraps {@code user}'s Fernet key with whichever of {@code keys} has the id in its header.
   *
   * @return the Fernet key string
   * @throws MalformedCiphertextException if {@code wrapped} cannot be parsed
   * @throws UnknownKeyException if no key in {@code keys} has its platform key id
   * @throws IntegrityException if it was changed, or wrapped for another user
   */
  public static String unwrap(Collection<PlatformKey> keys, String user, String wrapped) {
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(user, "user");
    String[] parts = split(wrapped);
    Codec.GcmBox box = Codec.GcmBox.decode(parts[2], parts[3]);
    String keyId = parts[1];
    PlatformKey pk =
        keys.stream()
            .filter(k -> k.id().equals(keyId))
            .findFirst()
            .orElseThrow(() -> new UnknownKeyException(keyId));
    byte[] key = pk.keyBytes();
    byte[] plaintext;
    try {
      plaintext = box.decrypt(key, Codec.lengthPrefixed(VERSION, keyId, user));
    } finally {
      Arrays.fill(key, (byte) 0);
    }
    try {
      String fernetKey = Codec.strictUtf8(plaintext, "wrapped user key");
      try {
        Fernet.fromKey(fernetKey);
      } catch (IllegalArgumentException e) {
        throw new MalformedCiphertextException("wrapped user key is not a Fernet key");
      }
      return fernetKey;
    } finally {
      Arrays.fill(plaintext, (byte) 0);
    }
  }

  /**
   * The platform key id in a wrapped key's header, without decrypting (to find keys to re-wrap
   * after a platform key rotation).
   *
   * @throws MalformedCiphertextException if {@code wrapped} cannot be parsed
   */
  public static String platformKeyId(String wrapped) {
    return split(wrapped)[1];
  }

  private static String[] split(String wrapped) {
    Objects.requireNonNull(wrapped, "wrapped");
    String[] parts = wrapped.split("\\.", -1);
    if (parts.length != PARTS || !parts[0].equals(VERSION)) {
      throw new MalformedCiphertextException(
          parts[0].equals(VERSION)
              ? "wrapped user key has " + parts.length + " fields instead of " + PARTS
              : "not an nbuk1 wrapped user key");
    }
    if (!Codec.KEY_ID.matcher(parts[1]).matches()) {
      throw new MalformedCiphertextException("wrapped user key's platform key id is malformed");
    }
    return parts;
  }
}
