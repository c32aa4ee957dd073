package io.nbsecrets.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nbsecrets.store.InMemorySecretStore;
import io.nbsecrets.store.StoredSecret;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The threats of docs/security.md, section (c), at the level of the key hierarchy: what each party
 * (or thief) holds, and that it decrypts nothing more. The API and operator halves are simulated
 * with the real formats; the services themselves are tested in their own suites.
 */
class KeyHierarchyTest {
  private static final String ALICE = "alice";
  private static final String NAME = "db-password";
  private static final String VALUE = "correct horse battery staple";

  // Held by the secrets API only.
  private final PlatformKey platformKey = PlatformKey.generate();
  private final SessionPublicKey sessionPublicKey = SessionPublicKey.of(TestKeys.A.getPublic());
  // Held by the operator only.
  private final SessionKeyRing operatorRing =
      SessionKeyRing.ofRsa(List.of(TestKeys.A.getPrivate()));

  private final InMemorySecretStore store = new InMemorySecretStore();

  /** The secrets API stores ALICE's secret: user key wrapped at rest, value sealed twice. */
  @BeforeEach
  void apiStoresASecret() {
    String userKey = Fernet.generateKey();
    store.putUserKeyIfAbsent(ALICE, UserKeys.wrap(platformKey, ALICE, userKey));
    String inner = Fernet.fromKey(userKey).encrypt(VALUE.getBytes(StandardCharsets.UTF_8));
    store.put(
        ALICE,
        NAME,
        Envelope.seal(sessionPublicKey, ALICE, NAME, inner.getBytes(StandardCharsets.US_ASCII)),
        10);
  }

  private String storedRecord() {
    return store.getAll(ALICE).get(0).sealed();
  }

  private String storedUserKey() {
    return store.getUserKey(ALICE).orElseThrow();
  }

  /** What the operator writes into the per-session Kubernetes Secret (and so into etcd). */
  private String operatorOutput() {
    return new String(
        Envelope.open(operatorRing, ALICE, NAME, storedRecord()), StandardCharsets.US_ASCII);
  }

  @Test
  void copyOfTheStoreDecryptsNothingWithoutPlatformKeyAndSessionPrivateKey() {
    List<String> stolen = new ArrayList<>();
    for (StoredSecret secret : store.getAll(ALICE)) {
      stolen.add(secret.sealed());
    }
    stolen.add(storedUserKey());
    PlatformKey thiefsPlatformKey = PlatformKey.generate();
    SessionKeyRing thiefsRing = SessionKeyRing.ofRsa(List.of(TestKeys.B.getPrivate()));

    assertThat(stolen).allSatisfy(s -> assertThat(s).doesNotContain(VALUE));
    assertThatThrownBy(() -> UserKeys.unwrap(List.of(thiefsPlatformKey), ALICE, storedUserKey()))
        .isInstanceOf(UnknownKeyException.class);
    String forgedUserKeyHeader = storedUserKey().replace(platformKey.id(), thiefsPlatformKey.id());
    assertThatThrownBy(
            () -> UserKeys.unwrap(List.of(thiefsPlatformKey), ALICE, forgedUserKeyHeader))
        .isInstanceOf(IntegrityException.class);
    assertThatThrownBy(() -> Envelope.open(thiefsRing, ALICE, NAME, storedRecord()))
        .isInstanceOf(UnknownKeyException.class);
    String forgedRecordHeader =
        storedRecord().replace(sessionPublicKey.keyId(), thiefsRing.keyIds().iterator().next());
    assertThatThrownBy(() -> Envelope.open(thiefsRing, ALICE, NAME, forgedRecordHeader))
        .isInstanceOf(IntegrityException.class);
  }

  @Test
  void copyOfEtcdHoldsOnlyOnceEncryptedFernetTokens() {
    String inSecret = operatorOutput();

    assertThat(inSecret).startsWith("gAAAAA").doesNotContain(VALUE);
    assertThatThrownBy(() -> Fernet.fromKey(Fernet.generateKey()).decrypt(inSecret))
        .isInstanceOf(IntegrityException.class);
    // With the user key (handed only to the session's init container) it decrypts.
    String userKey = UserKeys.unwrap(List.of(platformKey), ALICE, storedUserKey());
    assertThat(new String(Fernet.fromKey(userKey).decrypt(inSecret), StandardCharsets.UTF_8))
        .isEqualTo(VALUE);
  }

  @Test
  void breachedSecretsApiCannotRemoveTheOuterLayer() {
    // The API holds the platform key, the session public key and the store: it gets the user key...
    String userKey = UserKeys.unwrap(List.of(platformKey), ALICE, storedUserKey());
    Fernet fernet = Fernet.fromKey(userKey);

    // ...but a record is no Fernet token, and no key ring it can build opens it.
    assertThatThrownBy(() -> fernet.decrypt(storedRecord()))
        .isInstanceOf(MalformedCiphertextException.class);
    SessionKeyRing apisOwnRing = SessionKeyRing.ofRsa(List.of(TestKeys.B.getPrivate()));
    assertThatThrownBy(() -> Envelope.open(apisOwnRing, ALICE, NAME, storedRecord()))
        .isInstanceOf(UnknownKeyException.class);
  }

  @Test
  void breachedOperatorHasNoUserKeys() {
    // The operator holds the session private keys and sees records: it gets Fernet tokens...
    String inSecret = operatorOutput();

    // ...but the wrapped user keys need the platform key, which it does not have.
    assertThatThrownBy(
            () -> UserKeys.unwrap(List.of(PlatformKey.generate()), ALICE, storedUserKey()))
        .isInstanceOf(UnknownKeyException.class);
    assertThatThrownBy(() -> Fernet.fromKey(Fernet.generateKey()).decrypt(inSecret))
        .isInstanceOf(IntegrityException.class);
  }

  @Test
  void recordsAndUserKeysDoNotServeAnotherUser() {
    // Crypto backstop behind the operator's and API's user checks: alice's data, read as bob's.
    assertThatThrownBy(() -> Envelope.open(operatorRing, "bob", NAME, storedRecord()))
        .isInstanceOf(RecordBindingException.class);
    assertThatThrownBy(() -> UserKeys.unwrap(List.of(platformKey), "bob", storedUserKey()))
        .isInstanceOf(IntegrityException.class);
  }
}
