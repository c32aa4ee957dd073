package io.nbsecrets.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

/** Liveness, readiness and Prometheus metrics of the operator. */
final class ManagementServer implements AutoCloseable {
  private final HttpServer server;

  private ManagementServer(HttpServer server) {
    this.server = server;
  }

  static ManagementServer start(int port, PrometheusMeterRegistry registry, BooleanSupplier ready) {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
      server.createContext("/healthz", ex -> reply(ex, 200, "ok\n"));
      server.createContext(
          "/readyz",
          ex ->
              reply(
                  ex,
                  ready.getAsBoolean() ? 200 : 503,
                  ready.getAsBoolean() ? "ok\n" : "starting\n"));
      server.createContext("/metrics", ex -> reply(ex, 200, registry.scrape()));
      server.start();
      return new ManagementServer(server);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on management port " + port, e);
    }
  }

  private static void reply(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
