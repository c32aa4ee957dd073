package io.nbsecrets.api;

import io.nbsecrets.http.Route;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The API's OpenAPI 3.1 document ({@code openapi.json} beside this class), served as it is: written
 * by hand, kept true by {@code OpenApiContractTest}, which checks every route, status code and
 * answer's shape against it.
 */
final class OpenApiDocument {
  private static final byte[] DOCUMENT = load();

  private OpenApiDocument() {}

  private static byte[] load() {
    try (InputStream in = OpenApiDocument.class.getResourceAsStream("openapi.json")) {
      if (in == null) {
        throw new IllegalStateException("openapi.json is missing from the jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The document's bytes (a copy). */
  static byte[] bytes() {
    return DOCUMENT.clone();
  }

  static Route route(String template) {
    return Route.get(
        template,
        false,
        (exchange, p) ->
            exchange.send(
                200, DOCUMENT, "application/json", Map.of("Cache-Control", "max-age=3600")));
  }
}
