package io.nbsecrets.init;

/** The init step failed; the message says why (never a value) and the container exits non-zero. */
public class InitException extends Exception {
  private static final long serialVersionUID = 1L;

  public InitException(String message) {
    super(message);
  }

  public InitException(String message, Throwable cause) {
    super(message, cause);
  }
}
