package io.nbsecrets.crypto;

/**
 * A cryptographic operation failed. Messages describe the problem and never contain plaintext, keys
 * or whole ciphertexts, so they may be logged and returned to clients. A failed decryption never
 * returns partial plaintext.
 */
public class CryptoException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CryptoException(String message) {
    super(message);
  }

  public CryptoException(String message, Throwable cause) {
    super(message, cause);
  }
}
