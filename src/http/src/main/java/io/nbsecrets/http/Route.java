package io.nbsecrets.http;

import java.util.List;
import java.util.Objects;

/**
 * One route of an {@link HttpEndpoint}: its template, the methods it takes, whether it reads a JSON
 * body and whether its handler may block (a store or API server call).
 *
 * <p>A template is a fixed path, or a fixed prefix and one final {@code {parameter}} segment
 * ({@code /api/v1/secrets/{name}}); the segment is handed over still percent-encoded.
 *
 * @param jsonBody the route reads a body, which must be {@code application/json}
 * @param blocking the handler may wait on something slow; such requests are limited by {@link
 *     HttpLimits#maxBlockingRequests()}
 */
public record Route(
    String template, List<String> methods, boolean jsonBody, boolean blocking, Handler handler) {

  /** Serves one request; answers through the exchange or throws {@link HttpError}. */
  @FunctionalInterface
  public interface Handler {
    void handle(Exchange exchange, String parameter) throws Exception;
  }

  public Route {
    Objects.requireNonNull(template, "template");
    methods = List.copyOf(methods);
    Objects.requireNonNull(handler, "handler");
    int open = template.indexOf('{');
    if (open >= 0 && (template.charAt(open - 1) != '/' || !template.endsWith("}"))) {
      throw new IllegalArgumentException("a parameter must be the last segment: " + template);
    }
  }

  public static Route get(String template, boolean blocking, Handler handler) {
    return new Route(template, List.of("GET"), false, blocking, handler);
  }

  /** The parameter when the path matches ("" for a fixed template), or null. */
  String match(String rawPath) {
    int open = template.indexOf('{');
    if (open < 0) {
      return template.equals(rawPath) ? "" : null;
    }
    String prefix = template.substring(0, open);
    if (rawPath.length() >= prefix.length()
        && rawPath.startsWith(prefix)
        && rawPath.indexOf('/', prefix.length()) < 0) {
      return rawPath.substring(prefix.length());
    }
    return null;
  }
}
