package io.nbsecrets.crypto;

/**
 * Authentication failed (GCM tag, HMAC or RSA-OAEP check): the data was tampered with, or it was
 * encrypted under another key, or (for wrapped user keys) for another user.
 */
public class IntegrityException extends CryptoException {
  private static final long serialVersionUID = 1L;

  public IntegrityException(String message) {
    super(message);
  }

  public IntegrityException(String message, Throwable cause) {
    super(message, cause);
  }
}
