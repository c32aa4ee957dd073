package io.nbsecrets.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.nbsecrets.dev.FakeTokenAuthority;
import io.nbsecrets.model.TokenExpiry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TokenReviewAuthenticatorTest {
  static KubernetesMockServer server;
  static KubernetesClient client;
  static final FakeTokenAuthority authority = new FakeTokenAuthority();

  @BeforeAll
  static void start() {
    server = FakeTokenAuthority.newMockServer();
    server.start();
    authority.install(server);
    client = server.createClient();
  }

  @AfterAll
  static void stop() {
    client.close();
    server.destroy();
  }

  /** A client that does not retry, against a server of its own. */
  static KubernetesClient plainClient(KubernetesMockServer s) {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(s.url("/"))
            .withRequestRetryBackoffLimit(0)
            .withOauthToken("operator-token")
            .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  @Test
  void userTokenIsReviewedWithTheApiServersAudience() {
    TokenReviewAuthenticator auth = new TokenReviewAuthenticator(client);
    String token = authority.userToken("oidc:alice", List.of("data-science"));
    Identity id = auth.authenticate(token, List.of()).orElseThrow();
    assertThat(id.username()).isEqualTo("oidc:alice");
    assertThat(id.uid()).isNotBlank();
    assertThat(id.groups()).contains("data-science", "system:authenticated");
    assertThat(id.extra()).isEmpty();
    // Asked for the pod audience, a user token is not valid.
    assertThat(auth.authenticate(token, List.of("nbsecrets"))).isEmpty();
  }

  @Test
  void podTokenCarriesThePodAndNeedsItsAudience() {
    TokenReviewAuthenticator auth = new TokenReviewAuthenticator(client);
    String token =
        authority.podToken("ns1", "default", "nb-0", "uid-1", "nbsecrets", Duration.ofMinutes(5));
    Identity id = auth.authenticate(token, List.of("nbsecrets")).orElseThrow();
    assertThat(id.username()).isEqualTo("system:serviceaccount:ns1:default");
    assertThat(id.singleExtra(SessionPodResolver.POD_NAME_EXTRA)).contains("nb-0");
    assertThat(id.singleExtra(SessionPodResolver.POD_UID_EXTRA)).contains("uid-1");
    assertThat(id.groups()).contains("system:serviceaccounts:ns1");
    assertThat(auth.authenticate(token, List.of())).isEmpty();
    assertThat(auth.authenticate(token, List.of("other"))).isEmpty();
  }

  @Test
  void answersArePositivelyAndNegativelyCachedForTheTtl() {
    AtomicLong now = new AtomicLong();
    TokenReviewAuthenticator auth =
        new TokenReviewAuthenticator(
            client, Duration.ofSeconds(10), 100, now::get, Clock.systemUTC());
    String good = authority.userToken("bob", List.of());
    int before = authority.reviewCount();

    assertThat(auth.authenticate(good, List.of())).isPresent();
    assertThat(auth.authenticate(good, List.of())).isPresent();
    assertThat(auth.authenticate("bad-token", List.of())).isEmpty();
    assertThat(auth.authenticate("bad-token", List.of())).isEmpty();
    assertThat(authority.reviewCount() - before).isEqualTo(2);

    // Another audience is another question.
    assertThat(auth.authenticate(good, List.of("nbsecrets"))).isEmpty();
    assertThat(authority.reviewCount() - before).isEqualTo(3);

    // Revocation shows once the TTL has passed.
    authority.revoke(good);
    now.addAndGet(Duration.ofSeconds(9).toNanos());
    assertThat(auth.authenticate(good, List.of())).isPresent();
    now.addAndGet(Duration.ofSeconds(2).toNanos());
    assertThat(auth.authenticate(good, List.of())).isEmpty();
    assertThat(authority.reviewCount() - before).isEqualTo(4);
  }

  @Test
  void anAcceptanceIsNotKeptPastTheTokensOwnExpiry() {
    AtomicLong now = new AtomicLong();
    TokenReviewAuthenticator auth =
        new TokenReviewAuthenticator(
            client, Duration.ofSeconds(10), 100, now::get, Clock.systemUTC());
    // A pod token (a JWT, as the kubelet's are) with 3 s left, and one with an hour.
    String shortLived =
        authority.asJwt(
            authority.podToken(
                "ns1", "default", "nb-0", "uid-1", "nbsecrets", Duration.ofSeconds(3)));
    String longLived =
        authority.asJwt(
            authority.podToken(
                "ns1", "default", "nb-0", "uid-1", "nbsecrets", Duration.ofHours(1)));
    int before = authority.reviewCount();
    assertThat(auth.authenticate(shortLived, List.of("nbsecrets"))).isPresent();
    assertThat(auth.authenticate(longLived, List.of("nbsecrets"))).isPresent();
    assertThat(authority.reviewCount() - before).isEqualTo(2);

    // 4 s later (by the cache's clock), within the TTL: the long-lived answer is reused, the
    // short-lived token is asked about again, for its answer was kept only while it lived.
    now.addAndGet(Duration.ofSeconds(4).toNanos());
    auth.authenticate(longLived, List.of("nbsecrets"));
    assertThat(authority.reviewCount() - before).isEqualTo(2);
    auth.authenticate(shortLived, List.of("nbsecrets"));
    assertThat(authority.reviewCount() - before).isEqualTo(3);
  }

  @Test
  void theExpiryIsReadFromAJwtsPayloadAndNothingElse() {
    String jwt =
        authority.asJwt(
            authority.podToken(
                "ns1", "default", "nb-0", "uid-1", "nbsecrets", Duration.ofMinutes(5)));
    long exp = TokenExpiry.epochSeconds(jwt).orElseThrow();
    assertThat(exp)
        .isBetween(
            Instant.now().plusSeconds(290).getEpochSecond(),
            Instant.now().plusSeconds(301).getEpochSecond());
    assertThat(TokenExpiry.epochSeconds(authority.userToken("bob", List.of()))).isEmpty();
    assertThat(TokenExpiry.epochSeconds("a.b.c")).isEmpty();
    assertThat(TokenExpiry.epochSeconds("a.e30.c")).isEmpty(); // {}
    assertThat(TokenExpiry.epochSeconds("a.eyJleHAiOiJzb29uIn0.c")).isEmpty(); // {"exp":"soon"}
    assertThat(TokenExpiry.epochSeconds("a.eyJleHAiOjE3MDB9.c")).hasValue(1700L); // {"exp":1700}
    assertThat(TokenExpiry.nanosLeft("a.eyJleHAiOjE3MDB9.c", Instant.ofEpochSecond(1800)))
        .hasValue(0L);
    // {"exp":9223372036854775807}: beyond any horizon, no cap (and no overflow).
    assertThat(TokenExpiry.nanosLeft("a.eyJleHAiOjkyMjMzNzIwMzY4NTQ3NzU4MDd9.c", Instant.now()))
        .isEmpty();
  }

  @Test
  void cacheIsBoundedAndKeyedByDigest() {
    TokenReviewAuthenticator auth =
        new TokenReviewAuthenticator(
            client, Duration.ofSeconds(10), 3, System::nanoTime, Clock.systemUTC());
    for (int i = 0; i < 10; i++) {
      auth.authenticate(authority.userToken("user-" + i, List.of()), List.of());
      auth.authenticate("unknown-" + i, List.of());
    }
    // At most 3 acceptances, and a tenth of that (at least 1) refusals.
    assertThat(auth.cachedEntries()).isEqualTo(3 + 1);
  }

  @Test
  void aFloodOfMadeUpTokensDoesNotPushOutTheUsersAcceptances() {
    TokenReviewAuthenticator auth =
        new TokenReviewAuthenticator(
            client, Duration.ofSeconds(10), 20, System::nanoTime, Clock.systemUTC());
    List<String> users = List.of("ann", "ben", "cat");
    List<String> tokens = users.stream().map(u -> authority.userToken(u, List.of())).toList();
    for (String token : tokens) {
      assertThat(auth.authenticate(token, List.of())).isPresent();
    }
    for (int i = 0; i < 500; i++) {
      assertThat(auth.authenticate("made-up-" + i, List.of())).isEmpty();
    }
    // 3 acceptances and at most a tenth of the 20 for the refusals.
    assertThat(auth.cachedEntries()).isEqualTo(3 + 2);
    int before = authority.reviewCount();
    for (String token : tokens) {
      assertThat(auth.authenticate(token, List.of())).isPresent();
    }
    assertThat(authority.reviewCount())
        .as("the users' answers came from the cache")
        .isEqualTo(before);
  }

  @Test
  void blankOrHugeTokensAreNotSentToTheApiServer() {
    TokenReviewAuthenticator auth = new TokenReviewAuthenticator(client);
    int before = authority.reviewCount();
    assertThat(auth.authenticate("", List.of())).isEmpty();
    assertThat(auth.authenticate(null, List.of())).isEmpty();
    assertThat(auth.authenticate("x".repeat(20_000), List.of())).isEmpty();
    assertThat(authority.reviewCount()).isEqualTo(before);
  }

  @Test
  void apiServerFailureIsUnavailableNotUnauthenticatedAndIsNotCached() {
    KubernetesMockServer failing = FakeTokenAuthority.newMockServer();
    failing.start();
    failing
        .expect()
        .post()
        .withPath(FakeTokenAuthority.TOKEN_REVIEW_PATH)
        .andReturn(
            403,
            new StatusBuilder()
                .withCode(403)
                .withMessage("tokenreviews is forbidden: User cannot create resource")
                .build())
        .once();
    authority.install(failing);
    try (KubernetesClient c = plainClient(failing)) {
      TokenReviewAuthenticator auth = new TokenReviewAuthenticator(c);
      String token = authority.userToken("carol", List.of());
      assertThatThrownBy(() -> auth.authenticate(token, List.of()))
          .isInstanceOf(AuthenticationUnavailableException.class)
          .hasMessageContaining("403")
          .hasMessageNotContaining(token);
      assertThat(auth.cachedEntries()).isZero();
      // The next attempt reaches the (now answering) API server.
      assertThat(auth.authenticate(token, List.of())).isPresent();
    } finally {
      failing.destroy();
    }
  }

  @Test
  void unreachableApiServerIsUnavailable() {
    KubernetesMockServer gone = FakeTokenAuthority.newMockServer();
    gone.start();
    KubernetesClient c = plainClient(gone);
    gone.destroy();
    try (c) {
      TokenReviewAuthenticator auth = new TokenReviewAuthenticator(c);
      assertThatThrownBy(() -> auth.authenticate("some-token", List.of()))
          .isInstanceOf(AuthenticationUnavailableException.class);
    }
  }

  @Test
  void anAnswerThatDoesNotConfirmTheAudienceIsNotTrusted() {
    KubernetesMockServer unaware = FakeTokenAuthority.newMockServer();
    unaware.start();
    // An audience-unaware authenticator: authenticated, but no status.audiences.
    TokenReview answer =
        new TokenReviewBuilder()
            .withNewStatus()
            .withAuthenticated(true)
            .withNewUser()
            .withUsername("system:serviceaccount:ns:default")
            .endUser()
            .endStatus()
            .build();
    unaware
        .expect()
        .post()
        .withPath(FakeTokenAuthority.TOKEN_REVIEW_PATH)
        .andReturn(201, answer)
        .always();
    try (KubernetesClient c = plainClient(unaware)) {
      TokenReviewAuthenticator auth = new TokenReviewAuthenticator(c);
      assertThat(auth.authenticate("t", List.of("nbsecrets"))).isEmpty();
      Optional<Identity> noAudience = auth.authenticate("t", List.of());
      assertThat(noAudience).isPresent();
    } finally {
      unaware.destroy();
    }
  }
}
