package io.nbsecrets.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.nbsecrets.api.ApiFixture.Reply;
import io.nbsecrets.dev.FakeTokenAuthority;
import io.nbsecrets.http.HttpLimits;
import java.net.ConnectException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Configurable behaviour and failure modes, each on a server of its own. */
class ApiOptionsTest {

  @Test
  void usernamePrefixIsStrippedAndRequired() {
    try (ApiFixture f = new ApiFixture(ApiConfig.defaults().withUsernamePrefixToStrip("oidc:"))) {
      String token = f.authority.userToken("oidc:alice", List.of());
      assertThat(f.put("k", token, "v").status()).isEqualTo(201);
      assertThat(f.store.list("alice")).hasSize(1);
      assertThat(f.store.list("oidc:alice")).isEmpty();

      Reply other = f.get("/api/v1/secrets", f.authority.userToken("alice", List.of()));
      assertThat(other.status()).isEqualTo(403);
      assertThat(other.json().get("message").asText()).contains("identity provider");

      Reply empty = f.get("/api/v1/secrets", f.authority.userToken("oidc:", List.of()));
      assertThat(empty.status()).isEqualTo(403);
    }
  }

  @Test
  void serviceAccountUsersCanBeAllowed() {
    try (ApiFixture f = new ApiFixture(ApiConfig.defaults().withAllowServiceAccountUsers(true))) {
      String sa =
          f.authority.podToken(
              "ci",
              "deployer",
              "job-0",
              "uid",
              FakeTokenAuthority.API_SERVER_AUDIENCE,
              Duration.ofMinutes(5));
      assertThat(f.put("k", sa, "v").status()).isEqualTo(201);
      assertThat(f.store.list("system:serviceaccount:ci:deployer")).hasSize(1);
      // Other system users stay out.
      String node = f.authority.userToken("system:node:worker-1", List.of());
      assertThat(f.get("/api/v1/secrets", node).status()).isEqualTo(403);
    }
  }

  @Test
  void customPodTokenAudience() {
    try (ApiFixture f =
        new ApiFixture(ApiConfig.defaults().withPodTokenAudience("secrets.example"))) {
      String token =
          f.authority.podToken("ns", "default", "p", "u", "nbsecrets", Duration.ofMinutes(5));
      Reply r = f.call("POST", "/api/v1/init/user-key", token, null);
      assertThat(r.status()).isEqualTo(403);
      assertThat(r.json().get("message").asText()).contains("audience secrets.example");
    }
  }

  @Test
  void authenticatorOutageIs503Not401() {
    Authenticator down =
        (token, audiences) -> {
          throw new AuthenticationUnavailableException("API server down (test)");
        };
    try (ApiFixture f = new ApiFixture(ApiConfig.defaults(), b -> b.authenticator(down))) {
      Reply list = f.get("/api/v1/secrets", "any-token");
      assertThat(list.status()).isEqualTo(503);
      assertThat(list.json().get("error").asText()).isEqualTo("authentication_unavailable");
      assertThat(list.header("WWW-Authenticate")).isNull();
      Reply init = f.call("POST", "/api/v1/init/user-key", "any-token", null);
      assertThat(init.status()).isEqualTo(503);
      // Liveness does not depend on the API server.
      assertThat(f.get("/healthz", null).status()).isEqualTo(200);
    }
  }

  @Test
  void initEndpointWithoutResolverRefusesEveryone() {
    try (ApiFixture f = new ApiFixture(ApiConfig.defaults(), b -> b.podResolver(null))) {
      String token =
          f.authority.podToken("ns", "default", "p", "u", "nbsecrets", Duration.ofMinutes(5));
      assertThat(f.call("POST", "/api/v1/init/user-key", token, null).status()).isEqualTo(403);
    }
  }

