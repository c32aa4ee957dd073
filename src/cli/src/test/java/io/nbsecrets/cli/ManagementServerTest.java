package io.nbsecrets.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The operator's management port (issue 10, rows 2 and 11). */
class ManagementServerTest {
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private HttpResponse<String> get(ManagementServer server, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void idleConnectionsDoNotHangTheProbes() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.counter("nbsecrets_probe_test").increment();
    try (ManagementServer server =
        ManagementServer.start(0, registry, Optional::empty, Optional::empty)) {
      List<Socket> idle = new ArrayList<>();
      try {
        for (int i = 0; i < 50; i++) {
          Socket s = new Socket("127.0.0.1", server.port());
          s.getOutputStream().write('G');
          idle.add(s);
        }
        for (String path : List.of("/healthz", "/readyz", "/metrics")) {
          long start = System.nanoTime();
          HttpResponse<String> r = get(server, path);
          assertThat(r.statusCode()).as(path).isEqualTo(200);
          assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        }
        assertThat(get(server, "/metrics").body()).contains("nbsecrets_probe_test");
      } finally {
        for (Socket s : idle) {
          s.close();
        }
      }
    }
  }

  @Test
  void livenessReflectsTheCheckAndReadinessAsksOnce() throws Exception {
    AtomicReference<Optional<String>> live = new AtomicReference<>(Optional.empty());
    AtomicInteger readyCalls = new AtomicInteger();
    AtomicInteger flip = new AtomicInteger();
    try (ManagementServer server =
        ManagementServer.start(
            0,
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
            live::get,
            () -> {
              readyCalls.incrementAndGet();
              // Alternates on every call: a probe that asked twice could answer 200 with the body
              // of a failure, or the reverse.
              return flip.getAndIncrement() % 2 == 0
                  ? Optional.empty()
                  : Optional.of("starting: informers not yet synced");
            })) {
      assertThat(get(server, "/healthz").statusCode()).isEqualTo(200);
      live.set(Optional.of("unhealthy event sources: NotebookSession [informer]"));
      HttpResponse<String> dead = get(server, "/healthz");
      assertThat(dead.statusCode()).isEqualTo(503);
      assertThat(dead.body()).contains("not_live").contains("unhealthy event sources");

      for (int i = 0; i < 6; i++) {
        HttpResponse<String> r = get(server, "/readyz");
        if (r.statusCode() == 200) {
          assertThat(r.body()).contains("\"ready\"");
        } else {
          assertThat(r.statusCode()).isEqualTo(503);
          assertThat(r.body()).contains("not_ready").contains("starting");
        }
      }
      assertThat(readyCalls.get()).isEqualTo(6);
      HttpResponse<String> unknown = get(server, "/nope");
      assertThat(unknown.statusCode()).isEqualTo(404);
      assertThat(unknown.body()).contains("\"error\":\"not_found\"");
    }
  }
}
