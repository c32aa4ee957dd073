package io.nbsecrets.config;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.nbsecrets.store.DatabaseSecretStore;
import io.nbsecrets.store.KubernetesSecretStore;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.VaultSecretStore;
import io.nbsecrets.store.VaultTransit;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Optional;

/** Opens the store that {@code store.type} names, with its settings checked first. */
public final class Stores {
  private Stores() {}

  /**
   * Opens the configured store.
   *
   * @param client the Kubernetes client (for the kubernetes store)
   * @param defaultNamespace the kubernetes store's namespace when store.kubernetes.namespace is
   *     unset
   * @throws SettingsException naming the setting that is missing or wrong
   */
  public static SecretStore open(Settings s, KubernetesClient client, String defaultNamespace) {
    String type = s.get(NbsecretsSettings.STORE_TYPE);
    try {
      return switch (type) {
        case "database" -> DatabaseSecretStore.open(database(s));
        case "vault" -> VaultSecretStore.open(vault(s));
        default ->
            new KubernetesSecretStore(
                client, s.find(NbsecretsSettings.STORE_K8S_NAMESPACE).orElse(defaultNamespace));
      };
    } catch (IllegalArgumentException e) {
      // the backends name the setting in their own checks
      throw new SettingsException(e.getMessage());
    }
  }

  /**
   * The Vault Transit key that wraps records' data keys, when {@code store.vault.transit.key} is
   * set (otherwise the session RSA key pair does).
   *
   * @param store the store opened from the same settings
   * @throws SettingsException when Transit is asked for without the vault store, or is misnamed
   */
  public static Optional<VaultTransit> transit(Settings s, SecretStore store) {
    Optional<String> key = s.find(NbsecretsSettings.VAULT_TRANSIT_KEY).filter(k -> !k.isBlank());
    if (key.isEmpty()) {
      return Optional.empty();
    }
    if (!(store instanceof VaultSecretStore vault)) {
      throw new SettingsException(
          NbsecretsSettings.VAULT_TRANSIT_KEY.name()
              + " needs store.type vault (Transit uses the store's Vault)");
    }
    try {
      return Optional.of(vault.transit(s.get(NbsecretsSettings.VAULT_TRANSIT_MOUNT), key.get()));
    } catch (IllegalArgumentException e) {
      throw new SettingsException(e.getMessage());
    }
  }

  static DatabaseSecretStore.DatabaseConfig database(Settings s) {
    String why = "when store.type is database";
    return new DatabaseSecretStore.DatabaseConfig(
        s.require(NbsecretsSettings.DB_URL, why),
        s.require(NbsecretsSettings.DB_USERNAME, why),
        s.find(NbsecretsSettings.DB_PASSWORD).orElse(""),
        s.get(NbsecretsSettings.DB_MAX_POOL_SIZE),
        s.get(NbsecretsSettings.DB_CONNECTION_TIMEOUT));
  }

  static VaultSecretStore.VaultConfig vault(Settings s) {
    String why = "when store.type is vault";
    URI address;
    String raw = s.require(NbsecretsSettings.VAULT_ADDRESS, why);
    try {
      address = new URI(raw);
    } catch (URISyntaxException e) {
      throw new SettingsException(NbsecretsSettings.VAULT_ADDRESS.name() + " is not a URL: " + raw);
    }
    String auth = s.get(NbsecretsSettings.VAULT_AUTH);
    String token =
        auth.equals("token")
            ? s.require(NbsecretsSettings.VAULT_TOKEN, "when store.vault.auth.method is token")
            : null;
    String role =
        auth.equals("kubernetes")
            ? s.require(
                NbsecretsSettings.VAULT_KUBERNETES_ROLE,
                "when store.vault.auth.method is kubernetes")
            : null;
    return new VaultSecretStore.VaultConfig(
        address,
        s.get(NbsecretsSettings.VAULT_MOUNT),
        s.get(NbsecretsSettings.VAULT_PREFIX),
        token,
        role,
        s.find(NbsecretsSettings.VAULT_KUBERNETES_TOKEN_FILE).map(Path::of).orElse(null),
        s.get(NbsecretsSettings.VAULT_KUBERNETES_PATH),
        s.get(NbsecretsSettings.VAULT_TIMEOUT));
  }
}
