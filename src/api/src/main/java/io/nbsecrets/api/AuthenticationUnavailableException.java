package io.nbsecrets.api;

/**
 * The authority that verifies callers (the Kubernetes API server) could not be asked or refused to
 * answer; the caller is neither accepted nor rejected. Mapped to 503, never to 401. The message
 * never holds a token.
 */
public class AuthenticationUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public AuthenticationUnavailableException(String message) {
    super(message);
  }
}
