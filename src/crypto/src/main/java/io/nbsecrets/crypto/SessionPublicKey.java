package io.nbsecrets.crypto;

import java.security.PublicKey;
import java.util.Objects;

/**
 * The public half of a session key pair and its id ({@link RsaKeys#keyId}); the secrets API seals
 * records with it. The constructor checks that {@code keyId} is the key's id and that the key is
 * RSA of at least {@link RsaKeys#MIN_BITS} bits.
 */
public record SessionPublicKey(String keyId, PublicKey key) implements DataKeyWrapper {

  public SessionPublicKey {
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(key, "key");
    RsaKeys.requireBits(RsaKeys.bits(key));
    if (!keyId.equals(RsaKeys.keyId(key))) {
      throw new IllegalArgumentException("key id " + keyId + " is not the id of this key");
    }
  }

  public static SessionPublicKey of(PublicKey key) {
    return new SessionPublicKey(RsaKeys.keyId(key), key);
  }

  /** RSA-OAEP (SHA-256, MGF1-SHA-256) of {@code dataKey} under this key. */
  @Override
  public byte[] wrap(byte[] dataKey) {
    return RsaKeys.wrap(key, dataKey);
  }

  /** The SPKI PEM of the key. */
  public String pem() {
    return RsaKeys.publicKeyPem(key);
  }

  @Override
  public String toString() {
    return "SessionPublicKey[keyId=" + keyId + "]";
  }
}
