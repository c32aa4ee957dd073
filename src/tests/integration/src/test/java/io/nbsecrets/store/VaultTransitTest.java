package io.nbsecrets.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nbsecrets.crypto.DataKeyUnwrapper;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.IntegrityException;
import io.nbsecrets.crypto.MalformedCiphertextException;
import io.nbsecrets.crypto.RsaKeys;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.crypto.SessionPublicKey;
import io.nbsecrets.crypto.UnknownKeyException;
import io.nbsecrets.store.VaultSecretStore.VaultConfig;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Vault Transit as the outer layer's key, against {@link FakeVault}'s Transit engine. */
class VaultTransitTest {
  private static final String ROOT = "root-token";
  private static final byte[] INNER = "gAAAAA-a-fernet-token".getBytes(StandardCharsets.US_ASCII);

  private FakeVault fake;
  private VaultSecretStore store;
  private VaultTransit transit;

  @BeforeEach
  void start() {
    fake = new FakeVault(ROOT);
    fake.createTransitKey("nbsecrets-session");
    store = VaultSecretStore.open(VaultConfig.withToken(fake.address(), ROOT));
    transit = store.transit("transit", "nbsecrets-session");
  }

  @AfterEach
  void stop() {
    store.close();
    fake.close();
  }

  private static String wrappedOf(String record) {
    return new String(
        Base64.getUrlDecoder().decode(record.split("\\.")[3]), StandardCharsets.UTF_8);
  }

  @Test
  void aRecordSealedUnderTransitOpensWithTransitOnly() {
    String record = Envelope.seal(transit, "alice", "TOKEN", INNER);

    assertThat(Envelope.keyId(record))
        .isEqualTo(transit.keyId())
        .isEqualTo(VaultTransit.keyIdOf("transit", "nbsecrets-session"))
        .matches("vt-[0-9a-f]{16}");
    assertThat(wrappedOf(record)).startsWith("vault:v1:");
    assertThat(Envelope.open(transit, "alice", "TOKEN", record)).isEqualTo(INNER);
    // The session RSA keys cannot open it, and Transit cannot open RSA records.
    KeyPair rsa = RsaKeys.generate(2048);
    SessionKeyRing ring = SessionKeyRing.ofRsa(List.of(rsa.getPrivate()));
    assertThatThrownBy(() -> Envelope.open(ring, "alice", "TOKEN", record))
        .isInstanceOf(UnknownKeyException.class);
    String rsaRecord = Envelope.seal(SessionPublicKey.of(rsa.getPublic()), "alice", "A", INNER);
    assertThatThrownBy(() -> Envelope.open(transit, "alice", "A", rsaRecord))
        .isInstanceOf(UnknownKeyException.class);
    // Side by side (a migration), each record finds its key.
    DataKeyUnwrapper both = DataKeyUnwrapper.either(ring, transit);
    assertThat(Envelope.open(both, "alice", "TOKEN", record)).isEqualTo(INNER);
    assertThat(Envelope.open(both, "alice", "A", rsaRecord)).isEqualTo(INNER);
  }

  @Test
  void aRotatedTransitKeyStillOpensOldRecordsAndRewrapMovesThemToTheNewVersion() {
    String record = Envelope.seal(transit, "alice", "TOKEN", INNER);
    transit.rotate();
    assertThat(transit.latestVersion()).isEqualTo(2);
    assertThat(Envelope.open(transit, "alice", "TOKEN", record)).isEqualTo(INNER);

    byte[] wrapped = wrappedOf(record).getBytes(StandardCharsets.UTF_8);
    byte[] rewrapped = transit.rewrap(wrapped);

    assertThat(VaultTransit.versionOf(wrapped)).isEqualTo(1);
    assertThat(VaultTransit.versionOf(rewrapped)).isEqualTo(2);
    assertThat(transit.unwrap(transit.keyId(), rewrapped))
        .isEqualTo(transit.unwrap(transit.keyId(), wrapped));
    // Once old versions may no longer decrypt, a record not re-wrapped is unreadable.
    fake.transitMinDecryptionVersion("nbsecrets-session", 2);
    assertThatThrownBy(() -> Envelope.open(transit, "alice", "TOKEN", record))
        .isInstanceOf(IntegrityException.class);
  }

  @Test
  void aChangedOrForeignWrappedKeyIsRefused() {
    byte[] wrapped = transit.wrap(new byte[32]);
    String text = new String(wrapped, StandardCharsets.UTF_8);
    int i = text.length() - 6;
    String flipped =
        text.substring(0, i) + (text.charAt(i) == 'A' ? 'B' : 'A') + text.substring(i + 1);

    assertThatThrownBy(
            () -> transit.unwrap(transit.keyId(), flipped.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IntegrityException.class)
        .hasMessageNotContaining(flipped);
    assertThatThrownBy(
            () -> transit.unwrap(transit.keyId(), "not-vault".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(MalformedCiphertextException.class);
    assertThatThrownBy(() -> transit.unwrap("vt-0000000000000000", wrapped))
        .isInstanceOf(UnknownKeyException.class);
    // Another Transit key of the same Vault cannot open it either.
    fake.createTransitKey("other");
    VaultTransit other = store.transit("transit", "other");
    assertThatThrownBy(() -> other.unwrap(other.keyId(), wrapped))
        .isInstanceOf(IntegrityException.class);
  }

  @Test
  void vaultDownIsStoreUnavailableAndBadSettingsAreNamed() {
    fake.stop();
    assertThatThrownBy(() -> transit.wrap(new byte[32]))
        .isInstanceOf(StoreUnavailableException.class);
    assertThatThrownBy(() -> store.transit("transit", "../x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("store.vault.transit.key");
    assertThatThrownBy(() -> store.transit("a//b", "k"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("store.vault.transit.mount");
  }
}
