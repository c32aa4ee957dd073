package io.nbsecrets.dev;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewSpec;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatusBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for the Kubernetes API server's token authentication, served by the Fabric8 mock
 * server so that the real {@code TokenReviewAuthenticator} can be exercised without a cluster (the
 * dev mode and the tests).
 *
 * <p>It mints opaque random tokens for users and for pods, and answers {@code POST
 * /apis/authentication.k8s.io/v1/tokenreviews} the way a real API server does:
 *
 * <ul>
 *   <li>a known, unexpired token whose audiences meet the requested {@code spec.audiences} (or,
 *       when none are requested, the API server's own audience {@link #API_SERVER_AUDIENCE}) is
 *       authenticated, with {@code user.username}, {@code uid}, {@code groups}, for pod tokens
 *       {@code extra} pod-name and pod-uid, and {@code status.audiences} the audiences in common;
 *   <li>user tokens (like OIDC tokens, which are audience-agnostic to the API server) carry only
 *       the API server's audience, so a review that asks for another audience does not authenticate
 *       them;
 *   <li>a token with other audiences, an expired, revoked or unknown token: {@code authenticated:
 *       false} with an {@code error}, as the API server answers.
 * </ul>
 *
 * <p>The mock server must let this expectation win over its CRUD handling, so build it with {@link
 * #newMockServer()} (a {@link KubernetesMixedDispatcher}).
 */
public final class FakeTokenAuthority {
  public static final String TOKEN_REVIEW_PATH = "/apis/authentication.k8s.io/v1/tokenreviews";

  /** The audience of the fake API server itself. */
  public static final String API_SERVER_AUDIENCE = "https://kubernetes.default.svc.cluster.local";

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private final Map<String, Grant> grants = new ConcurrentHashMap<>();
  private final Clock clock;
  private final AtomicInteger reviews = new AtomicInteger();

  private record Grant(
      String username,
      String uid,
      List<String> groups,
      Map<String, List<String>> extra,
      List<String> audiences,
      Instant expiresAt) {}

  public FakeTokenAuthority() {
    this(Clock.systemUTC());
  }

  /** {@code clock} decides when pod tokens expire (tests pass a movable one). */
  public FakeTokenAuthority(Clock clock) {
    this.clock = clock;
  }

  /**
   * A mock API server in CRUD mode whose explicit expectations (such as the TokenReview endpoint
   * {@link #install} adds) take precedence over CRUD. Plain HTTP; call {@code start()} (or {@code
   * init()}) on it, then {@code createClient()}.
   */
  public static KubernetesMockServer newMockServer() {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    ObjectMapper mapper = new ObjectMapper();
    new KubernetesSerialization(mapper, true); // configures the mapper for Kubernetes models
    return new KubernetesMockServer(
        new Context(mapper),
        new MockWebServer(),
        responses,
        new KubernetesMixedDispatcher(responses),
        false);
  }

  /** Answers TokenReviews on {@code server} from now on. */
  public void install(KubernetesMockServer server) {
    server
        .expect()
        .post()
        .withPath(TOKEN_REVIEW_PATH)
        .andReply(
            201,
            request -> review(SERIALIZATION.unmarshal(request.getUtf8Body(), TokenReview.class)))
        .always();
  }

  /** A token of a human user (like an OIDC ID token), valid until revoked. */
  public String userToken(String username, List<String> groups) {
    List<String> allGroups = new ArrayList<>(groups);
    if (!allGroups.contains("system:authenticated")) {
      allGroups.add("system:authenticated");
    }
    return mint(
        new Grant(
            username,
            UUID.randomUUID().toString(),
            List.copyOf(allGroups),
            Map.of(),
            List.of(API_SERVER_AUDIENCE),
            Instant.MAX));
  }

  /**
   * A projected service-account token of a pod, as the kubelet requests it: user {@code
   * system:serviceaccount:<namespace>:<serviceAccount>}, bound to the pod by {@code extra}.
   */
  public String podToken(
      String namespace,
      String serviceAccount,
      String podName,
      String podUid,
      String audience,
      Duration ttl) {
    Map<String, List<String>> extra = new LinkedHashMap<>();
    extra.put("authentication.kubernetes.io/pod-name", List.of(podName));
    extra.put("authentication.kubernetes.io/pod-uid", List.of(podUid));
    return mint(
        new Grant(
            "system:serviceaccount:" + namespace + ":" + serviceAccount,
            UUID.randomUUID().toString(),
            List.of(
                "system:serviceaccounts",
                "system:serviceaccounts:" + namespace,
                "system:authenticated"),
            Map.copyOf(extra),
            List.of(audience),
            clock.instant().plus(ttl)));
  }

  /**
   * Another token for the grant of {@code token} (a {@link #podToken}, say), shaped as the
   * kubelet's tokens are: a JWT whose payload holds {@code aud}, {@code sub} and {@code exp} (its
   * signature is checked by no one but this authority, which knows the token).
   */
  public String asJwt(String token) {
    Grant grant = grants.get(token);
    if (grant == null) {
      throw new IllegalArgumentException("not a token of this authority");
    }
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String header = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
    String payload =
        "{\"aud\":"
            + SERIALIZATION.asJson(grant.audiences())
            + ",\"exp\":"
            + grant.expiresAt().getEpochSecond()
            + ",\"sub\":"
            + SERIALIZATION.asJson(grant.username())
            + "}";
    String jwt =
        b64.encodeToString(header.getBytes(StandardCharsets.UTF_8))
            + "."
            + b64.encodeToString(payload.getBytes(StandardCharsets.UTF_8))
            + "."
            + random();
    grants.put(jwt, grant);
    return jwt;
  }

  /** Makes {@code token} unknown from now on. */
  public void revoke(String token) {
    grants.remove(token);
  }

  /** How many TokenReviews were answered. */
  public int reviewCount() {
    return reviews.get();
  }

  /** The API server's answer to a TokenReview request. */
  public TokenReview review(TokenReview request) {
    reviews.incrementAndGet();
    TokenReviewSpec spec = request == null ? null : request.getSpec();
    TokenReviewStatus status = evaluate(spec);
    return new TokenReviewBuilder().withSpec(spec).withStatus(status).build();
  }

  private TokenReviewStatus evaluate(TokenReviewSpec spec) {
    if (spec == null || spec.getToken() == null || spec.getToken().isEmpty()) {
      return unauthenticated("token must be set");
    }
    Grant grant = grants.get(spec.getToken());
    if (grant == null) {
      return unauthenticated("[invalid bearer token, token lookup failed]");
    }
    if (!clock.instant().isBefore(grant.expiresAt())) {
      return unauthenticated("[invalid bearer token, service account token has expired]");
    }
    List<String> requested =
        spec.getAudiences() == null || spec.getAudiences().isEmpty()
            ? List.of(API_SERVER_AUDIENCE)
            : spec.getAudiences();
    List<String> common = grant.audiences().stream().filter(requested::contains).toList();
    if (common.isEmpty()) {
      return unauthenticated(
          "[invalid bearer token, token audiences "
              + grant.audiences()
              + " is invalid for the target audiences "
              + requested
              + "]");
    }
    return new TokenReviewStatusBuilder()
        .withAuthenticated(true)
        .withAudiences(common)
        .withNewUser()
        .withUsername(grant.username())
        .withUid(grant.uid())
        .withGroups(grant.groups())
        .withExtra(grant.extra().isEmpty() ? null : grant.extra())
        .endUser()
        .build();
  }

  private static TokenReviewStatus unauthenticated(String error) {
    return new TokenReviewStatusBuilder().withAuthenticated(false).withError(error).build();
  }

  private String mint(Grant grant) {
    String token = random();
    grants.put(token, grant);
    return token;
  }

  /** 32 random bytes, base64url. */
  private static String random() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
