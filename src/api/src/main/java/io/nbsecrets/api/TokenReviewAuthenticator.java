package io.nbsecrets.api;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.nbsecrets.model.TokenExpiry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies bearer tokens with the Kubernetes API server's TokenReview API ({@code
 * authentication.k8s.io/v1}); the API server's service account needs {@code create} on {@code
 * tokenreviews} (the {@code system:auth-delegator} ClusterRole).
 *
 * <p>Answers, positive and negative, are cached for a short time (10 s by default) so a burst of
 * requests costs one review; the cache is keyed by the SHA-256 of the token and the requested
 * audiences, never by the token itself. Acceptances and refusals are kept apart, each bounded:
 * acceptances up to {@code maxEntries}, the least recently used evicted first; refusals up to a
 * tenth of that, the oldest first. So a flood of made-up tokens churns only the refusals and never
 * pushes out the users' acceptances (before, one map of both let it send every user back to the API
 * server). A revoked token therefore stays usable for at most the TTL. An acceptance is never kept
 * past the token's own expiry (the {@code exp} claim of a JWT, read once the API server has
 * accepted it): a token about to expire is asked about again, and then refused, as soon as it has.
 * Failures to reach the API server are not cached and raise {@link
 * AuthenticationUnavailableException}.
 *
 * <p>When audiences are requested, the review's {@code status.audiences} must name one of them (as
 * the TokenReview documentation asks of clients, so that an audience-unaware authenticator cannot
 * pass a token meant for someone else).
 */
public final class TokenReviewAuthenticator implements Authenticator {
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(10);
  public static final int DEFAULT_MAX_ENTRIES = 10_000;

  /** Longer tokens are refused without asking the API server. */
  public static final int MAX_TOKEN_LENGTH = 16 * 1024;

  private static final Logger log = LoggerFactory.getLogger(TokenReviewAuthenticator.class);

  private final KubernetesClient client;
  private final long ttlNanos;
  private final int maxEntries;
  private final LongSupplier nanoTime;
  private final Clock clock;
  private final Map<String, Cached> cache;
  private final Map<String, Cached> refusals;

  private record Cached(Verdict verdict, long expiresAtNanos) {}

  public TokenReviewAuthenticator(KubernetesClient client) {
    this(client, DEFAULT_TTL, DEFAULT_MAX_ENTRIES, System::nanoTime, Clock.systemUTC());
  }

