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
