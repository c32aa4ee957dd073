package io.nbsecrets.crypto;

import java.security.PrivateKey;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The operator's session private keys by id (the id of each key's public half): RSA keys, which
 * unwrap {@code nbs1} data keys, and HPKE keys, which open {@code nbs2} records. Several keys allow
 * rotation, also from one algorithm to another: records sealed under an older key still open.
 * Immutable and thread-safe; {@link #toString()} shows ids only.
 */
public final class SessionKeyRing implements DataKeyUnwrapper {
  private final Map<String, SessionPrivateKey> keys;

  private SessionKeyRing(Map<String, SessionPrivateKey> keys) {
    this.keys = keys;
  }

  /**
   * A ring of {@code keys}, in their order (the first is the current key). The same key given twice
   * counts once.
   *
   * @throws IllegalArgumentException if empty
   */
  public static SessionKeyRing of(List<SessionPrivateKey> keys) {
    Objects.requireNonNull(keys, "keys");
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("a session key ring needs at least one key");
    }
    Map<String, SessionPrivateKey> byId = new LinkedHashMap<>();
    for (SessionPrivateKey key : keys) {
      byId.putIfAbsent(Objects.requireNonNull(key, "key").keyId(), key);
    }
    return new SessionKeyRing(Collections.unmodifiableMap(byId));
  }

  /**
   * A ring of RSA keys, in their order (the first is the current key).
   *
   * @throws IllegalArgumentException if empty, or a key is not an RSA private key with CRT
   *     parameters of at least {@link RsaKeys#MIN_BITS} bits
   */
  public static SessionKeyRing ofRsa(Collection<PrivateKey> privateKeys) {
    return of(privateKeys.stream().map(SessionPrivateKey::of).toList());
  }

  /** The key with {@code keyId}, if in the ring. */
  public Optional<SessionPrivateKey> key(String keyId) {
    return Optional.ofNullable(keys.get(keyId));
  }

  /** The RSA private key with {@code keyId}, if in the ring. */
  public Optional<PrivateKey> find(String keyId) {
    return key(keyId).map(SessionPrivateKey::rsa);
  }

  /** RSA-OAEP unwrap with the ring's key {@code keyId}, after checking the wrapped key's length. */
  @Override
  public byte[] unwrap(String keyId, byte[] wrapped) {
    SessionPrivateKey key = keys.get(keyId);
    if (key == null) {
      throw new UnknownKeyException(keyId);
    }
    PrivateKey privateKey = key.rsa();
    if (privateKey == null) {
      throw new MalformedCiphertextException(
          "key " + keyId + " is an HPKE key: it opens nbs2 records, not nbs1");
    }
    if (wrapped.length != RsaKeys.modulusBytes(privateKey)) {
      throw new MalformedCiphertextException("wrapped data key has the wrong length");
    }
    return RsaKeys.unwrap(privateKey, wrapped);
  }

  @Override
  public HpkeKeyPair hpkeKey(String keyId) {
    SessionPrivateKey key = keys.get(keyId);
    return key == null ? null : key.hpke();
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
    return keys.values().stream().map(SessionPrivateKey::publicKey).toList();
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
