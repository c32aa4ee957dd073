package io.nbsecrets.config;

import java.util.List;

/** The setting names, the same as the Helm chart's values. */
public final class Keys {
  public static final String STORE_TYPE = "store.type";
  public static final String STORE_K8S_NAMESPACE = "store.kubernetes.namespace";
  public static final String DB_URL = "store.database.url";
  public static final String DB_USERNAME = "store.database.username";
  public static final String DB_PASSWORD = "store.database.password";
  public static final String DB_MAX_POOL_SIZE = "store.database.maxPoolSize";
  public static final String DB_CONNECTION_TIMEOUT = "store.database.connectionTimeout";
  public static final String VAULT_ADDRESS = "store.vault.address";
  public static final String VAULT_MOUNT = "store.vault.mount";
  public static final String VAULT_PREFIX = "store.vault.prefix";
  public static final String VAULT_AUTH = "store.vault.auth";
  public static final String VAULT_TOKEN = "store.vault.token";
  public static final String VAULT_KUBERNETES_ROLE = "store.vault.kubernetes.role";
  public static final String VAULT_KUBERNETES_PATH = "store.vault.kubernetes.path";
  public static final String VAULT_KUBERNETES_TOKEN_FILE = "store.vault.kubernetes.tokenFile";
  public static final String VAULT_TIMEOUT = "store.vault.timeout";

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
          VAULT_TIMEOUT);

  public static final List<String> STORE_TYPES = List.of("kubernetes", "database", "vault");

  private Keys() {}
}
