package io.nbsecrets.init;

/**
 * The init step failed; the message says why (never a value) and the container exits non-zero. The
 * reason is a CamelCase word (like a condition's reason) that the init step writes to its
 * termination message, and the operator carries into the session's conditions.
 */
public class InitException extends Exception {
  private static final long serialVersionUID = 1L;

  /** The reason when nothing more precise is known. */
  public static final String INIT_FAILED = "InitFailed";

  private final String reason;

  public InitException(String message) {
    this(INIT_FAILED, message);
  }

  public InitException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  public InitException(String message, Throwable cause) {
    super(message, cause);
    this.reason = INIT_FAILED;
  }

  public String reason() {
    return reason;
  }
}
