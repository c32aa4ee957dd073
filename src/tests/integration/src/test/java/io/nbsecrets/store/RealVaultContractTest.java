package io.nbsecrets.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nbsecrets.store.VaultSecretStore.VaultConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * The contract against a real Vault, only when {@code VAULT_ADDR} and {@code VAULT_TOKEN} are set
 * (e.g. {@code vault server -dev}; see docs/vault.md). KV v2 must be mounted at {@code
 * VAULT_KV_MOUNT} (default {@code secret}). Each run uses a unique prefix and deletes everything
 * under it afterwards.
 */
@EnabledIfEnvironmentVariable(named = "VAULT_ADDR", matches = ".+")
@EnabledIfEnvironmentVariable(named = "VAULT_TOKEN", matches = ".+")
class RealVaultContractTest extends SecretStoreContract {

  private static final String RUN =
      "nbsecrets-test-" + UUID.randomUUID().toString().substring(0, 8);
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static final ObjectMapper JSON = new ObjectMapper();

  private static URI address() {
    return URI.create(System.getenv("VAULT_ADDR").replaceAll("/+$", ""));
  }

  private static String mount() {
    String mount = System.getenv("VAULT_KV_MOUNT");
    return mount == null || mount.isBlank() ? "secret" : mount;
  }

  @Override
  protected SecretStore newStore() {
    return VaultSecretStore.open(
        new VaultConfig(
            address(),
            mount(),
            RUN + "-" + PREFIXES.incrementAndGet(),
            System.getenv("VAULT_TOKEN"),
            null,
            null,
            null,
            Duration.ofSeconds(10)));
  }

  @Override
  protected SecretStore unreachableStore() {
    return VaultSecretStore.open(
        new VaultConfig(
            VaultSecretStoreContractTest.closedPort(),
            null,
            null,
            "not-a-real-token",
            null,
            null,
            null,
            Duration.ofMillis(500)));
  }

  /** Deletes every secret under this run's prefixes (records and user keys). */
  @AfterAll
  static void cleanUp() throws IOException, InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    for (int i = 1; i <= PREFIXES.get(); i++) {
      String prefix = RUN + "-" + i;
      deleteTree(http, prefix + "/");
      deleteTree(http, prefix + VaultSecretStore.USER_KEYS_SUFFIX + "/");
    }
  }

  private static void deleteTree(HttpClient http, String folder)
      throws IOException, InterruptedException {
    HttpResponse<String> listed =
        http.send(
            request(mount() + "/metadata/" + folder + "?list=true").GET().build(),
            HttpResponse.BodyHandlers.ofString());
    if (listed.statusCode() != 200) {
      return;
    }
    for (JsonNode key : JSON.readTree(listed.body()).path("data").path("keys")) {
      String path = folder + key.asText();
      if (path.endsWith("/")) {
        deleteTree(http, path);
      } else {
        http.send(
            request(mount() + "/metadata/" + path).DELETE().build(),
            HttpResponse.BodyHandlers.discarding());
      }
    }
  }

  private static HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(address() + "/v1/" + path))
        .header("X-Vault-Token", System.getenv("VAULT_TOKEN"))
        .timeout(Duration.ofSeconds(10));
  }
}
