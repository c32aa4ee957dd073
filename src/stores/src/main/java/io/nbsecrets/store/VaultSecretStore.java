package io.nbsecrets.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nbsecrets.util.Bytes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;
import org.springframework.vault.authentication.ClientAuthentication;
import org.springframework.vault.authentication.KubernetesAuthentication;
import org.springframework.vault.authentication.KubernetesAuthenticationOptions;
import org.springframework.vault.authentication.LifecycleAwareSessionManager;
import org.springframework.vault.authentication.TokenAuthentication;
import org.springframework.vault.client.VaultClients;
import org.springframework.vault.client.VaultEndpoint;
import org.springframework.vault.core.VaultTemplate;
import org.springframework.web.client.HttpStatusCodeException;
import org.springframework.web.client.RestOperations;
import org.springframework.web.client.RestTemplate;

/**
 * A {@link SecretStore} in HashiCorp Vault's KV version 2 secrets engine (see {@code
 * docs/vault.md}).
 *
 * <h2>Layout</h2>
 *
 * <p>A record is the KV v2 secret {@code <mount>/<prefix>/<encoded user>/<NAME>} with the data
 * {@code {"value": <sealed>, "version": <n>, "createdAt": <ISO-8601>, "updatedAt": <ISO-8601>}}.
 * The {@code version} is the contract's (1 on create, +1 on replace, back to 1 after a delete), not
 * Vault's KV version, which is used only for check-and-set. A user's wrapped key is {@code
 * <mount>/<prefix>-userkeys/<encoded user>} with the data {@code {"key": <wrapped key>}}: a
 * separate tree, so no secret name can collide with it. When the user's secrets were last delivered
 * to a session is {@code <mount>/<prefix>-usage/<encoded user>} with the data {@code {<NAME>:
 * <ISO-8601>, ...}}, written with check-and-set by the operator (read, merge, write).
 *
 * <p><b>User encoding:</b> users may contain {@code /}, {@code :}, {@code @} or upper case, and
 * Vault paths are case-sensitive but often handled case-insensitively by tooling; the user segment
 * is therefore {@code u-} + the lowercase RFC 4648 base32 of the user's UTF-8, without padding
 * (reversible, path-safe, never {@code .} or {@code ..}). Secret names are used as they are; names
 * outside {@code [A-Za-z0-9._:-]}, or {@code .} and {@code ..}, are refused.
 *
 * <h2>Writes</h2>
 *
 * <p>{@link #put} reads the record (one GET). Absent: it counts the user's records with one LIST
 * (skipped when {@code maxSecrets} is {@code Integer.MAX_VALUE}) and writes with {@code cas=0}
 * (create only if absent). Present: it writes with {@code cas} = the KV version read, so Vault
 * refuses a write that raced another; the put then re-reads and retries, at most {@value
 * #MAX_WRITE_ATTEMPTS} attempts with jittered backoff, then {@link StoreUnavailableException}.
 * Hence no update is lost or torn. Within one store, writes of one record take turns on a striped
 * lock so they do not starve each other. <b>The per-user limit is approximate under races:</b> the
 * count and the create are two requests, so racing creates of different names near the limit can
 * overshoot it by up to one per racer. {@link #delete} reads, then deletes the metadata (all KV
 * versions); a delete racing a put may remove the record just written.
 *
 * <h2>Reads</h2>
 *
 * <p>KV v2 lists keys only, so {@link #list} and {@link #getAll} LIST the user's folder and then
 * GET each record, at most {@value #GET_PARALLELISM} at a time ({@link #list} thus transfers sealed
 * values, which it drops).
 *
 * <h2>Whole-store operations (key rotation)</h2>
 *
 * <p>Vault has no query across folders and no bulk read, and it lists keys in the order of their
 * base32 encoding, not of the users. So:
 *
 * <ul>
 *   <li>{@link #count} LISTs {@code <prefix>/} (the user folders), then each user's folder, at most
 *       {@value #GET_PARALLELISM} at a time: 1 + U requests for U users. It counts keys: a record
 *       soft-deleted outside nbsecrets is counted, though reads treat it as absent.
 *   <li>{@link #scan} costs, per page: one LIST of {@code <prefix>/} (every user folder; decoded
 *       and sorted in memory), one LIST of each user's folder from the cursor's user until the page
 *       is full, and one GET per record returned (at most {@value #GET_PARALLELISM} at a time) or
 *       deleted since its LIST (skipped). A whole scan of N records of U users in pages of P is
 *       thus about N/P LISTs of all U user folders, U + N/P LISTs of user folders and N GETs.
 *   <li>{@link #rewrap} and {@link #rewrapUserKey} are one GET and one write with {@code cas} = the
 *       KV version read, retried like {@link #put}. A re-wrapped record keeps the contract's {@code
 *       version} and timestamps in its data; its KV version increases. <b>The previous KV versions,
 *       sealed under the old key, stay in the secret's history</b> (up to the mount's {@code
 *       max_versions}) until Vault drops them, as after a put.
 *   <li>{@link #scanUserKeys} costs one LIST of {@code <prefix>-userkeys/} per page and one GET per
 *       key returned.
 * </ul>
 *
 * <p>Keys that nbsecrets cannot have written (not {@code u-} + canonical base32 of UTF-8, or not a
 * valid secret name) are skipped by these operations, as by {@link #list}.
 *
 * <h2>Authentication</h2>
 *
 * <p>A static token ({@code store.vault.auth.token}; looked up once with {@code lookup-self},
 * renewed with {@code renew-self} when renewable, never revoked) or Kubernetes auth ({@code
 * store.vault.auth.role}: the service account token file is read at each login; the login token is
 * cached, renewed before expiry, and revoked on {@link #close()}). Both go through Spring Vault's
 * {@link LifecycleAwareSessionManager}: there is no login per call.
 *
 * <h2>Errors and secrecy</h2>
 *
 * <p>Connection failures, timeouts, 5xx and 429 become {@link StoreUnavailableException}; 403 a
 * {@link StoreException} pointing at the Vault policy; anything else a {@link StoreException}.
 * Messages name users, secret names and paths, never sealed values, keys or tokens; HTTP error
 * responses are not kept as causes (only Vault's error strings are quoted). Do not enable DEBUG
 * logging of {@code org.springframework.web.client}: RestTemplate then logs request bodies.
 */
