package io.nbsecrets.api;

import io.nbsecrets.http.Exchange;
import java.util.List;
import java.util.Map;

/** Who is calling: the bearer token of a request, and the user it stands for. */
final class Callers {
  private static final int MAX_USERNAME_LENGTH = 253;

  private final ApiConfig config;
  private final Authenticator authenticator;
  private final RefusedTokens refusedTokens;
  private final RefusedTokens refusedBehindProxies;

  /**
   * @param refusedTokens the refused tokens each client address may cost
   * @param refusedBehindProxies what all the clients behind one trusted proxy may cost together (a
   *     client inside a trusted block could otherwise name a new address for each token)
   */
  Callers(
      ApiConfig config,
      Authenticator authenticator,
      RefusedTokens refusedTokens,
      RefusedTokens refusedBehindProxies) {
    this.config = config;
    this.authenticator = authenticator;
    this.refusedTokens = refusedTokens;
    this.refusedBehindProxies = refusedBehindProxies;
  }

  /**
   * The verdict on {@code token} for {@code audiences}: the authenticator's answer when it knows it
   * already (at no cost), or else its review, while the request's address has refused tokens left
   * ({@link RefusedTokens}: 429 without a review when it has none).
   */
  Authenticator.Verdict verify(Exchange exchange, String token, List<String> audiences) {
    var known = authenticator.known(token, audiences);
    if (known.isPresent()) {
      return known.get();
    }
    String address = exchange.clientAddress();
    String peer = exchange.remoteAddress();
    String proxy = address == null || address.equals(peer) ? null : "proxy " + peer;
    refusedTokens.check(address);
    if (proxy != null) {
      refusedBehindProxies.check(proxy);
    }
    Authenticator.Verdict verdict = authenticator.verify(token, audiences);
    if (verdict.identity().isEmpty()) {
      refusedTokens.refused(address);
      if (proxy != null) {
        refusedBehindProxies.refused(proxy);
      }
    }
    return verdict;
  }

  /**
   * The user of a user endpoint: the token's user name, the configured prefix stripped; refuses
   * system users, service accounts (unless allowed) and names no store could key.
   */
  String user(Exchange exchange) {
    String token = bearer(exchange);
    Authenticator.Verdict verdict = verify(exchange, token, List.of());
    Identity identity =
        verdict
            .identity()
            .orElseThrow(
                () ->
                    new ApiException(
                        401,
                        "unauthorized",
                        verdict.expired()
                            ? "the bearer token has expired; get a new one (for example `kubectl"
                                + " create token` or your identity provider's login)"
                            : "the bearer token is not valid; get a new one (for example `kubectl"
                                + " create token` or your identity provider's login)",
                        Map.of(
                            "WWW-Authenticate",
                            "Bearer realm=\"nbsecrets\", error=\"invalid_token\"")));
    String username = identity.username();
    exchange.user(username);
    if (username.startsWith(SessionPodResolver.SERVICE_ACCOUNT_PREFIX)) {
      if (!config.allowServiceAccountUsers()) {
        throw new ApiException(
            403, "forbidden", "service-account tokens are not accepted on this endpoint");
      }
    } else if (username.startsWith("system:")) {
      throw new ApiException(403, "forbidden", "system users are not accepted on this endpoint");
    } else if (!config.usernamePrefixToStrip().isEmpty()) {
      if (!username.startsWith(config.usernamePrefixToStrip())) {
        throw new ApiException(
            403, "forbidden", "the user does not come from the configured identity provider");
      }
      username = username.substring(config.usernamePrefixToStrip().length());
      if (username.startsWith("system:")) {
        // "oidc:system:serviceaccount:team:bot" would otherwise become that service account.
        throw new ApiException(
            403,
            "forbidden",
            "the user name without the identity provider's prefix names a system user or service"
                + " account; such names are not accepted on this endpoint");
      }
    }
    if (username.isEmpty()
        || username.length() > MAX_USERNAME_LENGTH
        || username.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw new ApiException(403, "forbidden", "the user name is not acceptable");
    }
    exchange.user(username);
    return username;
  }

  /** The token of the one {@code Authorization: Bearer} header. */
  static String bearer(Exchange exchange) {
    List<String> values = exchange.headers("Authorization");
    if (values == null || values.isEmpty()) {
      throw unauthorized("missing bearer token");
    }
    if (values.size() > 1) {
      throw unauthorized("send one Authorization header");
    }
    String header = values.get(0).trim();
    if (header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw unauthorized("the Authorization header must be \"Bearer <token>\"");
    }
    String token = header.substring(7).trim();
    if (token.isEmpty()) {
      throw unauthorized("missing bearer token");
    }
    return token;
  }

  private static ApiException unauthorized(String message) {
    return new ApiException(
        401, "unauthorized", message, Map.of("WWW-Authenticate", "Bearer realm=\"nbsecrets\""));
  }
}
