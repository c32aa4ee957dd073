package io.nbsecrets.dev;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class FakeTokenAuthorityTest {

  /** A clock tests can move. */
  static final class MutableClock extends Clock {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  static TokenReviewStatus review(FakeTokenAuthority a, String token, String... audiences) {
    TokenReview request =
        new TokenReviewBuilder()
            .withNewSpec()
            .withToken(token)
            .withAudiences(audiences.length == 0 ? null : List.of(audiences))
            .endSpec()
            .build();
    TokenReview answer = a.review(request);
    assertThat(answer.getSpec().getToken()).isEqualTo(token);
    return answer.getStatus();
  }

  @Test
  void userTokensAreValidForTheApiServerAudienceOnly() {
    FakeTokenAuthority a = new FakeTokenAuthority();
    String token = a.userToken("oidc:alice", List.of("team-a"));
    assertThat(token).doesNotContain("alice").hasSizeGreaterThan(30);

    TokenReviewStatus ok = review(a, token);
    assertThat(ok.getAuthenticated()).isTrue();
    assertThat(ok.getUser().getUsername()).isEqualTo("oidc:alice");
    assertThat(ok.getUser().getUid()).isNotBlank();
    assertThat(ok.getUser().getGroups()).containsExactly("team-a", "system:authenticated");
    assertThat(ok.getUser().getExtra()).isNullOrEmpty();
    assertThat(ok.getAudiences()).containsExactly(FakeTokenAuthority.API_SERVER_AUDIENCE);
    assertThat(review(a, token, FakeTokenAuthority.API_SERVER_AUDIENCE).getAuthenticated())
        .isTrue();

    TokenReviewStatus other = review(a, token, "nbsecrets");
    assertThat(other.getAuthenticated()).isFalse();
    assertThat(other.getUser()).isNull();
    assertThat(other.getError()).contains("audiences");
  }

  @Test
  void podTokensCarryThePodAndTheirAudience() {
    FakeTokenAuthority a = new FakeTokenAuthority();
    String token = a.podToken("ns1", "runner", "nb-0", "uid-9", "nbsecrets", Duration.ofHours(1));

    TokenReviewStatus ok = review(a, token, "nbsecrets", "other");
    assertThat(ok.getAuthenticated()).isTrue();
    assertThat(ok.getAudiences()).containsExactly("nbsecrets");
    assertThat(ok.getUser().getUsername()).isEqualTo("system:serviceaccount:ns1:runner");
    assertThat(ok.getUser().getGroups())
        .containsExactly(
            "system:serviceaccounts", "system:serviceaccounts:ns1", "system:authenticated");
    assertThat(ok.getUser().getExtra())
        .containsEntry("authentication.kubernetes.io/pod-name", List.of("nb-0"))
        .containsEntry("authentication.kubernetes.io/pod-uid", List.of("uid-9"));

    // Without requested audiences the API server's own is required, which the token lacks.
    TokenReviewStatus none = review(a, token);
    assertThat(none.getAuthenticated()).isFalse();
    assertThat(none.getError()).contains("invalid for the target audiences");
    assertThat(review(a, token, "vault").getAuthenticated()).isFalse();
  }

  @Test
  void expiredUnknownAndRevokedTokensAreNotAuthenticated() {
    MutableClock clock = new MutableClock();
    FakeTokenAuthority a = new FakeTokenAuthority(clock);
    String pod = a.podToken("ns", "default", "p", "u", "nbsecrets", Duration.ofMinutes(10));
    assertThat(review(a, pod, "nbsecrets").getAuthenticated()).isTrue();
    clock.now = clock.now.plus(Duration.ofMinutes(10));
    TokenReviewStatus expired = review(a, pod, "nbsecrets");
    assertThat(expired.getAuthenticated()).isFalse();
    assertThat(expired.getError()).contains("expired");

    TokenReviewStatus unknown = review(a, "no-such-token");
    assertThat(unknown.getAuthenticated()).isFalse();
    assertThat(unknown.getError()).isNotBlank();

    String user = a.userToken("bob", List.of());
    a.revoke(user);
    assertThat(review(a, user).getAuthenticated()).isFalse();
    assertThat(review(a, "").getAuthenticated()).isFalse();
    assertThat(a.reviewCount()).isEqualTo(5);
  }

  @Test
  void servesTokenReviewsOnTheMockServerNextToCrud() {
    FakeTokenAuthority a = new FakeTokenAuthority();
    KubernetesMockServer server = FakeTokenAuthority.newMockServer();
    server.start();
    a.install(server);
    try (KubernetesClient client = server.createClient()) {
      String token = a.userToken("carol", List.of());
      TokenReview answer =
          client
              .authentication()
              .v1()
              .tokenReviews()
              .create(new TokenReviewBuilder().withNewSpec().withToken(token).endSpec().build());
      assertThat(answer.getStatus().getAuthenticated()).isTrue();
      assertThat(answer.getStatus().getUser().getUsername()).isEqualTo("carol");
      TokenReview again =
          client
              .authentication()
              .v1()
              .tokenReviews()
              .create(new TokenReviewBuilder().withNewSpec().withToken("nope").endSpec().build());
      assertThat(again.getStatus().getAuthenticated()).isFalse();

      // CRUD still works for everything else.
      client
          .namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName("x").endMetadata().build())
          .create();
      assertThat(client.namespaces().withName("x").get()).isNotNull();
      assertThat(a.reviewCount()).isEqualTo(2);
    } finally {
      server.destroy();
    }
  }
}