public final class VaultSecretStore implements SecretStore {
  private static final Logger LOG = LoggerFactory.getLogger(VaultSecretStore.class);

  /**
   * How to reach Vault. Exactly one of {@code token} and {@code kubernetesRole} is set; nulls
   * elsewhere take the defaults. {@link #toString()} never shows the token.
   */
  public record VaultConfig(
      URI address,
      String mount,
      String prefix,
      String token,
      String kubernetesRole,
      Path kubernetesTokenFile,
      String kubernetesAuthPath,
      Duration timeout) {

    public static final String DEFAULT_MOUNT = "secret";
    public static final String DEFAULT_PREFIX = "nbsecrets";
    public static final Path DEFAULT_KUBERNETES_TOKEN_FILE =
        Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");
    public static final String DEFAULT_KUBERNETES_AUTH_PATH = "kubernetes";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    public VaultConfig {
      mount = mount == null ? DEFAULT_MOUNT : mount;
      prefix = prefix == null ? DEFAULT_PREFIX : prefix;
      kubernetesTokenFile =
          kubernetesTokenFile == null ? DEFAULT_KUBERNETES_TOKEN_FILE : kubernetesTokenFile;
      kubernetesAuthPath =
          kubernetesAuthPath == null ? DEFAULT_KUBERNETES_AUTH_PATH : kubernetesAuthPath;
      timeout = timeout == null ? DEFAULT_TIMEOUT : timeout;
    }

    /** Token auth with the defaults. */
    public static VaultConfig withToken(URI address, String token) {
      return new VaultConfig(address, null, null, token, null, null, null, null);
    }

    /** Kubernetes auth with the defaults. */
    public static VaultConfig withKubernetesRole(URI address, String role) {
      return new VaultConfig(address, null, null, null, role, null, null, null);
    }

    @Override
    public String toString() {
      return "VaultConfig{address="
          + address
          + ", mount="
          + mount
          + ", prefix="
          + prefix
          + ", auth="
          + (token != null ? "token" : "kubernetes(role=" + kubernetesRole + ")")
          + ", timeout="
          + timeout
          + "}";
    }
  }

