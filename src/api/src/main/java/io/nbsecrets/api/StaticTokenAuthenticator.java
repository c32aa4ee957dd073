package io.nbsecrets.api;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Fixed bearer tokens mapped to user names, for running without any cluster (dev mode). Tokens are
 * kept only as SHA-256 digests. They stand for ordinary user tokens: a request that names audiences
 * (the init endpoint's pod tokens) is never satisfied by them.
 */
public final class StaticTokenAuthenticator implements Authenticator {
  private final Map<String, String> usersByDigest = new HashMap<>();

  /** {@code tokens}: token → user name. */
  public StaticTokenAuthenticator(Map<String, String> tokens) {
    tokens.forEach(
        (token, user) -> {
          if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("a static token must not be blank");
          }
          if (user == null || user.isBlank()) {
            throw new IllegalArgumentException("a static token's user name must not be blank");
          }
          usersByDigest.put(TokenDigest.of(token), user);
        });
  }

  /** Every answer is known: the table is in memory. */
  @Override
  public Optional<Verdict> known(String bearerToken, List<String> audiences) {
    return Optional.of(verify(bearerToken, audiences));
  }

  @Override
  public Optional<Identity> authenticate(String bearerToken, List<String> audiences) {
    if (bearerToken == null
        || bearerToken.isEmpty()
        || (audiences != null && !audiences.isEmpty())) {
      return Optional.empty();
    }
    return Optional.ofNullable(usersByDigest.get(TokenDigest.of(bearerToken)))
        .map(Identity::ofUser);
  }
}
