package io.nbsecrets.api;

import io.nbsecrets.http.HttpError;
import java.util.Map;

/**
 * A request the secrets API answers with an error: the HTTP status, a stable machine-readable code
 * and a message for people. Messages say what is wrong and never quote a value or a token.
 */
public class ApiException extends HttpError {
  private static final long serialVersionUID = 1L;

  public ApiException(int status, String code, String message) {
    super(status, code, message);
  }

  public ApiException(int status, String code, String message, Map<String, String> headers) {
    super(status, code, message, headers);
  }

  public static ApiException badRequest(String code, String message) {
    return new ApiException(400, code, message);
  }
}
