package io.nbsecrets.cli;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nbsecrets.http.HttpEndpoint;
import io.nbsecrets.http.HttpLimits;
import io.nbsecrets.http.Probes;
import io.nbsecrets.http.Route;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Liveness, readiness and Prometheus metrics of the operator (and of a key rotation Job), plain
 * HTTP on their own port, on the same {@link HttpEndpoint} as the secrets API: an idle or slow
 * client cannot make the probes hang.
 */
final class ManagementServer implements AutoCloseable {
  private final HttpEndpoint endpoint;

  private ManagementServer(HttpEndpoint endpoint) {
    this.endpoint = endpoint;
  }

  /**
   * Starts on all interfaces.
   *
   * @param live empty while the process does its work (liveness fails otherwise)
   * @param ready empty once it serves (readiness)
   */
  static ManagementServer start(
      int port, PrometheusMeterRegistry registry, Probes.Check live, Probes.Check ready) {
    try {
      HttpEndpoint.Builder builder =
          HttpEndpoint.builder("nbsecrets-management")
              .port(port)
              .limits(HttpLimits.defaults().withThreads(8, 4))
              .maxBody(0, HttpEndpoint.Builder.NO_BODY);
      for (Route route : Probes.routes(live, ready, registry)) {
        builder.route(route);
      }
      return new ManagementServer(builder.start());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on management port " + port, e);
    }
  }

  int port() {
    return endpoint.port();
  }

  @Override
  public void close() {
    endpoint.close();
  }
}
