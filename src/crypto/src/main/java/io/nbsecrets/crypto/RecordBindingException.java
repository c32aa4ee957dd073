package io.nbsecrets.crypto;

/**
 * A record is bound to another owner or secret name than the one it was read for: it was copied to
 * another user or renamed. The message never names the owner.
 */
public class RecordBindingException extends CryptoException {
  private static final long serialVersionUID = 1L;

  public RecordBindingException(String message) {
    super(message);
  }
}
