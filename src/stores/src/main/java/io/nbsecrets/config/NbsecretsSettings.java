package io.nbsecrets.config;

import static io.nbsecrets.config.Setting.Scope.CHART_VALUE;
import static io.nbsecrets.config.Setting.Scope.DEV_ONLY;
import static io.nbsecrets.config.Setting.Scope.NOT_A_CHART_VALUE;

import io.nbsecrets.crypto.SessionKeyAlgorithm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every setting of every role (operator, api, rotate-keys, dev and the store they share), typed,
 * with its one name: the Helm chart's value name where the chart has one. Each is read from the
 * config file, the environment and flags with one rule, flag over environment over file over
 * default (see {@link Settings}). Command-line flags bind to these names, so {@code
 * --pod-token-audience} of the operator and of the API set the same {@link #POD_TOKEN_AUDIENCE}.
 */
public final class NbsecretsSettings {
  private static final List<Setting<?>> ALL_SETTINGS = new ArrayList<>();

  /** The values of {@code store.type}. */
  public static final List<String> STORE_TYPES = List.of("kubernetes", "database", "vault");

  // --- The store (both long-running roles and rotate-keys) ---

  public static final Setting<String> STORE_TYPE =
      add(Setting.choice("store.type", CHART_VALUE, STORE_TYPES));
  public static final Setting<String> STORE_K8S_NAMESPACE =
      add(Setting.text("store.kubernetes.namespace", CHART_VALUE, null));
  public static final Setting<String> DB_URL =
      add(Setting.text("store.database.url", CHART_VALUE, null));
  public static final Setting<String> DB_USERNAME =
      add(Setting.text("store.database.username", CHART_VALUE, null));

  /** Secret: the chart passes it from {@code store.database.existingSecret}. */
  public static final Setting<String> DB_PASSWORD =
      add(Setting.text("store.database.password", NOT_A_CHART_VALUE, null));

  public static final Setting<Integer> DB_MAX_POOL_SIZE =
      add(Setting.integer("store.database.maxPoolSize", NOT_A_CHART_VALUE, 10, 1, 1000));
  public static final Setting<Duration> DB_CONNECTION_TIMEOUT =
      add(
          Setting.duration(
              "store.database.connectionTimeout", NOT_A_CHART_VALUE, Duration.ofSeconds(5)));
  public static final Setting<String> VAULT_ADDRESS =
      add(Setting.text("store.vault.address", CHART_VALUE, null));
  public static final Setting<String> VAULT_MOUNT =
      add(Setting.text("store.vault.kvMount", CHART_VALUE, null));
  public static final Setting<String> VAULT_PREFIX =
      add(Setting.text("store.vault.pathPrefix", CHART_VALUE, null));
  public static final Setting<String> VAULT_AUTH =
      add(Setting.choice("store.vault.auth.method", CHART_VALUE, List.of("kubernetes", "token")));

  /** Secret: the chart passes it from {@code store.vault.auth.existingSecret}. */
  public static final Setting<String> VAULT_TOKEN =
      add(Setting.text("store.vault.auth.token", NOT_A_CHART_VALUE, null));

  public static final Setting<String> VAULT_KUBERNETES_ROLE =
      add(Setting.text("store.vault.auth.role", CHART_VALUE, null));
  public static final Setting<String> VAULT_KUBERNETES_PATH =
      add(Setting.text("store.vault.auth.kubernetesMountPath", CHART_VALUE, null));
  public static final Setting<String> VAULT_KUBERNETES_TOKEN_FILE =
      add(Setting.text("store.vault.auth.jwtPath", NOT_A_CHART_VALUE, null));
  public static final Setting<Duration> VAULT_TIMEOUT =
      add(Setting.duration("store.vault.timeout", NOT_A_CHART_VALUE, Duration.ofSeconds(10)));
  public static final Setting<String> VAULT_TRANSIT_KEY =
      add(Setting.text("store.vault.transit.key", CHART_VALUE, null));
  public static final Setting<String> VAULT_TRANSIT_MOUNT =
      add(Setting.text("store.vault.transit.mount", CHART_VALUE, "transit"));

  // --- Shared by the operator and the API ---

  /**
   * The audience of session pods' projected tokens: the operator asks the kubelet for it, the API
   * requires it. One setting, so the two cannot differ.
   */
  public static final Setting<String> POD_TOKEN_AUDIENCE =
      add(
          Setting.text("api.podTokenAudience", CHART_VALUE, "nbsecrets")
              .withEnvAliases("NBSECRETS_POD_TOKEN_AUDIENCE"));

  // --- The API ---

  public static final Setting<Integer> API_PORT =
      add(Setting.integer("api.port", CHART_VALUE, 8443, 0, 65535));
  public static final Setting<Integer> API_MAX_VALUE_BYTES =
      add(
          Setting.integer(
              "api.maxValueBytes", CHART_VALUE, 131072, Integer.MIN_VALUE, Integer.MAX_VALUE));
  public static final Setting<Integer> API_MAX_SECRETS_PER_USER =
      add(
          Setting.integer(
              "api.maxSecretsPerUser", CHART_VALUE, 1000, Integer.MIN_VALUE, Integer.MAX_VALUE));
  public static final Setting<String> API_USERNAME_PREFIX =
      add(Setting.text("api.usernamePrefix", CHART_VALUE, ""));

  /**
   * Whether ServiceAccount tokens may use the user endpoints, as the user {@code
   * system:serviceaccount:<namespace>:<name>} (automation: a pipeline that stores a bot's secrets).
   */
  public static final Setting<Boolean> API_ALLOW_SERVICE_ACCOUNT_USERS =
      add(Setting.flag("api.allowServiceAccountUsers", CHART_VALUE, false));

  /**
   * The proxies in front of the API (an ingress controller's or Gateway's pod addresses, as
   * addresses or CIDR blocks) whose {@code X-Forwarded-For} names the client whose per-address
   * limits a request counts against; empty: none, every request's client is its peer.
   */
  public static final Setting<List<String>> API_TRUSTED_PROXIES =
      add(Setting.list("api.trustedProxies", CHART_VALUE));

  // --- The operator ---

  public static final Setting<String> OPERATOR_API_URL =
      add(
          Setting.text("operator.apiUrl", CHART_VALUE, "https://nbsecrets-api.nbsecrets.svc:8443")
              .withEnvAliases("NBSECRETS_API_URL"));
  public static final Setting<String> OPERATOR_INIT_IMAGE =
      add(
          Setting.text("operator.initImage", CHART_VALUE, "ghcr.io/nbsecrets/nbsecrets:latest")
              .withEnvAliases("NBSECRETS_INIT_IMAGE"));
  public static final Setting<Long> OPERATOR_SESSION_UID =
      add(Setting.whole("operator.sessionUid", CHART_VALUE, 1000L));
  public static final Setting<Long> OPERATOR_SESSION_GID =
      add(Setting.whole("operator.sessionGid", CHART_VALUE, 100L));
  public static final Setting<Integer> OPERATOR_MANAGEMENT_PORT =
      add(Setting.integer("operator.managementPort", CHART_VALUE, 8081, 0, 65535));
  public static final Setting<List<String>> WATCH_NAMESPACES =
      add(
          Setting.list("rbac.watchNamespaces", CHART_VALUE)
              .withEnvAliases("NBSECRETS_WATCH_NAMESPACES"));

  /**
   * The algorithm of a session key pair the operator generates ({@link SessionKeyAlgorithm}; the
   * default, first, is the hybrid post-quantum {@code mlkem768-x25519}).
   */
  public static final Setting<String> KEY_ALGORITHM =
      add(Setting.choice("keys.algorithm", CHART_VALUE, SessionKeyAlgorithm.ids()));

  /**
   * The ConfigMap of the API's CA bundle; empty: init containers trust the JDK's CAs. The chart
   * derives it from {@code api.tls.mode}. Equals {@code ServerTls.CA_CONFIGMAP} (a test checks).
   */
  public static final Setting<String> OPERATOR_API_CA_CONFIGMAP =
      add(
          Setting.text("operator.apiCaConfigMap", NOT_A_CHART_VALUE, "nbsecrets-api-ca-bundle")
              .withEnvAliases("NBSECRETS_API_CA_CONFIGMAP")
              .withEmptyAsValue());

  /** The chart derives it from {@code api.tls.mode} none. Development only. */
  public static final Setting<Boolean> OPERATOR_INSECURE_API_HTTP =
      add(Setting.flag("operator.insecureApiHttp", NOT_A_CHART_VALUE, false));

  /** The chart derives it from {@code operator.replicas} above one. */
  public static final Setting<Boolean> OPERATOR_LEADER_ELECTION =
      add(Setting.flag("operator.leaderElection", NOT_A_CHART_VALUE, false));

  // --- rotate-keys ---

  public static final Setting<Boolean> ROTATION_PLATFORM =
      add(Setting.flag("rotation.platform", CHART_VALUE, false));
  public static final Setting<Boolean> ROTATION_TRANSIT =
      add(Setting.flag("rotation.transit", CHART_VALUE, false));
  public static final Setting<Boolean> ROTATION_NEW_TRANSIT_VERSION =
      add(Setting.flag("rotation.newTransitVersion", CHART_VALUE, false));

  /** The new session key's algorithm; unset: the current key's (a migration when it differs). */
  public static final Setting<String> ROTATION_KEY_ALGORITHM =
      add(Setting.text("rotation.keyAlgorithm", CHART_VALUE, null));

  public static final Setting<Integer> ROTATION_BATCH_SIZE =
      add(
          Setting.integer(
              "rotation.batchSize", CHART_VALUE, 500, Integer.MIN_VALUE, Integer.MAX_VALUE));

  /** Unset: the number of processors (the chart leaves it unset for its 0). */
  public static final Setting<Integer> ROTATION_PARALLELISM =
      add(
          Setting.integer(
              "rotation.parallelism", CHART_VALUE, null, Integer.MIN_VALUE, Integer.MAX_VALUE));

  public static final Setting<Long> ROTATION_PROPAGATION_WAIT_SECONDS =
      add(Setting.whole("rotation.propagationWaitSeconds", CHART_VALUE, 30L));
  public static final Setting<Boolean> ROTATION_KEEP_OLD_KEYS =
      add(Setting.flag("rotation.keepOldKeys", CHART_VALUE, false));

  /** The rotation's run id ({@code --run-id}); the chart's Job passes its own name. */
  public static final Setting<String> ROTATION_RUN =
      add(Setting.text("rotation.run", CHART_VALUE, null));

  // --- dev ---

  public static final Setting<String> DEV_DIR =
      add(Setting.text("dev.dir", DEV_ONLY, "target/dev"));
  public static final Setting<Integer> DEV_KUBERNETES_PORT =
      add(Setting.integer("dev.kubernetesPort", DEV_ONLY, 0, 0, 65535));
  public static final Setting<Integer> DEV_API_PORT =
      add(Setting.integer("dev.apiPort", DEV_ONLY, 0, 0, 65535));
  public static final Setting<String> DEV_KEY_ALGORITHM =
      add(Setting.choice("dev.keyAlgorithm", DEV_ONLY, SessionKeyAlgorithm.ids()));
  public static final Setting<Boolean> DEV_NO_EXAMPLES =
      add(Setting.flag("dev.noExamples", DEV_ONLY, false));

  private static final Map<String, Setting<?>> BY_NAME = byName();

  private NbsecretsSettings() {}

  /** Every setting, in the order defined here. */
  public static List<Setting<?>> all() {
    return List.copyOf(ALL_SETTINGS);
  }

  /** Every setting's name. */
  public static List<String> names() {
    return List.copyOf(BY_NAME.keySet());
  }

  /** The setting of that name. */
  public static Optional<Setting<?>> byName(String name) {
    return Optional.ofNullable(BY_NAME.get(name));
  }

  private static <T> Setting<T> add(Setting<T> setting) {
    ALL_SETTINGS.add(setting);
    return setting;
  }

  private static Map<String, Setting<?>> byName() {
    Map<String, Setting<?>> map = new LinkedHashMap<>();
    for (Setting<?> s : ALL_SETTINGS) {
      if (map.put(s.name(), s) != null) {
        throw new IllegalStateException("setting defined twice: " + s.name());
      }
    }
    return map;
  }
}
