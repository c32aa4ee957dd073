package io.nbsecrets.api;

import java.util.Map;

/**
 * A request the API answers with an error: the HTTP status, a stable machine-readable code and a
 * message for people. Messages say what is wrong and never quote a value or a token.
 */
public class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;
  private final transient Map<String, String> headers;

  public ApiException(int status, String code, String message) {
    this(status, code, message, Map.of());
  }

  public ApiException(int status, String code, String message, Map<String, String> headers) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.headers = Map.copyOf(headers);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  /** Extra response headers (for example {@code WWW-Authenticate} or {@code Allow}). */
  public Map<String, String> headers() {
    return headers;
  }

  static ApiException badRequest(String code, String message) {
    return new ApiException(400, code, message);
  }
}
