package io.nbsecrets.http;

import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors the server answers itself (a request line it cannot parse, headers over the limit, a URI
 * it refuses, a request while stopping) in the same JSON shape as the handlers' own: {@code
 * {"error": code, "message": text}}.
 *
 * <p>The message is chosen here from the status, never Jetty's reason phrase: that phrase may quote
 * the offending bytes of the request.
 */
final class JsonErrorHandler extends ErrorHandler {
  private final int maxRequestHeaderBytes;

  JsonErrorHandler(int maxRequestHeaderBytes) {
    this.maxRequestHeaderBytes = maxRequestHeaderBytes;
  }

  @Override
  protected void generateResponse(
      Request request,
      Response response,
      int status,
      String message,
      Throwable cause,
      Callback callback) {
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, JsonBodies.JSON);
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.write(true, ByteBuffer.wrap(body(status)), callback);
  }

  private byte[] body(int status) {
    return JsonBodies.error(HttpError.codeOf(status), messageOf(status));
  }

  private String messageOf(int status) {
    return switch (status) {
      case 400 ->
          "the request is not valid HTTP/1.1 (or its path is ambiguous: encoded '/', '.' or '..'"
              + " segments)";
      case 404 -> "no such route";
      case 408 -> "the request took too long to arrive";
      case 413 -> "the request body is too large";
      case 414 -> "the request URI is too long";
      case 431 ->
          "the request line and headers are larger than " + maxRequestHeaderBytes + " bytes";
      case 503 -> "the server is shutting down or busy; try again";
      default -> "the server refused the request (HTTP " + status + ")";
    };
  }
}
