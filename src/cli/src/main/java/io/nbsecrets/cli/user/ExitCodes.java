package io.nbsecrets.cli.user;

/**
 * The exit codes of the user commands ({@code login}, {@code list}, {@code set}, {@code rm}, {@code
 * describe}, {@code logout}): part of the command line's stable interface.
 */
public final class ExitCodes {
  /** Done. */
  public static final int OK = 0;

  /** The API refused the request or failed; its message is printed. */
  public static final int FAILED = 1;

  /**
   * Bad usage or input: an unknown flag, a value on the command line, an invalid name, an empty or
   * too large value (found here before sending, or by the API).
   */
  public static final int USAGE = 2;

  /** No secret of that name. */
  public static final int NOT_FOUND = 3;

  /** Not logged in, or the API refused the token (401, 403): log in again. */
  public static final int NOT_AUTHENTICATED = 4;

  /** The API cannot be reached (connection, TLS, or 503): try again later. */
  public static final int UNAVAILABLE = 5;

  private ExitCodes() {}
}
