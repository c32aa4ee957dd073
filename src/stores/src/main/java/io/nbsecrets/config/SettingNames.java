package io.nbsecrets.config;

import java.util.List;

/**
 * The names of the store's settings: the same as the Helm chart's values
 * (charts/nbsecrets/values.yaml), which pass them as NBSECRETS_ environment variables. Named
 * "setting names", not keys, to keep them apart from key material (package {@code keys}). The typed
 * settings of every role, these included, are in {@link NbsecretsSettings}.
 */
public final class SettingNames {
  public static final String STORE_TYPE = "store.type";
  public static final String STORE_K8S_NAMESPACE = "store.kubernetes.namespace";
  public static final String DB_URL = "store.database.url";
  public static final String DB_USERNAME = "store.database.username";
  public static final String DB_PASSWORD = "store.database.password";
  public static final String DB_MAX_POOL_SIZE = "store.database.maxPoolSize";
  public static final String DB_CONNECTION_TIMEOUT = "store.database.connectionTimeout";
  public static final String VAULT_ADDRESS = "store.vault.address";
  public static final String VAULT_MOUNT = "store.vault.kvMount";
  public static final String VAULT_PREFIX = "store.vault.pathPrefix";
  public static final String VAULT_AUTH = "store.vault.auth.method";
  public static final String VAULT_TOKEN = "store.vault.auth.token";
  public static final String VAULT_KUBERNETES_ROLE = "store.vault.auth.role";
  public static final String VAULT_KUBERNETES_PATH = "store.vault.auth.kubernetesMountPath";
  public static final String VAULT_KUBERNETES_TOKEN_FILE = "store.vault.auth.jwtPath";
  public static final String VAULT_TIMEOUT = "store.vault.timeout";
  public static final String VAULT_TRANSIT_KEY = "store.vault.transit.key";
  public static final String VAULT_TRANSIT_MOUNT = "store.vault.transit.mount";

  /** The store's setting names. */
  public static final List<String> ALL =
      List.of(
          STORE_TYPE,
          STORE_K8S_NAMESPACE,
          DB_URL,
          DB_USERNAME,
          DB_PASSWORD,
          DB_MAX_POOL_SIZE,
          DB_CONNECTION_TIMEOUT,
          VAULT_ADDRESS,
          VAULT_MOUNT,
          VAULT_PREFIX,
          VAULT_AUTH,
          VAULT_TOKEN,
          VAULT_KUBERNETES_ROLE,
          VAULT_KUBERNETES_PATH,
          VAULT_KUBERNETES_TOKEN_FILE,
          VAULT_TIMEOUT,
          VAULT_TRANSIT_KEY,
          VAULT_TRANSIT_MOUNT);

  public static final List<String> STORE_TYPES = List.of("kubernetes", "database", "vault");

  private SettingNames() {}
}
