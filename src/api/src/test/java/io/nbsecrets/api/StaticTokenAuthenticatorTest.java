package io.nbsecrets.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StaticTokenAuthenticatorTest {

  @Test
  void knownTokensMapToTheirUsers() {
    StaticTokenAuthenticator auth =
        new StaticTokenAuthenticator(Map.of("tok-a", "alice", "tok-b", "bob"));
    assertThat(auth.authenticate("tok-a", List.of())).map(Identity::username).contains("alice");
    assertThat(auth.authenticate("tok-b", List.of())).map(Identity::username).contains("bob");
    assertThat(auth.authenticate("tok-c", List.of())).isEmpty();
    assertThat(auth.authenticate("", List.of())).isEmpty();
    assertThat(auth.authenticate(null, List.of())).isEmpty();
    // Static tokens are user tokens: never valid for the init endpoint's audience.
    assertThat(auth.authenticate("tok-a", List.of("nbsecrets"))).isEmpty();
  }

  @Test
  void blankTokensOrUsersAreRejectedAtStart() {
    assertThatThrownBy(() -> new StaticTokenAuthenticator(Map.of(" ", "alice")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a static token must not be blank");
    assertThatThrownBy(() -> new StaticTokenAuthenticator(Map.of("secret-tok", "")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("secret-tok");
  }
}
