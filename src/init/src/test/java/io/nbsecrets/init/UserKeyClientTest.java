package io.nbsecrets.init;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class UserKeyClientTest {
  private HttpServer server;
  private final List<String> authHeaders = new ArrayList<>();

  private String serve(int... statuses) throws Exception {
    AtomicInteger call = new AtomicInteger();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        UserKeyClient.PATH,
        ex -> {
          authHeaders.add(ex.getRequestHeaders().getFirst("Authorization"));
          int status = statuses[Math.min(call.getAndIncrement(), statuses.length - 1)];
          byte[] body =
              (status == 200
                      ? "{\"user\":\"alice\",\"key\":\"k\"}"
                      : "{\"error\":\"forbidden\",\"message\":\"pod does not belong to a session\"}")
                  .getBytes(StandardCharsets.UTF_8);
          if (status == 429) {
            ex.getResponseHeaders().add("Retry-After", "1");
          }
          ex.sendResponseHeaders(status, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    server.start();
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  @Test
  void presentsThePodTokenAndReturnsTheKey() throws Exception {
    var key =
        new UserKeyClient(serve(200), ApiTrust.insecureHttpAllowed(), 3, Duration.ofMillis(1))
            .fetch("pod-token");
    assertThat(key.user()).isEqualTo("alice");
    assertThat(key.toString()).doesNotContain("k}").doesNotContain("key=");
    assertThat(authHeaders).containsExactly("Bearer pod-token");
  }

  @Test
  void retriesServerErrorsThenSucceeds() throws Exception {
    var key =
        new UserKeyClient(
                serve(503, 503, 200), ApiTrust.insecureHttpAllowed(), 5, Duration.ofMillis(1))
            .fetch("t");
    assertThat(key.key()).isEqualTo("k");
    assertThat(authHeaders).hasSize(3);
  }

  @Test
  void a429IsRetriedAfterTheSecondsItAsksForNotTakenForARefusal() throws Exception {
    long start = System.nanoTime();
    var key =
        new UserKeyClient(serve(429, 200), ApiTrust.insecureHttpAllowed(), 5, Duration.ofMillis(1))
            .fetch("t");
    assertThat(key.key()).isEqualTo("k");
    assertThat(authHeaders).hasSize(2);
    // Retry-After: 1, not the 1 ms backoff.
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void retryAfterIsReadAsSecondsAndCapped() {
    assertThat(UserKeyClient.retryAfter("2")).isEqualTo(Duration.ofSeconds(2));
    assertThat(UserKeyClient.retryAfter("3600")).isEqualTo(UserKeyClient.MAX_RETRY_AFTER);
    assertThat(UserKeyClient.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT")).isEqualTo(Duration.ZERO);
    assertThat(UserKeyClient.retryAfter(null)).isEqualTo(Duration.ZERO);
  }

  @Test
  void refusalFailsFastWithTheApisMessage() throws Exception {
    UserKeyClient client =
        new UserKeyClient(serve(403), ApiTrust.insecureHttpAllowed(), 5, Duration.ofMillis(1));
    assertThatThrownBy(() -> client.fetch("t"))
        .isInstanceOf(InitException.class)
        .hasMessageContaining("403")
        .hasMessageContaining("pod does not belong to a session");
    assertThat(authHeaders).hasSize(1);
  }

  @Test
  void unreachableApiFailsAfterRetries() throws Exception {
    UserKeyClient client =
        new UserKeyClient(
            "http://127.0.0.1:1", ApiTrust.insecureHttpAllowed(), 2, Duration.ofMillis(1));
    assertThatThrownBy(() -> client.fetch("t"))
        .isInstanceOf(InitException.class)
        .hasMessageContaining("after 2 attempts");
  }
}
