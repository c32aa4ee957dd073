package io.nbsecrets.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * One request and its answer, as the handlers see it.
 *
 * <p>A request is answered exactly once: the first of the handler, the request timeout and the
 * error path wins, the others find it answered and do nothing. Every answer carries {@code
 * Cache-Control: no-store} and {@code X-Content-Type-Options: nosniff}.
 */
public final class Exchange {
  private static final Set<String> KNOWN_METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");

  private final Request request;
  private final String clientAddress;
  private final Response response;
  private final Callback callback;
  private final Consumer<Exchange> onAnswered;
  private final AtomicBoolean answered = new AtomicBoolean();
  private final long startNanos = System.nanoTime();
  private volatile String route = "unmatched";
  private volatile String user = "-";
  private volatile int status;
  private volatile long nanos;
  private byte[] body = new byte[0];
  private volatile boolean bodyRead;

  Exchange(
      Request request,
      String clientAddress,
      Response response,
      Callback callback,
      Consumer<Exchange> onAnswered) {
    this.request = request;
    this.clientAddress = clientAddress;
    this.response = response;
    this.callback = callback;
    this.onAnswered = onAnswered;
  }

  /** The method, or {@code other} for a method outside the usual seven (for logs and metrics). */
  public String method() {
    String m = request.getMethod();
    return KNOWN_METHODS.contains(m) ? m : "other";
  }

  /** The address of the connection's peer (the client, or the proxy in front of it). */
  public String remoteAddress() {
    return Request.getRemoteAddr(request);
  }

  /**
   * The client's address: the peer's, or behind a trusted proxy the one its {@code X-Forwarded-For}
   * names ({@link TrustedProxies}). The limits kept per client use it.
   */
  public String clientAddress() {
    return clientAddress;
  }

  /** The path as sent, still percent-encoded. */
  public String rawPath() {
    String path = request.getHttpURI().getPath();
    return path == null ? "" : path;
  }

  /** The first value of a request header, or null. */
  public String header(String name) {
    return request.getHeaders().get(name);
  }

  /** Every value of a request header (several headers of one name are several values). */
  public List<String> headers(String name) {
    return request.getHeaders().getValuesList(name);
  }

  /** The request body (empty for routes that take none); the caller zeroes it after use. */
  public byte[] body() {
    return body;
  }

  void body(byte[] body) {
    this.body = body;
    this.bodyRead = true;
  }

  /**
   * Whether the request came with a body that was not read (an answer given from its head alone:
   * 401, 404, 405, 413, 415). The connection is then closed after the answer: the unread bytes
   * cannot be told from the next request, and a client that sent its next request on it at once
   * would otherwise see the connection close under that request.
   */
  private boolean bodyUnread() {
    if (bodyRead) {
      return false;
    }
    String length = contentLength();
    return (length != null && !length.trim().equals("0"))
        || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
  }

  /** The route template, for the access log and the metric (never the path: it names secrets). */
  public String route() {
    return route;
  }

  public void route(String route) {
    this.route = route;
  }

  /** Who made the request, once known (for the access log). */
  public String user() {
    return user;
  }

  public void user(String user) {
    this.user = user;
  }

  /** The status answered (0 while unanswered). */
  public int status() {
    return status;
  }

  /** From the request's arrival to its answer. */
  public long nanos() {
    return nanos;
  }

  public boolean answered() {
    return answered.get();
  }

  /** Answers with a JSON body; {@code body == null} or 204 sends none. */
  public void json(int status, Object body, Map<String, String> headers) {
    byte[] bytes;
    try {
      bytes = body == null ? null : JsonBodies.WRITER.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("response not serialisable: " + e.getClass().getName(), e);
    }
    send(status, bytes, JsonBodies.JSON, headers);
  }

  public void json(int status, Object body) {
    json(status, body, Map.of());
  }

  /** Answers an error in the one JSON shape. */
  public void fail(HttpError error) {
    send(
        error.status(),
        JsonBodies.error(error.code(), error.getMessage()),
        JsonBodies.JSON,
        error.headers());
  }

  /** Answers with the given bytes; returns false when the request was already answered. */
  public boolean send(int status, byte[] body, String contentType, Map<String, String> headers) {
    if (!answered.compareAndSet(false, true)) {
      return false;
    }
    this.status = status;
    this.nanos = System.nanoTime() - startNanos;
    response.setStatus(status);
    headers.forEach((k, v) -> response.getHeaders().put(k, v));
    if (bodyUnread()) {
      response.getHeaders().put(HttpHeader.CONNECTION, "close");
    }
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.getHeaders().put("X-Content-Type-Options", "nosniff");
    try {
      if (body == null || status == 204) {
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0L);
        response.write(true, null, callback);
      } else {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
      }
    } finally {
      onAnswered.accept(this);
    }
    return true;
  }

  String contentLength() {
    return request.getHeaders().get(HttpHeader.CONTENT_LENGTH);
  }
}