  static final int MAX_WRITE_ATTEMPTS = WriteRetries.MAX_ATTEMPTS;
  static final int GET_PARALLELISM = 8;
  static final String USER_KEYS_SUFFIX = "-userkeys";
  static final String USAGE_SUFFIX = "-usage";
  private static final String CAS_MISMATCH = "check-and-set parameter did not match";

  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");
  private static final Pattern MOUNT = Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._:-]+");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger IDS = new AtomicInteger();

  private final VaultConfig config;
  private final ThreadPoolTaskScheduler scheduler;
  private final LifecycleAwareSessionManager sessionManager;
  private final VaultTemplate vault;
  private final ExecutorService getPool;
  private final Clock clock = Clock.systemUTC();
  private final WriteLocks writeLocks = new WriteLocks();
  private volatile boolean closed;

  private VaultSecretStore(VaultConfig config) {
    this.config = config;
    int id = IDS.incrementAndGet();
    VaultEndpoint endpoint = VaultEndpoint.from(config.address());
    JdkClientHttpRequestFactory requests =
        new JdkClientHttpRequestFactory(
            HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.timeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build());
    requests.setReadTimeout(config.timeout());
    RestTemplate loginClient = VaultClients.createRestTemplate(endpoint, requests);
    ClientAuthentication authentication;
    if (config.token() != null) {
      authentication = new TokenAuthentication(config.token());
    } else {
      Path tokenFile = config.kubernetesTokenFile();
      KubernetesAuthenticationOptions options =
          KubernetesAuthenticationOptions.builder()
              .role(config.kubernetesRole())
              .path(config.kubernetesAuthPath())
              .jwtSupplier(() -> readServiceAccountToken(tokenFile))
              .build();
      authentication = new KubernetesAuthentication(options, loginClient);
    }
    this.scheduler = new ThreadPoolTaskScheduler();
    scheduler.setPoolSize(1);
    scheduler.setDaemon(true);
    scheduler.setThreadNamePrefix("nbsecrets-vault-" + id + "-renew-");
    scheduler.initialize();
    this.sessionManager = new LifecycleAwareSessionManager(authentication, scheduler, loginClient);
    this.vault = new VaultTemplate(endpoint, requests, sessionManager);
    this.getPool = ParallelReads.pool("nbsecrets-vault-" + id + "-get-", GET_PARALLELISM);
  }

  /**
   * Opens a store; does not contact Vault yet (the first call logs in).
   *
   * @throws IllegalArgumentException naming the offending {@code store.vault.*} setting
   */
  public static VaultSecretStore open(VaultConfig config) {
    Objects.requireNonNull(config, "config");
    URI address = config.address();
    if (address == null
        || address.getScheme() == null
        || !(address.getScheme().equalsIgnoreCase("http")
            || address.getScheme().equalsIgnoreCase("https"))
        || address.getHost() == null) {
      throw new IllegalArgumentException(
          "store.vault.address must be an http(s) URL such as https://vault.example.org:8200,"
              + " got "
              + address);
    }
    if (address.getRawPath() != null
        && !address.getRawPath().isEmpty()
        && !address.getRawPath().equals("/")) {
      throw new IllegalArgumentException(
          "store.vault.address must not have a path (the API is under /v1), got " + address);
    }
    if (!MOUNT.matcher(config.mount()).matches() || hasDotSegment(config.mount())) {
      throw new IllegalArgumentException(
          "store.vault.kvMount must be a KV v2 mount path of [A-Za-z0-9._-] segments, got '"
              + config.mount()
              + "'");
    }
    if (!SEGMENT.matcher(config.prefix()).matches() || hasDotSegment(config.prefix())) {
      throw new IllegalArgumentException(
          "store.vault.pathPrefix must be one path segment of [A-Za-z0-9._-], got '"
              + config.prefix()
              + "'");
    }
    boolean hasToken = config.token() != null && !config.token().isBlank();
    boolean hasRole = config.kubernetesRole() != null && !config.kubernetesRole().isBlank();
    if (hasToken == hasRole) {
      throw new IllegalArgumentException(
          "exactly one of store.vault.auth.token (token auth) and store.vault.auth.role"
              + " (Kubernetes auth) must be set, "
              + (hasToken ? "both are" : "neither is"));
    }
    if (config.token() != null && !hasToken) {
      throw new IllegalArgumentException("store.vault.auth.token must not be blank");
    }
    if (hasRole) {
      if (!MOUNT.matcher(config.kubernetesAuthPath()).matches()
          || hasDotSegment(config.kubernetesAuthPath())) {
        throw new IllegalArgumentException(
            "store.vault.auth.kubernetesMountPath must be an auth mount path such as 'kubernetes',"
                + " got '"
                + config.kubernetesAuthPath()
                + "'");
      }
    }
    if (config.timeout().isZero() || config.timeout().isNegative()) {
      throw new IllegalArgumentException(
          "store.vault.timeout must be positive, got " + config.timeout());
    }
    return new VaultSecretStore(config);
  }

  private static boolean hasDotSegment(String path) {
    for (String s : path.split("/", -1)) {
      if (s.equals(".") || s.equals("..")) {
        return true;
      }
    }
    return false;
  }

  private static String readServiceAccountToken(Path file) {
    try {
      String jwt = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (jwt.isEmpty()) {
        throw new TokenFileException(
            "the Kubernetes service account token file " + file + " is empty");
      }
      return jwt;
    } catch (IOException e) {
      throw new TokenFileException(
          "cannot read the Kubernetes service account token file "
              + file
              + " ("
              + e.getClass().getSimpleName()
              + ")");
    }
  }

  /** The service account token file could not be read (its content is never in the message). */
  private static final class TokenFileException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TokenFileException(String message) {
      super(message);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Reads

  @Override
  public List<SecretMetadata> list(String user) {
    List<SecretMetadata> result = new ArrayList<>();
    for (StoredSecret s : getAll(user)) {
      result.add(s.metadata());
    }
    return result;
  }

  @Override
  public Map<String, StoredSecret> get(String user, Collection<String> names) {
    ensureOpen();
    Objects.requireNonNull(user, "user");
    for (String name : names) {
      checkName(name);
    }
    return ParallelReads.readPresent(
        getPool, "vault", user, names, name -> readRecord(user, name).record());
  }

  @Override
  public List<StoredSecret> getAll(String user) {
    ensureOpen();
    Objects.requireNonNull(user, "user");
    List<String> names = listNames(user);
    List<StoredSecret> result = new ArrayList<>();
    for (Optional<StoredSecret> r : readAll(user, names)) {
      r.ifPresent(result::add); // deleted between LIST and GET: skipped
    }
    result.sort(Comparator.comparing(StoredSecret::name));
    return result;
  }

  private List<Optional<StoredSecret>> readAll(String user, List<String> names) {
    return ParallelReads.readAll(
        getPool, "vault", user, names, name -> readRecord(user, name).record());
  }

  /** The names in the user's folder (LIST); empty when the folder does not exist. */
  private List<String> listNames(String user) {
    List<String> names = new ArrayList<>();
    for (String key : listKeys(userFolder(user), "the records of user " + user)) {
      if (!key.endsWith("/") && NAME.matcher(key).matches()) {
        names.add(key); // folders and foreign keys are not records
      }
    }
    names.sort(Comparator.naturalOrder());
    return names;
  }

  /**
   * The keys in {@code folder} (LIST), sub-folders ending in {@code /}; empty when it is absent.
   */
  private List<String> listKeys(String folder, String what) {
    String path = config.mount() + "/metadata/" + folder + "/?list=true";
    List<String> keys = new ArrayList<>();
    call(HttpMethod.GET, path, null, "list", what)
        .ifPresent(body -> body.path("data").path("keys").forEach(key -> keys.add(key.asText())));
    return keys;
  }

  /** A record as read: the KV version for check-and-set (0 when absent) and the record. */
  private record Read(long kvVersion, Optional<StoredSecret> record) {}

  private Read readRecord(String user, String name) {
    String path = config.mount() + "/data/" + recordPath(user, name);
    KvRead read = readKv(path, Descriptions.secret(user, name));
    return new Read(read.kvVersion(), read.data().map(data -> toRecord(data, name, path)));
  }

  /**
   * A KV entry as read: its KV version for check-and-set (0 when there is none) and its data (empty
   * when absent).
   */
  private record KvRead(long kvVersion, Optional<JsonNode> data) {}

  private KvRead readKv(String path, String what) {
    Optional<JsonNode> body = call(HttpMethod.GET, path, null, "read", what);
    if (body.isEmpty()) {
      return new KvRead(0, Optional.empty());
    }
    JsonNode data = body.get().path("data").path("data");
    long kvVersion = body.get().path("data").path("metadata").path("version").asLong(0);
    if (data.isNull() || data.isMissingNode()) {
      // A soft-deleted KV version (deleted outside this store): absent, but not at cas=0.
      return new KvRead(kvVersion, Optional.empty());
    }
    return new KvRead(kvVersion, Optional.of(data));
  }

  private StoredSecret toRecord(JsonNode data, String name, String path) {
    JsonNode value = data.path("value");
    if (!value.isTextual()) {
      throw refused(path, "it has no text field 'value'");
    }
    try {
      long version = data.path("version").asLong(0);
      Instant created = Instant.parse(data.path("createdAt").asText(""));
      Instant updated = Instant.parse(data.path("updatedAt").asText(""));
      if (version < 1) {
        throw refused(path, "its field 'version' is not a positive number");
      }
      return new StoredSecret(name, version, created, updated, value.asText());
    } catch (DateTimeParseException e) {
      throw refused(path, "its fields 'createdAt' or 'updatedAt' are not ISO-8601 instants");
    }
  }

  private static StoreException refused(String path, String why) {
    return new StoreException(
        "vault store: refusing " + path + " because " + why + " (written outside nbsecrets?)");
  }

  // ---------------------------------------------------------------------------------------------
  // Writes

  @Override
  public PutResult put(String user, String name, String sealed, int maxSecrets) {
    checkRecordCall(user, name);
    Objects.requireNonNull(sealed, "sealed");
    return withRecordCas(
        user,
        name,
        (current, path, what) -> {
          Instant now = clock.instant();
          SecretMetadata next;
          boolean created;
          if (current.record().isEmpty()) {
            // Integer.MAX_VALUE cannot be reached: skip the count (a LIST) when there is no limit.
            if (maxSecrets != Integer.MAX_VALUE && listNames(user).size() >= maxSecrets) {
              throw new TooManySecretsException(user, maxSecrets);
            }
            next = new SecretMetadata(name, 1, now, now);
            created = true;
          } else {
            SecretMetadata old = current.record().get().metadata();
            Instant updatedAt = now.isBefore(old.updatedAt()) ? old.updatedAt() : now;
            next = new SecretMetadata(name, old.version() + 1, old.createdAt(), updatedAt);
            created = false;
          }
          ObjectNode data = recordData(sealed, next);
          return writeCas(
              path,
              data,
              current.kvVersion(),
              created ? "create" : "update",
              what,
              new PutResult(next, created));
        });
  }

  /** One attempt at a record: what was read, the record's KV path and its description. */
  @FunctionalInterface
  private interface RecordAttempt<T> {
    Optional<T> apply(Read current, String path, String what);
  }

  /** {@link #withCasRetries} for one record, read afresh before each attempt. */
  private <T> T withRecordCas(String user, String name, RecordAttempt<T> attempt) {
    String what = Descriptions.secret(user, name);
    String path = config.mount() + "/data/" + recordPath(user, name);
    return withCasRetries(path, what, () -> attempt.apply(readRecord(user, name), path, what));
  }

  /**
   * Runs {@code attempt} (a read, then a write with check-and-set) holding the path's write lock
   * until it gives a result; when it lost a check-and-set race (empty), backs off and runs it
   * again, at most {@value #MAX_WRITE_ATTEMPTS} times, then {@link StoreUnavailableException}.
   */
  private <T> T withCasRetries(String path, String what, Supplier<Optional<T>> attempt) {
    synchronized (writeLock(path)) {
      for (int i = 1; i <= MAX_WRITE_ATTEMPTS; i++) {
        Optional<T> result = attempt.get();
        if (result.isPresent()) {
          return result.get();
        }
        // Check-and-set conflict: another writer was first. Read again.
        WriteRetries.backoff("vault", i, what);
      }
    }
    throw WriteRetries.gaveUp("vault", what);
  }

  /** A record's data: the sealed value and the contract's metadata. */
  private static ObjectNode recordData(String sealed, SecretMetadata metadata) {
    ObjectNode data = JSON.createObjectNode();
    data.put("value", sealed);
    data.put("version", metadata.version());
    data.put("createdAt", metadata.createdAt().toString());
    data.put("updatedAt", metadata.updatedAt().toString());
    return data;
  }

  /** A user key's data. */
  private static ObjectNode userKeyData(String wrappedKey) {
    ObjectNode data = JSON.createObjectNode();
    data.put("key", wrappedKey);
    return data;
  }

  /**
   * One attempt of {@link #withCasRetries}: {@code result} when the check-and-set write won, empty
   * when another writer was first.
   */
  private <T> Optional<T> writeCas(
      String path, ObjectNode data, long cas, String verb, String what, T result) {
    return writeCas(path, data, cas, verb, what) ? Optional.of(result) : Optional.empty();
  }

  /** Writes {@code {"options":{"cas":cas},"data":data}}; false on a check-and-set conflict. */
  private boolean writeCas(String path, ObjectNode data, long cas, String verb, String what) {
    ObjectNode body = JSON.createObjectNode();
    body.putObject("options").put("cas", cas);
    body.set("data", data);
    try {
      call(HttpMethod.POST, path, body, verb, what);
      return true;
    } catch (CasConflict e) {
      return false;
    }
  }

  @Override
  public boolean delete(String user, String name) {
    checkRecordCall(user, name);
    String what = Descriptions.secret(user, name);
    String dataPath = config.mount() + "/data/" + recordPath(user, name);
    synchronized (writeLock(dataPath)) {
      if (readRecord(user, name).record().isEmpty()) {
        return false;
      }
      call(
          HttpMethod.DELETE,
          config.mount() + "/metadata/" + recordPath(user, name),
          null,
          "delete",
          what);
      return true;
    }
  }

  @Override
  public Optional<String> getUserKey(String user) {
    ensureOpen();
    Objects.requireNonNull(user, "user");
    return readUserKey(user).key();
  }

  private record KeyRead(long kvVersion, Optional<String> key) {}

  private KeyRead readUserKey(String user) {
    String path = config.mount() + "/data/" + userKeyPath(user);
    KvRead read = readKv(path, Descriptions.userKey(user));
    return new KeyRead(
        read.kvVersion(),
        read.data()
            .map(
                data -> {
                  JsonNode key = data.path("key");
                  if (!key.isTextual()) {
                    throw refused(path, "it has no text field 'key'");
                  }
                  return key.asText();
                }));
  }

  @Override
  public String putUserKeyIfAbsent(String user, String wrappedKey) {
    ensureOpen();
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(wrappedKey, "wrappedKey");
    String what = Descriptions.userKey(user);
    String path = config.mount() + "/data/" + userKeyPath(user);
    long cas = 0;
    for (int attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      if (writeCas(path, userKeyData(wrappedKey), cas, "create", what)) {
        return wrappedKey;
      }
      KeyRead existing = readUserKey(user);
      if (existing.key().isPresent()) {
        return existing.key().get();
      }
      cas = existing.kvVersion(); // soft-deleted outside this store, or deleted in between
      WriteRetries.backoff("vault", attempt, what);
    }
    throw unavailable(
        "gave up storing " + what + " after " + MAX_WRITE_ATTEMPTS + " conflicting attempts", null);
  }

  // --- usage: {@code <mount>/<prefix>-usage/<encoded user>}, data {name: ISO-8601 time} ----------

  @Override
  public void recordUse(String user, Collection<String> names, Instant at) {
    ensureOpen();
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(at, "at");
    if (names.isEmpty()) {
      return;
    }
    String what = "the usage of user " + user;
    String path = config.mount() + "/data/" + usagePath(user);
    withCasRetries(
        path,
        what,
        () -> {
          KvRead read = readKv(path, what);
          Map<String, Instant> stored = read.data().map(d -> toUsage(d, path)).orElse(Map.of());
          if (Usage.covers(stored, names, at)) {
            return Optional.of(Boolean.TRUE);
          }
          return writeCas(
              path,
              Usage.toJson(Usage.merge(stored, names, at)),
              read.kvVersion(),
              "write",
              what,
              Boolean.TRUE);
        });
  }

  @Override
  public Map<String, Instant> lastUsed(String user) {
    ensureOpen();
    Objects.requireNonNull(user, "user");
    String path = config.mount() + "/data/" + usagePath(user);
    return readKv(path, "the usage of user " + user)
        .data()
        .map(d -> toUsage(d, path))
        .orElse(Map.of());
  }

  private static Map<String, Instant> toUsage(JsonNode data, String path) {
    try {
      return Usage.fromJson(data);
    } catch (IllegalArgumentException e) {
      throw refused(path, e.getMessage());
    }
  }

  /**
   * Checks that Vault answers and is unsealed and active (or a standby), via {@code
   * /v1/sys/health}; for readiness probes.
   *
   * @throws StoreUnavailableException when it does not
   */
  public void checkHealth() {
    ensureOpen();
    call(
        HttpMethod.GET,
        "sys/health?standbyok=true&perfstandbyok=true",
        null,
        "check",
        "the health of vault");
  }

  // ---------------------------------------------------------------------------------------------
  // Whole-store operations (key rotation)

  @Override
  public long count() {
    ensureOpen();
    List<String> users = listUsers(config.prefix(), true, "the users with records");
    long count = 0;
    for (int n :
        ParallelReads.map(
            getPool, "vault", "the records of all users", users, u -> listNames(u).size())) {
      count += n;
    }
    return count;
  }

  @Override
  public List<ScannedSecret> scan(ScanCursor after, int limit) {
    ensureOpen();
    checkLimit(limit);
    List<ScannedSecret> page = new ArrayList<>();
    for (String user : listUsers(config.prefix(), true, "the users with records")) {
      if (page.size() >= limit) {
        break;
      }
      if (after != null && ScanCursor.UTF8_ORDER.compare(user, after.user()) < 0) {
        continue;
      }
      List<String> names =
          listNames(user).stream()
              .filter(name -> ScanCursor.isAfter(after, user, name))
              .sorted(ScanCursor.UTF8_ORDER)
              .toList();
      page.addAll(
          readUntil(
              names,
              limit - page.size(),
              "the records of user " + user,
              name -> readRecord(user, name).record().map(r -> new ScannedSecret(user, r))));
    }
    return page;
  }

  @Override
  public boolean rewrap(String user, String name, String expectedSealed, String newSealed) {
    checkRecordCall(user, name);
    Objects.requireNonNull(expectedSealed, "expectedSealed");
    Objects.requireNonNull(newSealed, "newSealed");
    return withRecordCas(
        user,
        name,
        (current, path, what) -> {
          Optional<StoredSecret> old = current.record();
          if (old.isEmpty() || !old.get().sealed().equals(expectedSealed)) {
            return Optional.of(false);
          }
          // The contract's version and timestamps stay; only Vault's KV version moves on.
          ObjectNode data = recordData(newSealed, old.get().metadata());
          if (!writeCas(path, data, current.kvVersion(), "rewrap", what)) {
            return Optional.empty();
          }
          return Optional.of(replacedWhatItRead(path, current.kvVersion(), expectedSealed, what));
        });
  }

  /**
   * After a re-wrap's check-and-set write at KV version {@code replaced}: whether the version it
   * replaced is the record it read. A delete removes a record's whole history, and KV versions then
   * count from 1 again, so between the read and the write the record can be deleted and made anew
   * (by the API, in another process) up to the same KV version: the check-and-set passes and the
   * write would put the deleted value back over the new one. Then the replaced version is written
   * back (at {@code replaced + 1}; a write since ours stands as it is) and the answer is false: the
   * record was not the one to re-wrap.
   */
  private boolean replacedWhatItRead(String path, long replaced, String read, String what) {
    KvRead previous = readKv(path + "?version=" + replaced, what);
    Optional<JsonNode> value = previous.data().map(d -> d.path("value"));
    if (value.isEmpty() || !value.get().isTextual() || value.get().asText().equals(read)) {
      return true;
    }
    boolean restored =
        writeCas(path, (ObjectNode) previous.data().get(), replaced + 1, "restore", what);
    LOG.warn(
        "vault store: {} was deleted and made again while it was re-wrapped; {}",
        what,
        restored ? "the new record is put back" : "a later write replaced the re-wrap already");
    return false;
  }

  @Override
  public List<WrappedUserKey> scanUserKeys(String afterUser, int limit) {
    ensureOpen();
    checkLimit(limit);
    List<String> users =
        listUsers(config.prefix() + USER_KEYS_SUFFIX, false, "the users with keys").stream()
            .filter(user -> afterUser == null || ScanCursor.UTF8_ORDER.compare(user, afterUser) > 0)
            .toList();
    return readUntil(
        users,
        limit,
        "the keys of users",
        user -> readUserKey(user).key().map(key -> new WrappedUserKey(user, key)));
  }

  @Override
  public boolean rewrapUserKey(String user, String expected, String newWrapped) {
    ensureOpen();
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(expected, "expected");
    Objects.requireNonNull(newWrapped, "newWrapped");
    String what = Descriptions.userKey(user);
    String path = config.mount() + "/data/" + userKeyPath(user);
    return withCasRetries(
        path,
        what,
        () -> {
          KeyRead current = readUserKey(user);
          if (current.key().isEmpty() || !current.key().get().equals(expected)) {
            return Optional.of(false);
          }
          return writeCas(path, userKeyData(newWrapped), current.kvVersion(), "rewrap", what, true);
        });
  }

  /**
   * The users of a tree, decoded and in {@link ScanCursor#UTF8_ORDER}: the folders of {@code
   * <prefix>/} ({@code folders}) or the keys of {@code <prefix>-userkeys/}. Other keys are skipped.
   * Empty when the tree does not exist.
   */
  private List<String> listUsers(String tree, boolean folders, String what) {
    List<String> users = new ArrayList<>();
    for (String key : listKeys(tree, what)) {
      if (key.endsWith("/") == folders) {
        decodeUser(folders ? key.substring(0, key.length() - 1) : key).ifPresent(users::add);
      }
    }
    users.sort(ScanCursor.UTF8_ORDER);
    return users;
  }

  /**
   * Reads {@code candidates} in order, at most {@value #GET_PARALLELISM} at a time, until {@code
   * wanted} are found; absent ones (deleted since they were listed) are skipped.
   */
  private <T, R> List<R> readUntil(
      List<T> candidates, int wanted, String what, Function<T, Optional<R>> read) {
    List<R> found = new ArrayList<>();
    int next = 0;
    while (found.size() < wanted && next < candidates.size()) {
      int end = Math.min(candidates.size(), next + wanted - found.size());
      for (Optional<R> r :
          ParallelReads.map(getPool, "vault", what, candidates.subList(next, end), read)) {
        r.ifPresent(found::add);
      }
      next = end;
    }
    return found;
  }

  private static void checkLimit(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("a scan's limit must be positive, got " + limit);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  /** Stops renewal, revokes a login token (not a configured static token), stops threads. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    getPool.shutdownNow();
    try {
      sessionManager.destroy();
    } catch (RuntimeException e) {
      // Revocation is best effort: the token expires anyway.
    }
    scheduler.shutdown();
  }

  @Override
  public String toString() {
    return "VaultSecretStore{" + config + "}";
  }

  private void ensureOpen() {
    if (closed) {
      throw new StoreException("vault store is closed");
    }
  }

  private Object writeLock(String path) {
    return writeLocks.of(path);
  }

  // ---------------------------------------------------------------------------------------------
  // Paths

  /** {@code u-} + lowercase base32 (no padding) of the user's UTF-8: reversible and path-safe. */
  static String encodeUser(String user) {
    return "u-" + KubernetesSecretStore.base32(Bytes.strictUtf8(user));
  }

  /**
   * The user that {@link #encodeUser} encodes as {@code segment}; empty when no user does (another
   * prefix, a character outside the alphabet, non-canonical base32, or bytes that are not UTF-8).
   */
  static Optional<String> decodeUser(String segment) {
    if (!segment.startsWith("u-")) {
      return Optional.empty();
    }
    String base32 = segment.substring(2);
    byte[] bytes = new byte[base32.length() * 5 / 8];
    int length = 0;
    int buffer = 0;
    int bits = 0;
    for (int i = 0; i < base32.length(); i++) {
      char c = base32.charAt(i);
      int digit = c >= 'a' && c <= 'z' ? c - 'a' : c >= '2' && c <= '7' ? c - '2' + 26 : -1;
      if (digit < 0) {
        return Optional.empty();
      }
      buffer = ((buffer << 5) | digit) & 0xfff; // at most 12 bits are pending
      bits += 5;
      if (bits >= 8) {
        bytes[length++] = (byte) (buffer >>> (bits - 8));
        bits -= 8;
      }
    }
    String user;
    try {
      user = Bytes.decodeStrictUtf8(Arrays.copyOf(bytes, length));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    // Leftover bits must be zero and the length one that encoding gives: encode back to check.
    return encodeUser(user).equals(segment) ? Optional.of(user) : Optional.empty();
  }

  private String userFolder(String user) {
    return config.prefix() + "/" + encodeUser(user);
  }

  private String recordPath(String user, String name) {
    return userFolder(user) + "/" + name;
  }

  private String usagePath(String user) {
    return config.prefix() + USAGE_SUFFIX + "/" + encodeUser(user);
  }

  private String userKeyPath(String user) {
    return config.prefix() + USER_KEYS_SUFFIX + "/" + encodeUser(user);
  }

  /** What every call on one record checks first: the store is open, a user, a valid name. */
  private void checkRecordCall(String user, String name) {
    ensureOpen();
    Objects.requireNonNull(user, "user");
    checkName(name);
  }

  private static void checkName(String name) {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
      throw new StoreException(
          "vault store: secret name '" + name + "' cannot be a Vault path segment");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // HTTP and errors

  /** A 400 with Vault's check-and-set error. */
  private static final class CasConflict extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CasConflict() {
      super("check-and-set conflict", null, false, false);
    }
  }

  /**
   * One authenticated request; the response body as JSON, or empty on 404. {@code path} is relative
   * to {@code /v1/}.
   */
  Optional<JsonNode> call(HttpMethod method, String path, JsonNode body, String verb, String what) {
    try {
      return vault.doWithSession(rest -> exchange(rest, method, path, body, verb, what));
    } catch (CasConflict | StoreException e) {
      throw e;
    } catch (RuntimeException e) {
      throw translate(e, verb, what);
    }
  }

  private Optional<JsonNode> exchange(
      RestOperations rest,
      HttpMethod method,
      String path,
      JsonNode body,
      String verb,
      String what) {
    HttpHeaders headers = new HttpHeaders();
    headers.setAccept(List.of(MediaType.APPLICATION_JSON));
    byte[] bytes = null;
    if (body != null) {
      headers.setContentType(MediaType.APPLICATION_JSON);
      try {
        bytes = JSON.writeValueAsBytes(body);
      } catch (IOException e) {
        throw new StoreException("vault store: cannot encode the request for " + what);
      }
    }
    ResponseEntity<byte[]> response;
    try {
      response = rest.exchange(path, method, new HttpEntity<>(bytes, headers), byte[].class);
    } catch (HttpStatusCodeException e) {
      int code = e.getStatusCode().value();
      if (code == 404) {
        if (method == HttpMethod.GET && path.contains("/data/")) {
          // A soft-deleted version answers 404 with its metadata: keep the KV version for cas.
          JsonNode parsed = parse(e.getResponseBodyAsByteArray());
          if (parsed != null && parsed.path("data").path("metadata").has("version")) {
            return Optional.of(parsed);
          }
        }
        return Optional.empty();
      }
      String errors = vaultErrors(e.getResponseBodyAsByteArray());
      if (code == 400 && errors.contains(CAS_MISMATCH)) {
        throw new CasConflict();
      }
      throw httpError(code, errors, verb, what, path);
    }
    byte[] answer = response.getBody();
    if (answer == null || answer.length == 0) {
      return Optional.of(JSON.createObjectNode());
    }
    JsonNode parsed = parse(answer);
    if (parsed == null) {
      throw new StoreException(
          "vault store: cannot parse Vault's answer to " + verb + " " + what + " (not JSON)");
    }
    return Optional.of(parsed);
  }

  private static JsonNode parse(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      return null;
    }
    try {
      return JSON.readTree(bytes);
    } catch (IOException e) {
      return null;
    }
  }

  /** Vault's {@code errors} strings (never request data), shortened. */
  private static String vaultErrors(byte[] body) {
    JsonNode parsed = parse(body);
    if (parsed == null || !parsed.path("errors").isArray()) {
      return "";
    }
    List<String> errors = new ArrayList<>();
    for (JsonNode e : parsed.path("errors")) {
      errors.add(e.asText().replaceAll("\\s+", " ").strip());
    }
    String joined = String.join("; ", errors);
    return joined.length() > 300 ? joined.substring(0, 300) + "..." : joined;
  }

  private StoreException httpError(int code, String errors, String verb, String what, String path) {
    String detail = "HTTP " + code + (errors.isEmpty() ? "" : ": " + errors);
    String target = "/v1/" + path.replaceFirst("\\?.*$", "");
    if (code == 403) {
      return new StoreException(
          String.format(
              "vault store: permission denied to %s %s at %s (%s); check the Vault policy"
                  + " attached to the store's token or Kubernetes role (see docs/vault.md)",
              verb, what, target, detail));
    }
    String cannot = String.format("cannot %s %s at %s (%s)", verb, what, target, detail);
    return code == 429 || code >= 500
        ? unavailable(cannot, null)
        : new VaultRequestRefused(code, "vault store: " + cannot);
  }

  /** Vault refused a request (4xx other than 403 and 429); {@link #code()} tells which. */
  static final class VaultRequestRefused extends StoreException {
    private static final long serialVersionUID = 1L;
    private final int code;

    VaultRequestRefused(int code, String message) {
      super(message);
      this.code = code;
    }

    int code() {
      return code;
    }
  }

  /**
   * The Transit key {@code mount}/{@code key} of this Vault, reached with this store's session (its
   * token, renewal and error handling).
   *
   * @throws IllegalArgumentException naming the {@code store.vault.transit.*} setting that is bad
   */
  public VaultTransit transit(String mount, String key) {
    if (mount == null || !MOUNT.matcher(mount).matches() || hasDotSegment(mount)) {
      throw new IllegalArgumentException(
          "store.vault.transit.mount must be a mount path of [A-Za-z0-9._-] segments, got '"
              + mount
              + "'");
    }
    if (key == null || !SEGMENT.matcher(key).matches() || hasDotSegment(key)) {
      throw new IllegalArgumentException(
          "store.vault.transit.key must be a Transit key name of [A-Za-z0-9._-], got '"
              + key
              + "'");
    }
    return new VaultTransit(this, mount, key);
  }

  /** Maps failures outside a response (connection, timeout, login) to store exceptions. */
  private StoreException translate(RuntimeException e, String verb, String what) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof TokenFileException tf) {
        return new StoreException(
            "vault store: cannot log in to " + verb + " " + what + ": " + tf.getMessage());
      }
      if (t instanceof HttpStatusCodeException h) {
        // A failed login (or token lookup): the body is not kept.
        int code = h.getStatusCode().value();
        String errors = vaultErrors(h.getResponseBodyAsByteArray());
        String detail = "HTTP " + code + (errors.isEmpty() ? "" : ": " + errors);
        if (code == 429 || code >= 500) {
          return unavailable("cannot log in to " + verb + " " + what + " (" + detail + ")", null);
        }
        String hint =
            code == 403 || code == 400
                ? "; check the token, or the Kubernetes role and its bound service accounts,"
                    + " and the Vault policy"
                : "";
        return new StoreException(
            String.format("vault store: cannot log in to %s %s (%s)%s", verb, what, detail, hint));
      }
      if (t instanceof IOException || t instanceof UncheckedIOException) {
        return unavailable(
            String.format(
                "cannot %s %s at %s (%s)",
                verb, what, config.address(), t.getClass().getSimpleName()),
            t instanceof IOException io ? io : null);
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return new StoreException(
        "vault store: cannot " + verb + " " + what + " (" + e.getClass().getSimpleName() + ")");
  }

  private static StoreUnavailableException unavailable(String detail, Throwable cause) {
    return new StoreUnavailableException("vault store unavailable: " + detail, cause);
  }
}
