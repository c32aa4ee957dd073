package io.nbsecrets.api;

import java.util.List;
import java.util.Optional;

/** Turns a bearer token into an identity. Implementations are thread-safe. */
public interface Authenticator {

  /**
   * The identity behind {@code bearerToken}, or empty when the token is not valid (unknown,
   * expired, or not meant for any of {@code audiences}).
   *
   * @param audiences the audiences the token must be meant for; empty means the API server's own
   *     audience (a user's token)
   * @throws AuthenticationUnavailableException when the authority could not be asked
   */
  Optional<Identity> authenticate(String bearerToken, List<String> audiences);

  /**
   * Like {@link #authenticate}, and says whether a refused token was refused because it expired (so
   * the answer can tell the user to get a new one rather than that it is wrong).
   */
  default Verdict verify(String bearerToken, List<String> audiences) {
    return new Verdict(authenticate(bearerToken, audiences), false);
  }

  /**
   * The verdict on {@code bearerToken} when it is known without asking anyone (a cached answer, a
   * fixed table), or empty when it would take a request to the authority. Refused tokens that take
   * requests are limited per client address ({@link RefusedTokens}); known ones are not.
   */
  default Optional<Verdict> known(String bearerToken, List<String> audiences) {
    return Optional.empty();
  }

  /** An identity, or a refusal that knows whether the token had expired. */
  record Verdict(Optional<Identity> identity, boolean expired) {}
}
