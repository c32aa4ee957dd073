package io.nbsecrets.crypto;

import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The operator's session private keys by id (the id of each key's public half, {@link
 * RsaKeys#keyId}). Several keys allow rotation: records sealed under an older key still open.
 * Immutable and thread-safe; {@link #toString()} shows ids only.
 */
public final class SessionKeyRing implements DataKeyUnwrapper {
  private final Map<String, PrivateKey> keys;
  private final List<SessionPublicKey> publicKeys;

  private SessionKeyRing(Map<String, PrivateKey> keys, List<SessionPublicKey> publicKeys) {
    this.keys = keys;
    this.publicKeys = publicKeys;
  }

  /**
   * A ring of {@code privateKeys}, in their order (the first is the current key). The same key
   * given twice counts once.
   *
   * @throws IllegalArgumentException if empty, or a key is not an RSA private key with CRT
   *     parameters of at least {@link RsaKeys#MIN_BITS} bits
   */
  public static SessionKeyRing of(Collection<PrivateKey> privateKeys) {
    Objects.requireNonNull(privateKeys, "privateKeys");
    if (privateKeys.isEmpty()) {
      throw new IllegalArgumentException("a session key ring needs at least one key");
    }
    Map<String, PrivateKey> keys = new LinkedHashMap<>();
    List<SessionPublicKey> publicKeys = new ArrayList<>();
    for (PrivateKey key : privateKeys) {
      Objects.requireNonNull(key, "private key");
      SessionPublicKey publicKey = SessionPublicKey.of(RsaKeys.publicKeyOf(key));
      if (keys.putIfAbsent(publicKey.keyId(), key) == null) {
        publicKeys.add(publicKey);
      }
    }
    return new SessionKeyRing(
        Collections.unmodifiableMap(keys), Collections.unmodifiableList(publicKeys));
  }

  /** The private key with {@code keyId}, if in the ring. */
  public Optional<PrivateKey> find(String keyId) {
    return Optional.ofNullable(keys.get(keyId));
  }

  /** RSA-OAEP unwrap with the ring's key {@code keyId}, after checking the wrapped key's length. */
  @Override
  public byte[] unwrap(String keyId, byte[] wrapped) {
    PrivateKey privateKey = find(keyId).orElseThrow(() -> new UnknownKeyException(keyId));
    if (wrapped.length != RsaKeys.modulusBytes(privateKey)) {
      throw new MalformedCiphertextException("wrapped data key has the wrong length");
    }
    return RsaKeys.unwrap(privateKey, wrapped);
  }

  @Override
  public boolean holds(String keyId) {
    return keys.containsKey(keyId);
  }

  /** The ids of the ring's keys, in ring order. */
  public Set<String> keyIds() {
    return keys.keySet();
  }

  /** The public halves, in ring order; the first is the current key. */
  public List<SessionPublicKey> publicKeys() {
    return publicKeys;
  }

  /** Rings are equal when they hold the same key ids in the same order (ids name the keys). */
  @Override
  public boolean equals(Object other) {
    return other instanceof SessionKeyRing ring
        && List.copyOf(keys.keySet()).equals(List.copyOf(ring.keys.keySet()));
  }

  @Override
  public int hashCode() {
    return List.copyOf(keys.keySet()).hashCode();
  }

  /** Shows the key ids only. */
  @Override
  public String toString() {
    return "SessionKeyRing" + keys.keySet();
  }
}