  /**
   * @param ttl how long an answer is reused; zero disables the cache
   * @param maxEntries the most answers kept
   * @param nanoTime the clock of the TTL (tests pass a fake one)
   * @param clock the time of day, against which tokens' expiry is read
   */
  public TokenReviewAuthenticator(
      KubernetesClient client, Duration ttl, int maxEntries, LongSupplier nanoTime, Clock clock) {
    this.client = Objects.requireNonNull(client, "client");
    this.ttlNanos = ttl.toNanos();
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be at least 1");
    }
    this.maxEntries = maxEntries;
    this.nanoTime = nanoTime;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.cache = bounded(maxEntries, true);
    this.refusals = bounded(Math.max(1, maxEntries / 10), false);
  }

  /** A map of at most {@code max} entries; the least recently used or the oldest goes first. */
  private static Map<String, Cached> bounded(int max, boolean accessOrder) {
    return new LinkedHashMap<>(16, 0.75f, accessOrder) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
        return size() > max;
      }
    };
  }

  @Override
  public Optional<Identity> authenticate(String bearerToken, List<String> audiences) {
    return verify(bearerToken, audiences).identity();
  }

  /** A cached answer, or a token refused by its form alone; empty when it takes a review. */
  @Override
  public Optional<Verdict> known(String bearerToken, List<String> audiences) {
    if (bearerToken == null || bearerToken.isBlank() || bearerToken.length() > MAX_TOKEN_LENGTH) {
      return Optional.of(new Verdict(Optional.empty(), false));
    }
    String key = key(bearerToken, audiences);
    long now = nanoTime.getAsLong();
    synchronized (cache) {
      for (Map<String, Cached> map : List.of(cache, refusals)) {
        Cached hit = map.get(key);
        if (hit != null) {
          if (hit.expiresAtNanos - now > 0) {
            return Optional.of(hit.verdict);
          }
          map.remove(key);
        }
      }
    }
    return Optional.empty();
  }

  private static String key(String bearerToken, List<String> audiences) {
    List<String> wanted = audiences == null ? List.of() : audiences;
    return TokenDigest.of(bearerToken) + "|" + String.join("\n", wanted);
  }

  @Override
  public Verdict verify(String bearerToken, List<String> audiences) {
    Optional<Verdict> known = known(bearerToken, audiences);
    if (known.isPresent()) {
      return known.get();
    }
    List<String> wanted = audiences == null ? List.of() : List.copyOf(audiences);
    String key = key(bearerToken, wanted);
    long now = nanoTime.getAsLong();
    Verdict result = review(bearerToken, wanted);
    long keep = ttlNanos;
    if (result.identity().isPresent()) {
      // Never longer than the token lives.
      OptionalLong left = TokenExpiry.nanosLeft(bearerToken, clock.instant());
      if (left.isPresent()) {
        keep = Math.min(keep, left.getAsLong());
      }
    }
    if (keep > 0) {
      synchronized (cache) {
        (result.identity().isPresent() ? cache : refusals).put(key, new Cached(result, now + keep));
      }
    }
    return result;
  }

  /** How many answers are cached now, acceptances and refusals (for tests and metrics). */
  public int cachedEntries() {
    synchronized (cache) {
      return cache.size() + refusals.size();
    }
  }

  private Verdict review(String token, List<String> audiences) {
    TokenReview request =
        new TokenReviewBuilder()
            .withNewSpec()
            .withToken(token)
            .withAudiences(audiences.isEmpty() ? null : new ArrayList<>(audiences))
            .endSpec()
            .build();
    TokenReview response;
    try {
      response = client.authentication().v1().tokenReviews().create(request);
    } catch (KubernetesClientException e) {
      // The exception's message may quote the API server's answer; report only the status code.
      log.warn("TokenReview failed: HTTP {} ({})", e.getCode(), e.getClass().getSimpleName());
      throw new AuthenticationUnavailableException(
          "the Kubernetes API server could not review the token (HTTP " + e.getCode() + ")");
    } catch (RuntimeException e) {
      log.warn("TokenReview failed: {}", e.getClass().getName());
      throw new AuthenticationUnavailableException(
          "the Kubernetes API server could not review the token");
    }
    TokenReviewStatus status = response == null ? null : response.getStatus();
    if (status == null || !Boolean.TRUE.equals(status.getAuthenticated())) {
      String error = status == null ? null : status.getError();
      log.debug("TokenReview: not authenticated{}", error != null ? " (" + error + ")" : "");
      // The API server's authenticators say so in words ("service account token has expired",
      // "oidc: token is expired"); the words never hold the token.
      return new Verdict(Optional.empty(), error != null && error.contains("expired"));
    }
    UserInfo user = status.getUser();
    if (user == null || user.getUsername() == null || user.getUsername().isBlank()) {
      log.warn("TokenReview: authenticated without a user name; refusing");
      return new Verdict(Optional.empty(), false);
    }
    if (!audiences.isEmpty()) {
      List<String> confirmed = status.getAudiences() == null ? List.of() : status.getAudiences();
      if (confirmed.stream().noneMatch(audiences::contains)) {
        log.warn(
            "TokenReview: authenticated {} but did not confirm the requested audience; refusing",
            user.getUsername());
        return new Verdict(Optional.empty(), false);
      }
    }
    return new Verdict(
        Optional.of(
            new Identity(user.getUsername(), user.getUid(), user.getGroups(), user.getExtra())),
        false);
  }
}
