package io.nbsecrets.crypto;

/**
 * Unwraps a record's data key ({@link Envelope#open}): the session private keys, a Vault Transit
 * key, or both during a migration; and holds the HPKE keys that open {@code nbs2} records. What the
 * operator holds.
 */
public interface DataKeyUnwrapper {

  /**
   * The data key {@code wrapped} under key {@code keyId}.
   *
   * @throws UnknownKeyException if no key here has {@code keyId}
   * @throws MalformedCiphertextException if {@code wrapped} cannot be a wrapped key of {@code
   *     keyId}
   * @throws IntegrityException if unwrapping fails (changed, or wrapped under another key)
   */
  byte[] unwrap(String keyId, byte[] wrapped);

  /** Whether this unwrapper holds key {@code keyId} (without unwrapping anything). */
  boolean holds(String keyId);

  /**
   * The HPKE key pair {@code keyId}, which opens {@code nbs2} records itself (no data key to
   * unwrap), or null when not held. Only session key rings hold HPKE keys.
   */
  default HpkeKeyPair hpkeKey(String keyId) {
    return null;
  }

  /**
   * The first of {@code unwrappers} that holds a record's key id unwraps it (the session RSA keys
   * and a Vault Transit key side by side, while records move from one to the other).
   */
  static DataKeyUnwrapper either(DataKeyUnwrapper... unwrappers) {
    java.util.List<DataKeyUnwrapper> all = java.util.List.of(unwrappers);
    return new DataKeyUnwrapper() {
      @Override
      public byte[] unwrap(String keyId, byte[] wrapped) {
        for (DataKeyUnwrapper u : all) {
          if (u.holds(keyId)) {
            return u.unwrap(keyId, wrapped);
          }
        }
        throw new UnknownKeyException(keyId);
      }

      @Override
      public boolean holds(String keyId) {
        return all.stream().anyMatch(u -> u.holds(keyId));
      }

      @Override
      public HpkeKeyPair hpkeKey(String keyId) {
        for (DataKeyUnwrapper u : all) {
          HpkeKeyPair key = u.hpkeKey(keyId);
          if (key != null) {
            return key;
          }
        }
        return null;
      }

      @Override
      public String toString() {
        return "either" + all;
      }
    };
  }
}
