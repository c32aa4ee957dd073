package io.nbsecrets.http;

import java.util.Map;

/**
 * A request answered with an error: the HTTP status, a stable machine-readable code and a message
 * for people. Messages say what is wrong and never quote a value or a token.
 */
public class HttpError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;
  private final transient Map<String, String> headers;

  public HttpError(int status, String code, String message) {
    this(status, code, message, Map.of());
  }

  public HttpError(int status, String code, String message, Map<String, String> headers) {
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

  /** Extra response headers (for example {@code WWW-Authenticate}, {@code Allow}). */
  public Map<String, String> headers() {
    return headers;
  }

  public static HttpError badRequest(String code, String message) {
    return new HttpError(400, code, message);
  }

  /** The code of an error the server itself answers (a bad request line, headers too large). */
  static String codeOf(int status) {
    return switch (status) {
      case 400 -> "bad_request";
      case 404 -> "not_found";
      case 405 -> "method_not_allowed";
      case 408 -> "request_timeout";
      case 413 -> "body_too_large";
      case 414 -> "uri_too_long";
      case 415 -> "unsupported_media_type";
      case 431 -> "headers_too_large";
      case 500 -> "internal_error";
      case 501 -> "not_implemented";
      case 503 -> "unavailable";
      case 505 -> "http_version_not_supported";
      default -> "http_" + status;
    };
  }
}
