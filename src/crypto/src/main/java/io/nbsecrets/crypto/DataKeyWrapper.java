package io.nbsecrets.crypto;

/**
 * Wraps a record's data key for the outer layer ({@link Envelope#seal}): the session public key
 * (RSA-OAEP), or a Vault Transit key. What the secrets API holds.
 */
public interface DataKeyWrapper {

  /** The id written into a record's header; {@link DataKeyUnwrapper}s find their key by it. */
  String keyId();

  /** The wrapped data key. Implementations never keep or log {@code dataKey}. */
  byte[] wrap(byte[] dataKey);
}
