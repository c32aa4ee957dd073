package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nbsecrets.crypto.RsaKeys;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.store.InMemorySecretStore;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the resolver tells a user whose selection cannot be snapshotted. */
class SecretResolverTest {
  private final InMemorySecretStore store = new InMemorySecretStore();
  private final SecretResolver resolver =
      new SecretResolver(store, SessionKeyRing.of(List.of(RsaKeys.generate(2048).getPrivate())));

  @Test
  void aMissingSecretSaysHowToFixItAndThatARunningPodKeepsItsSnapshot() {
    assertThatThrownBy(() -> resolver.resolve(Sessions.session("erin", "nb", "erin", "MISSING")))
        .isInstanceOfSatisfying(
            SessionFailure.class,
            f -> {
              assertThat(f.reason()).isEqualTo("SecretNotFound");
              assertThat(f.getMessage())
                  .isEqualTo(
                      "secret MISSING of user erin does not exist: store it or remove it from"
                          + " spec.secrets.items (a pod already running keeps its previous"
                          + " snapshot)");
            });
  }

  @Test
  void severalMissingSecretsAreNamedTogether() {
    store.put("erin", "B", "sealed", 10);
    assertThatThrownBy(
            () -> resolver.resolve(Sessions.session("erin", "nb", "erin", "C", "B", "A")))
        .isInstanceOfSatisfying(
            SessionFailure.class,
            f ->
                assertThat(f.getMessage())
                    .isEqualTo(
                        "secrets A, C of user erin do not exist: store them or remove them from"
                            + " spec.secrets.items (a pod already running keeps its previous"
                            + " snapshot)"));
  }
}
