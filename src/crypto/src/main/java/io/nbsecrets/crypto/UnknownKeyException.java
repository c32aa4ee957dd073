package io.nbsecrets.crypto;

/** The key id named by a record or wrapped key is not among the keys at hand. */
public class UnknownKeyException extends CryptoException {
  private static final long serialVersionUID = 1L;

  private final String keyId;

  /**
   * @param keyId the id from the record's header (a key id is public, not key material)
   */
  public UnknownKeyException(String keyId) {
    super("no key with id " + keyId + " is available");
    this.keyId = keyId;
  }

  /** The id that was looked for. */
  public String keyId() {
    return keyId;
  }
}
