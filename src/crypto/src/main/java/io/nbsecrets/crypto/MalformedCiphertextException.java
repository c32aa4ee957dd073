package io.nbsecrets.crypto;

/**
 * A ciphertext, token or record cannot be parsed: truncated, bad base64, wrong number of parts,
 * wrong lengths or an unknown version.
 */
public class MalformedCiphertextException extends CryptoException {
  private static final long serialVersionUID = 1L;

  public MalformedCiphertextException(String message) {
    super(message);
  }

  public MalformedCiphertextException(String message, Throwable cause) {
    super(message, cause);
  }
}
