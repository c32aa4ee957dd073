package io.nbsecrets.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.nbsecrets.crypto.DataKeyWrapper;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.Fernet;
import io.nbsecrets.crypto.PlatformKey;
import io.nbsecrets.crypto.SessionKeyAlgorithm;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.crypto.SessionPrivateKey;
import io.nbsecrets.store.InMemorySecretStore;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A rotation makes a new session key current while a PUT is being written (a review found that a
 * record sealed under the old key and landing behind the rotation's last pass became unreadable
 * once the old key was dropped): the API seals it again under the new key once its write is done.
 */
class KeySwitchDuringWriteTest {
  private final SessionPrivateKey oldKey = SessionKeyAlgorithm.X25519.generate();
  private final SessionPrivateKey newKey = SessionKeyAlgorithm.X25519.generate();
  private final InMemorySecretStore store = new InMemorySecretStore();
  private final UserKeyService userKeys = new UserKeyService(store, PlatformKey.generate());

  @Test
  void aRecordWrittenAcrossAKeySwitchEndsUnderTheNewKey() {
    AtomicReference<DataKeyWrapper> current = new AtomicReference<>(oldKey.publicKey());
    // The key is read to seal, then the rotation switches it before the write is checked.
    SecretService secrets =
        new SecretService(
            store,
            userKeys,
            () -> {
              DataKeyWrapper key = current.get();
              current.set(newKey.publicKey());
              return key;
            },
            ApiConfig.defaults());

    secrets.put("erin", "TOKEN", "v1".getBytes(StandardCharsets.UTF_8));

    String sealed = store.get("erin", List.of("TOKEN")).get("TOKEN").sealed();
    assertThat(Envelope.keyId(sealed)).isEqualTo(newKey.keyId());
    assertThat(open(sealed, newKey)).isEqualTo("v1");
    assertThat(store.get("erin", List.of("TOKEN")).get("TOKEN").metadata().version())
        .as("the re-seal keeps the version the write made")
        .isEqualTo(1);
  }

  @Test
  void withoutASwitchTheRecordIsWrittenOnce() {
    SecretService secrets =
        new SecretService(store, userKeys, oldKey::publicKey, ApiConfig.defaults());
    secrets.put("erin", "TOKEN", "v1".getBytes(StandardCharsets.UTF_8));
    String sealed = store.get("erin", List.of("TOKEN")).get("TOKEN").sealed();
    assertThat(Envelope.keyId(sealed)).isEqualTo(oldKey.keyId());
    assertThat(open(sealed, oldKey)).isEqualTo("v1");
  }

  private String open(String sealed, SessionPrivateKey key) {
    byte[] inner = Envelope.open(SessionKeyRing.of(List.of(key)), "erin", "TOKEN", sealed);
    byte[] value =
        Fernet.fromKey(userKeys.find("erin").orElseThrow())
            .decrypt(new String(inner, StandardCharsets.US_ASCII));
    return new String(value, StandardCharsets.UTF_8);
  }
}
