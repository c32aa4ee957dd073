package io.nbsecrets.crypto;

/**
 * A Fernet token is outside its validity window: older than the TTL, or its timestamp is more than
 * the allowed clock skew in the future. Only raised when a TTL was asked for.
 */
public class TokenExpiredException extends CryptoException {
  private static final long serialVersionUID = 1L;

  public TokenExpiredException(String message) {
    super(message);
  }
}
