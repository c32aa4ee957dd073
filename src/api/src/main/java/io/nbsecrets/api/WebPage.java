package io.nbsecrets.api;

import io.nbsecrets.http.Route;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The secrets page: three static files (no framework, no external asset, so it works in an
 * air-gapped cluster) served with a strict Content-Security-Policy: scripts and styles from this
 * origin only, no inline script, no framing, requests to this origin only. The page talks to the
 * same API as the CLI, with the user's token (kept in the page's memory only) or, behind an
 * authenticating proxy, with the header the proxy adds.
 */
final class WebPage {
  static final String CSP =
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
          + " img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

  private WebPage() {}

  static List<Route> routes() {
    return List.of(
        file("/", "index.html", "text/html; charset=utf-8"),
        file("/app.js", "app.js", "text/javascript; charset=utf-8"),
        file("/app.css", "app.css", "text/css; charset=utf-8"));
  }

  private static Route file(String path, String name, String contentType) {
    byte[] bytes = load(name);
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Security-Policy", CSP);
    headers.put("X-Content-Type-Options", "nosniff");
    headers.put("X-Frame-Options", "DENY");
    headers.put("Referrer-Policy", "no-referrer");
    headers.put("Cache-Control", "no-cache");
    Map<String, String> fixed = Map.copyOf(headers);
    return Route.get(path, false, (exchange, p) -> exchange.send(200, bytes, contentType, fixed));
  }

  private static byte[] load(String name) {
    try (InputStream in = WebPage.class.getResourceAsStream("web/" + name)) {
      if (in == null) {
        throw new IllegalStateException("web/" + name + " is missing from the jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
