package io.nbsecrets.cli.user;

/**
 * A user command's failure: the message printed after {@code nbsecrets: }, and the exit code that
 * scripts rely on ({@link ExitCodes}). Never holds a secret value or a token.
 */
public final class CliFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int exitCode;

  public CliFailure(int exitCode, String message) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }
}
