package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.entry;
import static org.assertj.core.api.Assertions.tuple;

import io.nbsecrets.crypto.RsaKeys;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.init.EnvFile;
import io.nbsecrets.model.EnvEntry;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.model.SecretsSpec;
import io.nbsecrets.store.InMemorySecretStore;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** What the resolver tells a user whose selection cannot be snapshotted. */
class SecretResolverTest {
  private final InMemorySecretStore store = new InMemorySecretStore();
  private final SecretResolver resolver =
      new SecretResolver(store, SessionKeyRing.ofRsa(List.of(RsaKeys.generate(2048).getPrivate())));

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
  void theStoresVersionsAreReusedForAWhileButNeverFromBeforeTheSessionsSnapshot() {
    store.put("erin", "A", "sealed", 10);
    assertThat(resolver.currentVersions("erin", OptionalLong.empty()).versions())
        .containsExactly(entry("A", 1L));
    store.put("erin", "A", "sealed-again", 10); // version 2, not asked yet
    // Within VERSIONS_MAX_AGE and no snapshot since: the answer is reused (no store call).
    assertThat(resolver.currentVersions("erin", OptionalLong.empty()).versions())
        .containsExactly(entry("A", 1L));
    // A snapshot taken after that answer: the store is asked again.
    assertThat(resolver.currentVersions("erin", OptionalLong.of(System.nanoTime())).versions())
        .containsExactly(entry("A", 2L));
    // Another user's answer is their own.
    assertThat(resolver.currentVersions("frank", OptionalLong.empty()).versions()).isEmpty();

    // A failure is remembered as the latest answer (the stale poller asked; its reconciles show
    // it), and the next question after it that the store answers replaces it.
    store.setAvailable(false);
    assertThat(resolver.currentVersions("erin").reason()).isEqualTo("StoreUnavailable");
    assertThat(resolver.currentVersions("erin", OptionalLong.empty()).known()).isFalse();
    store.setAvailable(true);
    assertThat(resolver.currentVersions("erin").versions()).containsExactly(entry("A", 2L));
    assertThat(resolver.currentVersions("erin", OptionalLong.empty()).versions())
        .containsExactly(entry("A", 2L));
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

  private final java.security.KeyPair pair = RsaKeys.generate(2048);
  private final SecretResolver sealing =
      new SecretResolver(store, SessionKeyRing.ofRsa(List.of(pair.getPrivate())));
  private final String userKey = io.nbsecrets.crypto.Fernet.generateKey();

  /** Stores {@code value} as the API would: inner layer under the user's key, outer sealed. */
  private void storeValue(String user, String name, byte[] value) {
    storeValue(store, user, name, value);
  }

  private void storeValue(InMemorySecretStore in, String user, String name, byte[] value) {
    String inner = io.nbsecrets.crypto.Fernet.fromKey(userKey).encrypt(value);
    in.put(
        user,
        name,
        io.nbsecrets.crypto.Envelope.seal(
            io.nbsecrets.crypto.SessionPublicKey.of(pair.getPublic()),
            user,
            name,
            inner.getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
        100);
  }

  private static NotebookSession exporting(SecretsSpec secrets, EnvEntry... plain) {
    NotebookSession s = Sessions.session("erin", "nb", "erin");
    s.getSpec().setSecrets(secrets);
    s.getSpec().setCommand(List.of("start-notebook.py"));
    s.getSpec().setEnv(List.of(plain));
    return s;
  }

  @Test
  void envAllExportsTheSecretsWhoseNamesAreVariablesAndItemsRenameThem() throws Exception {
    for (String name : List.of("API_KEY", "db-password", "ssh.key", "TOKEN")) {
      storeValue("erin", name, name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    Snapshot snapshot =
        sealing.resolve(
            exporting(
                new SecretsSpec(
                    null,
                    true,
                    true,
                    List.of(new SecretItem("db-password", null, "DB_PASSWORD")))));
    assertThat(snapshot.manifest())
        .extracting(Snapshot.ManifestEntry::name, Snapshot.ManifestEntry::env)
        .containsExactly(
            tuple("API_KEY", "API_KEY"),
            tuple("TOKEN", "TOKEN"),
            tuple("db-password", "DB_PASSWORD"),
            tuple("ssh.key", null));
  }

  @Test
  void aSecretsOwnNameUnderEnvAllMayClashWithAnItemsVariableOrAPlainOne() {
    storeValue("erin", "TOKEN", new byte[] {1});
    storeValue("erin", "token-v2", new byte[] {2});
    assertThatThrownBy(
            () ->
                sealing.resolve(
                    exporting(
                        new SecretsSpec(
                            null, true, true, List.of(new SecretItem("token-v2", null, "TOKEN"))))))
        .isInstanceOfSatisfying(
            SessionFailure.class,
            f -> {
              assertThat(f.reason()).isEqualTo("EnvClash");
              assertThat(f.getMessage())
                  .isEqualTo(
                      "secrets TOKEN and token-v2 would both be exported as TOKEN; set another"
                          + " name with spec.secrets.items[].env");
            });
    assertThatThrownBy(
            () ->
                sealing.resolve(
                    exporting(new SecretsSpec(null, true, true, null), new EnvEntry("TOKEN", "x"))))
        .isInstanceOfSatisfying(
            SessionFailure.class,
            f -> {
              assertThat(f.reason()).isEqualTo("EnvClash");
              assertThat(f.getMessage()).contains("which spec.env also sets");
            });
  }

  @Test
  void aValueCertainlyTooLongForAnEnvironmentStringIsRefusedUpFrontNamingTheSecret() {
    byte[] big = new byte[EnvFile.MAX_ENTRY_BYTES];
    java.util.Arrays.fill(big, (byte) 'k');
    storeValue("erin", "big", big);
    storeValue("erin", "fits", new byte[EnvFile.MAX_ENTRY_BYTES - "FITS=".length() - 1]);
    assertThatThrownBy(
            () ->
                sealing.resolve(
                    exporting(
                        new SecretsSpec(
                            null, null, null, List.of(new SecretItem("big", null, "BIG"))))))
        .isInstanceOfSatisfying(
            SessionFailure.class,
            f -> {
              assertThat(f.reason()).isEqualTo("EnvValueTooLarge");
              assertThat(f.getMessage())
                  .startsWith("secret big is exported as environment variable BIG")
                  .contains("131,072")
                  .doesNotContain("kkkk");
            });
    assertThat(
            catchThrowable(
                () ->
                    sealing.resolve(
                        exporting(
                            new SecretsSpec(
                                null, null, null, List.of(new SecretItem("fits", null, "FITS")))))))
        .isNull();
  }

  @Test
  void aRecordOpenedLatelyIsNotOpenedAgainUntilItChanges() throws Exception {
    storeValue("erin", "A", new byte[] {1});
    storeValue("erin", "B", new byte[] {2});
    Snapshot first = sealing.resolve(Sessions.session("erin", "nb-1", "erin", "A", "B"));
    Snapshot second = sealing.resolve(Sessions.session("erin", "nb-2", "erin", "A", "B"));
    assertThat(second.entries()).isEqualTo(first.entries());
    assertThat(sealing.opened().opened()).isEqualTo(2);
    assertThat(sealing.opened().reused()).isEqualTo(2);

    // A replaced record is other bytes: it is opened, and gives the new value.
    storeValue("erin", "A", new byte[] {3});
    Snapshot third = sealing.resolve(Sessions.session("erin", "nb-3", "erin", "A", "B"));
    assertThat(sealing.opened().opened()).isEqualTo(3);
    assertThat(io.nbsecrets.crypto.Fernet.fromKey(userKey).decrypt(third.entries().get(0).token()))
        .containsExactly(3);
  }

  @Test
  void aRecordOpenedForOneOwnerIsStillRefusedUnderAnotherOwnerOrName() {
    storeValue("erin", "A", new byte[] {1});
    String sealed = store.get("erin", List.of("A")).get("A").sealed();
    assertThat(catchThrowable(() -> sealing.resolve(Sessions.session("erin", "nb", "erin", "A"))))
        .isNull();
    store.put("frank", "A", sealed, 100);
    store.put("erin", "B", sealed, 100);

    for (NotebookSession copy :
        List.of(
            Sessions.session("frank", "nb", "frank", "A"),
            Sessions.session("erin", "nb", "erin", "B"))) {
      assertThatThrownBy(() -> sealing.resolve(copy))
          .isInstanceOfSatisfying(
              SessionFailure.class, f -> assertThat(f.reason()).isEqualTo("SecretUnreadable"));
    }
  }

  @Test
  void withVaultTransitOrForTheBenchmarkEveryRecordIsOpenedEachTime() throws Exception {
    storeValue("erin", "A", new byte[] {1});
    SessionKeyRing ring = SessionKeyRing.ofRsa(List.of(pair.getPrivate()));
    // A Transit key that holds nothing: the records are opened by the ring, each time.
    io.nbsecrets.crypto.DataKeyUnwrapper transit =
        new io.nbsecrets.crypto.DataKeyUnwrapper() {
          @Override
          public byte[] unwrap(String keyId, byte[] wrapped) {
            throw new io.nbsecrets.crypto.UnknownKeyException(keyId);
          }

          @Override
          public boolean holds(String keyId) {
            return false;
          }
        };
    for (SecretResolver r :
        List.of(
            new SecretResolver(store, io.nbsecrets.keys.LiveKey.fixed(ring), transit),
            SecretResolver.openingEveryRecord(store, ring))) {
      r.resolve(Sessions.session("erin", "nb-1", "erin", "A"));
      r.resolve(Sessions.session("erin", "nb-2", "erin", "A"));
      assertThat(r.opened().opened()).isEqualTo(2);
      assertThat(r.opened().reused()).isZero();
    }
  }

  @Test
  void mostOfAUsersRecordsAreReadInOneCallWhoseVersionsServeTheStaleMarks() throws Exception {
    InMemorySecretStore atOnce = new InMemorySecretStore().readingAllAtOnce();
    SecretResolver r = new SecretResolver(atOnce, SessionKeyRing.ofRsa(List.of(pair.getPrivate())));
    for (String name : List.of("A", "B", "C")) {
      storeValue(atOnce, "erin", name, new byte[] {1});
    }
    // The user's first snapshot: how many records they have is not known yet, so the selected ones
    // are read by name, and the stale marks then ask for the versions.
    long taken = System.nanoTime();
    r.resolve(Sessions.session("erin", "nb-1", "erin", "A", "B"));
    r.currentVersions("erin", OptionalLong.of(taken));
    assertThat(atOnce.reads()).isEqualTo(Map.of("get", 1, "list", 1));

    // Two of three selected: one read of all three, whose versions the stale marks take.
    storeValue(atOnce, "erin", "C", new byte[] {2});
    taken = System.nanoTime();
    Snapshot second = r.resolve(Sessions.session("erin", "nb-2", "erin", "A", "B"));
    assertThat(second.entries()).extracting(Snapshot.Entry::name).containsExactly("A", "B");
    assertThat(r.currentVersions("erin", OptionalLong.of(taken)).versions())
        .containsOnly(entry("A", 1L), entry("B", 1L), entry("C", 2L));
    assertThat(atOnce.reads()).isEqualTo(Map.of("get", 1, "list", 1, "getAll", 1));

    // One of three is less than half: read by name again.
    r.resolve(Sessions.session("erin", "nb-3", "erin", "A"));
    assertThat(atOnce.reads()).isEqualTo(Map.of("get", 2, "list", 1, "getAll", 1));
    // A name the user does not have is still named as missing after a read of all.
    assertThatThrownBy(() -> r.resolve(Sessions.session("erin", "nb-4", "erin", "A", "Z")))
        .isInstanceOfSatisfying(
            SessionFailure.class, f -> assertThat(f.getMessage()).startsWith("secret Z of user"));
    assertThat(atOnce.reads()).containsEntry("getAll", 2);
  }

  @Test
  void aStoreThatReadsEachRecordApartIsAskedOnlyForTheSelectionButASelectionOfAllServesTheMarks()
      throws Exception {
    for (String name : List.of("A", "B")) {
      storeValue("erin", name, new byte[] {1});
    }
    sealing.currentVersions("erin");
    sealing.resolve(Sessions.session("erin", "nb-1", "erin", "A", "B"));
    assertThat(store.reads()).isEqualTo(Map.of("list", 1, "get", 1));

    NotebookSession all = Sessions.session("erin", "nb-2", "erin");
    all.getSpec().setSecrets(new SecretsSpec(null, true, List.of()));
    long taken = System.nanoTime();
    assertThat(sealing.resolve(all).entries()).hasSize(2);
    assertThat(sealing.currentVersions("erin", OptionalLong.of(taken)).versions())
        .containsOnly(entry("A", 1L), entry("B", 1L));
    assertThat(store.reads()).isEqualTo(Map.of("list", 1, "get", 1, "getAll", 1));
  }
}
