package io.nbsecrets.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.IntegrityException;
import io.nbsecrets.store.VaultSecretStore.VaultConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * {@link VaultTransit} against a real Vault, only when {@code VAULT_ADDR} and {@code VAULT_TOKEN}
 * are set and the token may manage keys of the Transit engine mounted at {@code
 * VAULT_TRANSIT_MOUNT} (default {@code transit}; e.g. {@code vault server -dev} and {@code vault
 * secrets enable transit}). Each test creates its own key and deletes it afterwards.
 */
@EnabledIfEnvironmentVariable(named = "VAULT_ADDR", matches = ".+")
@EnabledIfEnvironmentVariable(named = "VAULT_TOKEN", matches = ".+")
class RealVaultTransitTest {
  private static final byte[] INNER = "gAAAAA-fernet".getBytes(StandardCharsets.US_ASCII);
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final String mount =
      System.getenv().getOrDefault("VAULT_TRANSIT_MOUNT", "transit").replaceAll("^$", "transit");
  private final String key = "nbsecrets-test-" + UUID.randomUUID().toString().substring(0, 8);
  private VaultSecretStore store;
  private VaultTransit transit;

  private static int vault(String method, String path, String body) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(
                URI.create(System.getenv("VAULT_ADDR").replaceAll("/+$", "") + "/v1/" + path))
            .header("X-Vault-Token", System.getenv("VAULT_TOKEN"))
            .method(method, HttpRequest.BodyPublishers.ofString(body == null ? "" : body))
            .build();
    return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @BeforeEach
  void createKey() throws Exception {
    assertThat(vault("POST", mount + "/keys/" + key, "{}")).isBetween(200, 204);
    store =
        VaultSecretStore.open(
            VaultConfig.withToken(
                URI.create(System.getenv("VAULT_ADDR").replaceAll("/+$", "")),
                System.getenv("VAULT_TOKEN")));
    transit = store.transit(mount, key);
  }

  @AfterEach
  void deleteKey() throws Exception {
    store.close();
    vault("POST", mount + "/keys/" + key + "/config", "{\"deletion_allowed\":true}");
    vault("DELETE", mount + "/keys/" + key, null);
  }

  @Test
  void sealOpenRotateRewrapAndRetireOldVersions() throws Exception {
    String record = Envelope.seal(transit, "alice", "TOKEN", INNER);
    assertThat(Envelope.open(transit, "alice", "TOKEN", record)).isEqualTo(INNER);

    transit.rotate();
    assertThat(transit.latestVersion()).isEqualTo(2);
    String rewrapped = Envelope.withWrappedKey(record, transit.rewrap(Envelope.wrappedKey(record)));
    assertThat(VaultTransit.versionOf(Envelope.wrappedKey(rewrapped))).isEqualTo(2);
    assertThat(Envelope.open(transit, "alice", "TOKEN", rewrapped)).isEqualTo(INNER);

    assertThat(vault("POST", mount + "/keys/" + key + "/config", "{\"min_decryption_version\":2}"))
        .isBetween(200, 204);
    assertThatThrownBy(() -> Envelope.open(transit, "alice", "TOKEN", record))
        .isInstanceOf(IntegrityException.class);
    assertThat(Envelope.open(transit, "alice", "TOKEN", rewrapped)).isEqualTo(INNER);
  }
}
