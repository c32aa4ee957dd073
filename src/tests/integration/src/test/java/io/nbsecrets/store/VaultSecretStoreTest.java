package io.nbsecrets.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nbsecrets.store.VaultSecretStore.VaultConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Vault-specific behaviour: layout, Kubernetes auth, check-and-set, errors, settings. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class VaultSecretStoreTest {

  private static final String ROOT = "hvs.root-token-never-shown";
  private static final String JWT = "eyJhbGciOi.service-account-jwt.never-shown";
  private static final ObjectMapper JSON = new ObjectMapper();

  private FakeVault vault;

  @BeforeEach
  void start() {
    vault = new FakeVault(ROOT);
  }

  @AfterEach
  void stop() {
    vault.close();
  }

  private VaultSecretStore tokenStore() {
    return VaultSecretStore.open(VaultConfig.withToken(vault.address(), ROOT));
  }

  @Test
  void recordsAndKeysLiveAtTheDocumentedPaths() {
    String user = "Al/ice:x@example.org";
    String encoded = VaultSecretStore.encodeUser(user);
    assertThat(VaultSecretStore.encodeUser("alice")).isEqualTo("u-mfwgsy3f");
    assertThat(encoded).matches("u-[a-z2-7]+");
    try (VaultSecretStore store = tokenStore()) {
      PutResult put = store.put(user, "db-password", "sealed-value", 10);
      store.putUserKeyIfAbsent(user, "wrapped-key");

      JsonNode data = vault.read("nbsecrets/" + encoded + "/db-password");
      assertThat(data.path("value").asText()).isEqualTo("sealed-value");
      assertThat(data.path("version").asLong()).isEqualTo(1);
      assertThat(Instant.parse(data.path("createdAt").asText()))
          .isEqualTo(put.metadata().createdAt());
      assertThat(Instant.parse(data.path("updatedAt").asText()))
          .isEqualTo(put.metadata().updatedAt());
      assertThat(vault.read("nbsecrets-userkeys/" + encoded).path("key").asText())
          .isEqualTo("wrapped-key");
      assertThat(vault.paths())
          .containsExactlyInAnyOrder(
              "nbsecrets/" + encoded + "/db-password", "nbsecrets-userkeys/" + encoded);

      store.put(user, "db-password", "sealed-2", 10);
      assertThat(vault.kvVersion("nbsecrets/" + encoded + "/db-password")).isEqualTo(2);
      assertThat(vault.read("nbsecrets/" + encoded + "/db-password").path("version").asLong())
          .isEqualTo(2);
    }
  }

  @Test
  void aCheckAndSetConflictIsRetriedWithoutLosingAnUpdate() {
    try (VaultSecretStore store = tokenStore()) {
      store.put("alice", "token", "v1", 10);
      String path = "nbsecrets/" + VaultSecretStore.encodeUser("alice") + "/token";
      AtomicBoolean once = new AtomicBoolean();
      vault.beforeWrite(
          () -> {
            if (once.compareAndSet(false, true)) {
              // Another replica replaces the record between our read and our write.
              ObjectNode theirs = vault.read(path).deepCopy();
              theirs.put("value", "theirs").put("version", 2);
              vault.write(path, theirs);
            }
          });

      PutResult mine = store.put("alice", "token", "mine", 10);

      assertThat(once).isTrue();
      assertThat(mine.created()).isFalse();
      assertThat(mine.metadata().version()).isEqualTo(3); // after theirs, not over it
      assertThat(store.get("alice", List.of("token")).get("token").sealed()).isEqualTo("mine");
      assertThat(vault.kvVersion(path)).isEqualTo(3);
    }
  }

  @Test
  void aRewrapDoesNotPutADeletedValueBackOverTheRecordMadeAgainInItsPlace() {
    try (VaultSecretStore store = tokenStore();
        VaultSecretStore otherReplica = tokenStore()) {
      String path = "nbsecrets/" + VaultSecretStore.encodeUser("alice") + "/token";
      store.put("alice", "token", "old-sealed", 10);
      AtomicBoolean once = new AtomicBoolean();
      vault.beforeWrite(
          () -> {
            if (once.compareAndSet(false, true)) {
              // Between the re-wrap's read and its write, the user deletes the secret and stores
              // a new value: a new history, whose first KV version is the one the re-wrap read.
              vault.beforeWrite(() -> {});
              assertThat(otherReplica.delete("alice", "token")).isTrue();
              otherReplica.put("alice", "token", "new-sealed", 10);
            }
          });

      assertThat(store.rewrap("alice", "token", "old-sealed", "old-resealed")).isFalse();

      assertThat(once).isTrue();
      assertThat(store.get("alice", List.of("token")).get("token").sealed())
          .isEqualTo("new-sealed");
      assertThat(vault.kvVersion(path))
          .as("the new record written back after the re-wrap")
          .isEqualTo(3);
    }
  }

  @Test
  void rewrapKeepsTheContractsVersionAndTimesWhileTheKvVersionIncreases() {
    try (VaultSecretStore store = tokenStore()) {
      String path = "nbsecrets/" + VaultSecretStore.encodeUser("alice") + "/token";
      store.put("alice", "token", "sealed-v1", 10);
      PutResult second = store.put("alice", "token", "sealed-v2", 10);
      JsonNode before = vault.read(path);
      assertThat(vault.kvVersion(path)).isEqualTo(2);

      assertThat(store.rewrap("alice", "token", "sealed-v2", "rewrapped-v2")).isTrue();

      JsonNode after = vault.read(path);
      assertThat(vault.kvVersion(path)).isEqualTo(3);
      assertThat(after.path("value").asText()).isEqualTo("rewrapped-v2");
      for (String field : List.of("version", "createdAt", "updatedAt")) {
        assertThat(after.path(field)).as(field).isEqualTo(before.path(field));
      }
      assertThat(after.path("version").asLong()).isEqualTo(2);
      assertThat(store.list("alice")).containsExactly(second.metadata());

      // A put after the rewrap continues the contract's version, not Vault's.
      assertThat(store.put("alice", "token", "sealed-v3", 10).metadata().version()).isEqualTo(3);
      assertThat(vault.kvVersion(path)).isEqualTo(4);
    }
  }

  /** Another replica writes between the rewrap's read and its write: the rewrap gives way. */
  @Test
  void aRewrapThatLosesACheckAndSetRaceWritesNothing() {
    try (VaultSecretStore store = tokenStore()) {
      String encoded = VaultSecretStore.encodeUser("alice");
      String recordPath = "nbsecrets/" + encoded + "/token";
      String keyPath = "nbsecrets-userkeys/" + encoded;
      store.put("alice", "token", "sealed-v1", 10);
      store.putUserKeyIfAbsent("alice", "wrapped-1");
      AtomicBoolean once = new AtomicBoolean();
      vault.beforeWrite(
          () -> {
            if (once.compareAndSet(false, true)) {
              ObjectNode theirs = vault.read(recordPath).deepCopy();
              vault.write(recordPath, theirs.put("value", "theirs").put("version", 2));
            }
          });

      assertThat(store.rewrap("alice", "token", "sealed-v1", "rewrapped")).isFalse();

      assertThat(once).isTrue();
      assertThat(vault.read(recordPath).path("value").asText()).isEqualTo("theirs");
      assertThat(vault.kvVersion(recordPath)).isEqualTo(2);

      once.set(false);
      vault.beforeWrite(
          () -> {
            if (once.compareAndSet(false, true)) {
              vault.write(keyPath, JSON.createObjectNode().put("key", "wrapped-by-another"));
            }
          });

      assertThat(store.rewrapUserKey("alice", "wrapped-1", "wrapped-2")).isFalse();

      assertThat(once).isTrue();
      assertThat(store.getUserKey("alice")).contains("wrapped-by-another");
      assertThat(vault.kvVersion(keyPath)).isEqualTo(2);
    }
  }

  @Test
  void scanSkipsARecordDeletedBetweenListAndGetAndStillFillsThePage() {
    try (VaultSecretStore store = tokenStore()) {
      for (String name : List.of("a", "b", "c")) {
        store.put("alice", name, "sealed-" + name, 10);
      }
      String doomed = "nbsecrets/" + VaultSecretStore.encodeUser("alice") + "/b";
      vault.beforeRead(
          path -> {
            if (path.equals(doomed)) {
              vault.remove(path); // deleted by another replica after the LIST
            }
          });

      List<ScannedSecret> page = store.scan(null, 2);

      assertThat(page)
          .extracting(ScanCursor::after)
          .containsExactly(new ScanCursor("alice", "a"), new ScanCursor("alice", "c"));
      assertThat(store.count()).isEqualTo(2);
    }
  }

  /** The documented cost: one LIST of the users per page, one per user visited, one GET each. */
  @Test
  void countAndScanCostWhatTheDocumentationSays() {
    try (VaultSecretStore store = tokenStore()) {
      for (String user : List.of("u1", "u2", "u3")) {
        store.put(user, "a", "sealed", Integer.MAX_VALUE);
        store.put(user, "b", "sealed", Integer.MAX_VALUE);
      }
      int lists = vault.lists();
      int reads = vault.reads();

      assertThat(store.count()).isEqualTo(6);
      assertThat(vault.lists() - lists).isEqualTo(1 + 3);
      assertThat(vault.reads() - reads).isZero();

      List<ScannedSecret> page = store.scan(null, 3);
      assertThat(page)
          .extracting(ScanCursor::after)
          .containsExactly(
              new ScanCursor("u1", "a"), new ScanCursor("u1", "b"), new ScanCursor("u2", "a"));
      assertThat(vault.lists() - lists).isEqualTo(4 + 1 + 2);
      assertThat(vault.reads() - reads).isEqualTo(3);

      store.putUserKeyIfAbsent("u1", "wrapped");
      reads = vault.reads();
      assertThat(store.scanUserKeys(null, 10))
          .extracting(WrappedUserKey::user)
          .containsExactly("u1");
      assertThat(vault.reads() - reads).isEqualTo(1);
    }
  }

  /** Folders and keys that nbsecrets cannot have written are not users or records. */
  @Test
  void wholeStoreOperationsSkipForeignKeys() {
    try (VaultSecretStore store = tokenStore()) {
      store.put("alice", "a", "sealed-a", 10);
      store.putUserKeyIfAbsent("alice", "wrapped");
      JsonNode foreign = JSON.createObjectNode().put("value", "x");
      String alice = VaultSecretStore.encodeUser("alice");
      for (String path :
          List.of(
              "nbsecrets/stray-leaf",
              "nbsecrets/not-a-user/a",
              "nbsecrets/u-0/a", // 0 is not base32
              "nbsecrets/u-MFWGSY3F/a", // upper case: not this store's encoding
              "nbsecrets/u-mf/a", // non-zero leftover bits ("a" is u-me): not canonical
              "nbsecrets/u-74/a", // 0xff: not UTF-8
              "nbsecrets/" + alice + "/nested/a",
              "nbsecrets/" + alice + "/not a name",
              "nbsecrets-userkeys/" + alice + "/nested",
              "nbsecrets-userkeys/stray")) {
        vault.write(path, foreign);
      }

      assertThat(store.count()).isEqualTo(1);
      assertThat(store.scan(null, 10))
          .extracting(ScanCursor::after)
          .containsExactly(new ScanCursor("alice", "a"));
      assertThat(store.scanUserKeys(null, 10))
          .extracting(WrappedUserKey::user)
          .containsExactly("alice");
    }
  }

  @Test
  void usersDecodeFromTheirPathSegment() {
    for (String user :
        List.of("", "a", "alice", "Al/ice:x@example.org", "\u00e9mile", "\uD83D\uDE00x", "ab")) {
      assertThat(VaultSecretStore.decodeUser(VaultSecretStore.encodeUser(user))).contains(user);
    }
    for (String segment : List.of("alice", "u-0", "u-MFWGSY3F", "u-mf", "u-74", "u-m", "x-m")) {
      assertThat(VaultSecretStore.decodeUser(segment)).as(segment).isEmpty();
    }
  }

  @Test
  void aScanLimitMustBePositive() {
    try (VaultSecretStore store = tokenStore()) {
      assertThatThrownBy(() -> store.scan(null, 0)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> store.scanUserKeys(null, -1))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  /** Deleted outside the store with a KV soft delete: absent, and recreated with the right cas. */
  @Test
  void aSoftDeletedLatestVersionIsAbsentAndCanBeRecreated() {
    try (VaultSecretStore store = tokenStore()) {
      String encoded = VaultSecretStore.encodeUser("alice");
      store.put("alice", "token", "v1", 10);
      store.put("alice", "token", "v2", 10);
      store.putUserKeyIfAbsent("alice", "wrapped-1");
      vault.softDelete("nbsecrets/" + encoded + "/token");
      vault.softDelete("nbsecrets-userkeys/" + encoded);

      assertThat(store.get("alice", List.of("token"))).isEmpty();
      assertThat(store.getUserKey("alice")).isEmpty();
      assertThat(store.delete("alice", "token")).isFalse();
      PutResult again = store.put("alice", "token", "v3", 10);
      assertThat(again.created()).isTrue();
      assertThat(again.metadata().version()).isEqualTo(1);
      assertThat(store.get("alice", List.of("token")).get("token").sealed()).isEqualTo("v3");
      assertThat(store.putUserKeyIfAbsent("alice", "wrapped-2")).isEqualTo("wrapped-2");
      assertThat(store.getUserKey("alice")).contains("wrapped-2");
    }
  }

  @Test
  void kubernetesAuthLogsInOnceForManyCalls(@TempDir Path dir) throws IOException {
    Path tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, JWT + "\n");
    vault.enableKubernetesAuth("k8s-cluster", "nbsecrets", JWT);
    VaultConfig config =
        new VaultConfig(
            vault.address(),
            null,
            null,
            null,
            "nbsecrets",
            tokenFile,
            "k8s-cluster",
            Duration.ofSeconds(5));
    try (VaultSecretStore store = VaultSecretStore.open(config)) {
      List<Callable<Void>> calls = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        int n = i;
        calls.add(
            () -> {
              store.put("user-" + (n % 4), "name-" + n, "sealed-" + n, 100);
              store.get("user-" + (n % 4), List.of("name-" + n));
              return null;
            });
      }
      SecretStoreContract.runConcurrently(8, calls);
      assertThat(store.list("user-0")).hasSize(10);
      assertThat(store.getUserKey("user-0")).isEmpty();
      assertThat(vault.logins()).isEqualTo(1);
    }
  }

  /** Spring Vault renews 5 s before expiry: a 10 s lease is renewed after ~5 s, without a login. */
  @Test
  void theLoginTokenIsRenewedNotReplaced(@TempDir Path dir) throws IOException {
    Path tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, JWT);
    vault.enableKubernetesAuth("kubernetes", "nbsecrets", JWT);
    vault.leaseSeconds(10);
    VaultConfig config =
        new VaultConfig(vault.address(), null, null, null, "nbsecrets", tokenFile, null, null);
    try (VaultSecretStore store = VaultSecretStore.open(config)) {
      store.put("alice", "a", "s", 10);
      Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> vault.renewals() >= 1);
      assertThat(store.get("alice", List.of("a"))).containsOnlyKeys("a");
      assertThat(vault.logins()).isEqualTo(1);
    }
  }

  @Test
  void aWrongKubernetesRoleFailsWithoutShowingTheJwt(@TempDir Path dir) throws IOException {
    Path tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, JWT);
    vault.enableKubernetesAuth("kubernetes", "nbsecrets", JWT);
    VaultConfig config =
        new VaultConfig(vault.address(), null, null, null, "other-role", tokenFile, null, null);
    try (VaultSecretStore store = VaultSecretStore.open(config)) {
      assertThatThrownBy(() -> store.list("alice"))
          .isInstanceOf(StoreException.class)
          .isNotInstanceOf(StoreUnavailableException.class)
          .hasMessageContaining("log in")
          .satisfies(e -> assertThat(SecretStoreContract.messagesOf(e)).doesNotContain(JWT));
      assertThat(vault.logins()).isZero();
    }
  }

  @Test
  void aMissingTokenFileIsNamed(@TempDir Path dir) {
    vault.enableKubernetesAuth("kubernetes", "nbsecrets", JWT);
    Path missing = dir.resolve("no-such-token");
    VaultConfig config =
        new VaultConfig(vault.address(), null, null, null, "nbsecrets", missing, null, null);
    try (VaultSecretStore store = VaultSecretStore.open(config)) {
      assertThatThrownBy(() -> store.getUserKey("alice"))
          .isInstanceOf(StoreException.class)
          .hasMessageContaining(missing.toString());
    }
  }

  @Test
  void aForbiddenPathIsAPolicyErrorWithoutTheToken() {
    try (VaultSecretStore store =
        VaultSecretStore.open(VaultConfig.withToken(vault.address(), "hvs.unknown-token"))) {
      assertThatThrownBy(() -> store.put("alice", "a", "sealed-secret-value", 10))
          .isInstanceOf(StoreException.class)
          .isNotInstanceOf(StoreUnavailableException.class)
          .hasMessageContaining("policy")
          .satisfies(
              e ->
                  assertThat(SecretStoreContract.messagesOf(e))
                      .doesNotContain("hvs.unknown-token")
                      .doesNotContain("sealed-secret-value"));
    }
  }

  @Test
  void anOutageIsUnavailableAndNamesNoSecrets() {
    try (VaultSecretStore store = tokenStore()) {
      store.put("alice", "a", "sealed-secret-value", 10);
      store.checkHealth();
      vault.stop();
      for (Runnable call :
          List.<Runnable>of(
              () -> store.put("alice", "a", "sealed-secret-value", 10),
              () -> store.get("alice", List.of("a")),
              store::checkHealth)) {
        assertThatThrownBy(call::run)
            .isInstanceOf(StoreUnavailableException.class)
            .hasMessageStartingWith("vault store unavailable: ")
            .satisfies(
                e ->
                    assertThat(SecretStoreContract.messagesOf(e))
                        .doesNotContain("sealed-secret-value")
                        .doesNotContain(ROOT));
      }
    }
  }

  @Test
  void kubernetesLoginToAVaultThatIsDownIsUnavailable(@TempDir Path dir) throws IOException {
    Path tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, JWT);
    VaultConfig config =
        new VaultConfig(
            VaultSecretStoreContractTest.closedPort(),
            null,
            null,
            null,
            "nbsecrets",
            tokenFile,
            null,
            Duration.ofMillis(500));
    try (VaultSecretStore store = VaultSecretStore.open(config)) {
      assertThatThrownBy(() -> store.putUserKeyIfAbsent("alice", "wrapped-secret-key"))
          .isInstanceOf(StoreUnavailableException.class)
          .satisfies(
              e ->
                  assertThat(SecretStoreContract.messagesOf(e))
                      .doesNotContain(JWT)
                      .doesNotContain("wrapped-secret-key"));
    }
  }

  @Test
  void namesThatAreNotPathSegmentsAreRefused() {
    try (VaultSecretStore store = tokenStore()) {
      for (String name : List.of("..", ".", "a/b", "a b", "")) {
        assertThatThrownBy(() -> store.put("alice", name, "x", 10))
            .isInstanceOf(StoreException.class);
      }
    }
  }

  @Test
  void settingsAreValidatedByName() {
    var address = vault.address();
    assertThatThrownBy(
            () ->
                VaultSecretStore.open(
                    new VaultConfig(address, null, null, ROOT, "role", null, null, null)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("store.vault.auth.token")
        .hasMessageContaining("store.vault.auth.role")
        .hasMessageNotContaining(ROOT);
    assertThatThrownBy(() -> VaultSecretStore.open(VaultConfig.withToken(null, ROOT)))
        .hasMessageContaining("store.vault.address");
    assertThatThrownBy(
            () ->
                VaultSecretStore.open(
                    VaultConfig.withToken(java.net.URI.create("vault:8200"), ROOT)))
        .hasMessageContaining("store.vault.address");
    assertThatThrownBy(
            () ->
                VaultSecretStore.open(
                    new VaultConfig(address, "se cret", null, ROOT, null, null, null, null)))
        .hasMessageContaining("store.vault.kvMount");
    assertThatThrownBy(
            () ->
                VaultSecretStore.open(
                    new VaultConfig(address, null, "a/..", ROOT, null, null, null, null)))
        .hasMessageContaining("store.vault.pathPrefix");
    assertThatThrownBy(
            () ->
                VaultSecretStore.open(
                    new VaultConfig(address, null, null, ROOT, null, null, null, Duration.ZERO)))
        .hasMessageContaining("store.vault.timeout");

    VaultConfig config = VaultConfig.withToken(address, ROOT);
    assertThat(config.mount()).isEqualTo("secret");
    assertThat(config.prefix()).isEqualTo("nbsecrets");
    assertThat(config.kubernetesAuthPath()).isEqualTo("kubernetes");
    assertThat(config.toString()).doesNotContain(ROOT);
    try (VaultSecretStore store = VaultSecretStore.open(config)) {
      assertThat(store.toString()).doesNotContain(ROOT);
    }
  }
}