  @Test
  void internalErrorsAreGeneric500s() {
    try (ApiFixture f = new ApiFixture();
        var expected = io.nbsecrets.testing.ExpectedLogs.expect(ApiServer.class)) {
      // A corrupt wrapped user key in the store: unwrapping fails inside the request.
      f.store.putUserKeyIfAbsent("gina", "corrupt-wrapped-key");
      Reply r = f.put("k", f.userToken("gina"), "v");
      assertThat(r.status()).isEqualTo(500);
      assertThat(expected.errors()).as("the internal error is logged").isEqualTo(1);
      assertThat(r.json().get("error").asText()).isEqualTo("internal_error");
      assertThat(r.json().get("message").asText()).isEqualTo("internal error");
    }
  }

  @Test
  void metricsNeedAPrometheusRegistry() {
    try (ApiFixture f = new ApiFixture(ApiConfig.defaults(), b -> b.meterRegistry(null))) {
      assertThat(f.get("/metrics", null).status()).isEqualTo(404);
      assertThat(f.get("/healthz", null).status()).isEqualTo(200);
    }
  }

  @Test
  void closeLetsRunningRequestsFinishThenStops() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ApiFixture f =
        new ApiFixture(
            ApiConfig.defaults(),
            b ->
                b.readiness(
                    () -> {
                      entered.countDown();
                      try {
                        return release.await(10, TimeUnit.SECONDS);
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                      }
                    }));
    int port = f.server.port();
    CompletableFuture<HttpResponse<String>> slow =
        f.http.sendAsync(
            HttpRequest.newBuilder(f.uri("/readyz")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<Void> closing = CompletableFuture.runAsync(f::close);
    Thread.sleep(200);
    assertThat(closing).isNotDone();
    release.countDown();
    assertThat(slow.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    closing.get(10, TimeUnit.SECONDS);
    // The port is closed afterwards.
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 1000);
      throw new AssertionError("still listening");
    } catch (ConnectException expected) {
      assertThat(expected).isNotNull();
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void aBurstOfBlockingRequestsQueuesBeyondItsThreadsAndOnlyTheOverflowIsShed() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch entered = new CountDownLatch(2);
    AtomicInteger served = new AtomicInteger();
    ApiFixture f =
        new ApiFixture(
            ApiConfig.defaults(),
            b ->
                b.http(h -> h.limits(HttpLimits.defaults().withThreads(8, 2).withQueue(1)))
                    .readiness(
                        () -> {
                          served.incrementAndGet();
                          entered.countDown();
                          try {
                            return release.await(10, TimeUnit.SECONDS);
                          } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return false;
                          }
                        },
                        false));
    try {
      List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        held.add(readyz(f));
      }
      assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
      // Both threads of the blocking routes are taken. Of two more blocking requests, one waits
      // in the queue (one place) and the other is refused at once with 503 and Retry-After.
      CompletableFuture<HttpResponse<String>> third = readyz(f);
      CompletableFuture<HttpResponse<String>> fourth = readyz(f);
      HttpResponse<String> refused =
          (HttpResponse<String>) CompletableFuture.anyOf(third, fourth).get(10, TimeUnit.SECONDS);
      CompletableFuture<HttpResponse<String>> queued = third.isDone() ? fourth : third;
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.body()).contains("\"busy\"");
      assertThat(refused.headers().firstValue("Retry-After")).contains("1");
      // The cheap probe is still answered, and the queued request still waits.
      assertThat(f.get("/healthz", null).status()).isEqualTo(200);
      assertThat(queued).isNotDone();
      assertThat(served).hasValue(2);
      release.countDown();
      for (CompletableFuture<HttpResponse<String>> c : held) {
        assertThat(c.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      }
      // The queued one was served once a thread was free.
      assertThat(queued.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      assertThat(f.get("/readyz", null).status()).isEqualTo(200);
    } finally {
      release.countDown();
      f.close();
    }
  }

  private static CompletableFuture<HttpResponse<String>> readyz(ApiFixture f) {
    return f.http.sendAsync(
        HttpRequest.newBuilder(f.uri("/readyz")).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
