package io.nbsecrets.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.SecretList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.utils.URLUtils;
import io.nbsecrets.model.ObjectKeys;
import io.nbsecrets.util.Bytes;
import io.nbsecrets.util.Counts;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A {@link SecretStore} that keeps records as Kubernetes Secrets in the operator's own namespace.
 *
 * <h2>Layout: one Secret per record</h2>
 *
 * <p>Each (user, secret name) is its own Secret, {@code nbsecrets-rec-<h>}, where {@code <h>} is
 * the first 40 characters (200 bits) of the lowercase, unpadded base32 of SHA-256 over the
 * length-prefixed UTF-8 of user and name (DNS-safe although users and names may hold upper case,
 * {@code _}, {@code /}, {@code :} or {@code @}). A user's wrapped key is {@code
 * nbsecrets-uk-<h(user)>}. Why not one Secret per user:
 *
 * <ul>
 *   <li>etcd refuses objects over ~1.5 MiB (the API server caps a Secret's data at 1 MiB), while a
 *       user may hold up to 1,000 secrets of 128 KiB each (~240,000 sealed characters each);
 *   <li>writes to different records never contend on one object's {@code resourceVersion}, and a
 *       write re-sends one record, not all of the user's;
 *   <li>a user's records are still found with one label selector: {@code
 *       nbsecrets.io/component=secret-record,nbsecrets.io/user-hash=<hex SHA-256(user), 40 chars>}.
 * </ul>
 *
 * <p>User and name live in the annotations {@code nbsecrets.io/user} and {@code nbsecrets.io/name}
 * (labels cannot hold them), with {@code nbsecrets.io/version}, {@code nbsecrets.io/created-at} and
 * {@code nbsecrets.io/updated-at} (ISO-8601). The sealed value is the only data key, {@code sealed}
 * ({@code key} for user keys), base64 of its UTF-8 as the API requires; the Secret types are {@code
 * nbsecrets.io/record} and {@code nbsecrets.io/user-key}. Every object read is checked: its
 * annotations must name the requested user (and name), and its object name must be the hash of the
 * annotated user and name; otherwise (a hash collision, or an object copied or altered by someone
 * with write access to the namespace) it is refused with a {@link StoreException}, never served.
 *
 * <h2>Writes</h2>
 *
 * <p>{@link #put} reads the record first (one GET). Absent: it counts the user's records (unless
 * {@code maxSecrets} is {@code Integer.MAX_VALUE}, which no count can reach) and creates version 1;
 * a 409 AlreadyExists (a racing creator won) falls through to replace. Present: it updates with the
 * read {@code resourceVersion}, so the API server refuses a stale write with 409 Conflict; the put
 * then re-reads and retries (at most {@value #MAX_WRITE_ATTEMPTS} attempts, with jittered backoff;
 * then {@link StoreUnavailableException}). Hence no update is lost and no record is torn. Reading
 * first, rather than trying the create first, means a replace never pays for the count (a LIST).
 * Within one store, writes of one record take turns on a striped lock rather than racing each other
 * through the API server (where a loser can lose many times in a row); other replicas are kept
 * apart by {@code resourceVersion}. {@link #delete} checks the object, then deletes it with its
 * {@code resourceVersion} as precondition. {@link #rewrap} and {@link #rewrapUserKey} are
 * check-and-sets the same way: GET, compare the stored value, update only the data (annotations,
 * hence version and times, stay as read) with the read {@code resourceVersion}, and on 409 Conflict
 * read again, compare again and retry.
 *
 * <p><b>The per-user limit is approximate under races:</b> the count and the create are two
 * requests, so racing creates of different names near the limit can overshoot it by up to one per
 * racer. An exact limit needs a transactional backend (the database store).
 *
 * <h2>Reads</h2>
 *
 * <p>{@link #get} GETs each name, at most {@value #GET_PARALLELISM} at a time. {@link #getAll}
 * LISTs by label in pages of {@value #RECORD_PAGE_SIZE} Secrets; {@link #list} and the count ask
 * for metadata only ({@code PartialObjectMetadataList}, pages of {@value #METADATA_PAGE_SIZE}), so
 * listing or creating never transfers sealed values (a server that ignores that request sends full
 * Secrets, which is handled alike). Pages follow continue tokens, so one page of JSON is held at a
 * time; a continuation that expired (410 Gone) restarts the listing.
 *
 * <p>The whole-store operations of key rotation cannot ask the API server for their order (it lists
 * by object name, i.e. by hash). {@link #count} is one metadata LIST of all records. Each page of
 * {@link #scan} costs one metadata LIST of <em>all</em> records (every user's; user and name come
 * from the annotations, checked as {@link #list} checks them), held in memory while it sorts them
 * into {@link ScanCursor#ORDER} and keeps the first {@code limit} after the cursor, then a GET of
 * each of those (as {@link #get} does, checked alike; a record deleted since the LIST is skipped).
 * A rotation of <i>n</i> records in pages of <i>p</i> therefore lists <i>n</i>&sup2;/<i>p</i>
 * items' metadata in all: choose large pages. {@link #scanUserKeys} does the same over all user
 * keys.
 *
 * <h2>Errors and secrecy</h2>
 *
 * <p>Connection failures, 5xx and 429 become {@link StoreUnavailableException}; 403 a {@link
 * StoreException} naming the verb and namespace (check the operator's RBAC); anything else a {@link
 * StoreException}. Messages name users, secret names and object names, never sealed values or keys;
 * the Fabric8 exception is kept as the cause (its message holds the URL and the API server's
 * status, not request bodies). Do not enable TRACE logging of {@code
 * io.fabric8.kubernetes.client.http}: Fabric8's HTTP logging interceptor then logs request bodies,
 * i.e. sealed values.
 *
 * <h2>Usage</h2>
 *
 * <p>When a user's secrets were last delivered ({@link #recordUse}, {@link #lastUsed}) is one
 * ConfigMap per user, {@code nbsecrets-use-<h(user)>} (labels as above, component {@code usage};
 * annotation {@code nbsecrets.io/user}), whose data key {@code usage} is a JSON object of name to
 * ISO-8601 time. A ConfigMap, not a Secret: it holds no value, and the operator, which writes it,
 * then needs no write access to Secrets here. {@link #recordUse} is a GET and, unless every name
 * already has that time or a later one, a create or an update with the read {@code resourceVersion}
 * (retried on 409 like {@link #put}).
 *
 * <p>Needs RBAC on {@code secrets} in the namespace: get, list, create, update, delete; and on
 * {@code configmaps}: get (the API), create and update (the operator). The client is not owned:
 * {@link #close()} stops this store's threads only.
 */
public final class KubernetesSecretStore implements SecretStore {

  static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  static final String MANAGED_BY_VALUE = "nbsecrets";
  static final String COMPONENT = ObjectKeys.STORE_COMPONENT;
  static final String COMPONENT_RECORD = "secret-record";
  static final String COMPONENT_USER_KEY = "user-key";
  static final String USER_HASH = ObjectKeys.STORE_USER_HASH;
  static final String ANN_USER = ObjectKeys.STORE_USER;
  static final String ANN_NAME = ObjectKeys.STORE_NAME;
  static final String ANN_VERSION = ObjectKeys.STORE_VERSION;
  static final String ANN_CREATED = ObjectKeys.STORE_CREATED_AT;
  static final String ANN_UPDATED = ObjectKeys.STORE_UPDATED_AT;
  static final String TYPE_RECORD = ObjectKeys.TYPE_RECORD;
  static final String TYPE_USER_KEY = ObjectKeys.TYPE_USER_KEY;
  static final String DATA_SEALED = "sealed";
  static final String DATA_KEY = "key";
  static final String RECORD_PREFIX = "nbsecrets-rec-";
  static final String USER_KEY_PREFIX = "nbsecrets-uk-";
  static final String USAGE_PREFIX = "nbsecrets-use-";
  static final String COMPONENT_USAGE = "usage";
  static final String DATA_USAGE = "usage";

  static final int GET_PARALLELISM = 4;
  static final int RECORD_PAGE_SIZE = 50;
  static final int METADATA_PAGE_SIZE = 500;
  static final int MAX_WRITE_ATTEMPTS = WriteRetries.MAX_ATTEMPTS;
  private static final int MAX_LIST_RESTARTS = 3;
  private static final String ALL_RECORDS = "the records of all users";
  private static final String ALL_USER_KEYS = "the keys of all users";
  private static final String METADATA_ACCEPT =
      "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";

  private static final char[] BASE32 = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger POOL_IDS = new AtomicInteger();

  private final KubernetesClient client;
  private final String namespace;
  private final Clock clock;
  private final ExecutorService getPool;
  private final WriteLocks writeLocks = new WriteLocks();
  private volatile boolean closed;

  public KubernetesSecretStore(KubernetesClient client, String namespace) {
    this.client = Objects.requireNonNull(client, "client");
    this.namespace = Objects.requireNonNull(namespace, "namespace");
    if (namespace.isBlank()) {
      throw new IllegalArgumentException("namespace must not be blank");
    }
    this.clock = Clock.systemUTC();
    this.getPool =
        ParallelReads.pool(
            "nbsecrets-k8s-store-" + POOL_IDS.incrementAndGet() + "-get-", GET_PARALLELISM);
  }

  // ---------------------------------------------------------------------------------------------
  // Reads

  @Override
  public List<SecretMetadata> list(String user) {
    ensureOpen();
    Objects.requireNonNull(user, "user");
    List<SecretMetadata> result =
        listMetadata(
            recordSelector(user), "the records of user " + user, meta -> toMetadata(meta, user));
    result.sort(Comparator.comparing(SecretMetadata::name));
    return result;
  }

  @Override
  public Map<String, StoredSecret> get(String user, Collection<String> names) {
    ensureOpen();
    Objects.requireNonNull(user, "user");
    return ParallelReads.readPresent(
        getPool, "kubernetes", user, names, name -> getRecord(user, name));
  }

  /** The record, checked; empty when there is none. */
  private Optional<StoredSecret> getRecord(String user, String name) {
    Objects.requireNonNull(name, "name");
    Secret secret = read(recordName(user, name), "get", Descriptions.secret(user, name));
    return secret == null ? Optional.empty() : Optional.of(toRecord(secret, user, name));
  }

  /** {@inheritDoc} One LIST of the user's records, {@value #RECORD_PAGE_SIZE} a page. */
  @Override
  public boolean readsAllAtOnce() {
    return true;
  }

  @Override
  public List<StoredSecret> getAll(String user) {
    ensureOpen();
    Objects.requireNonNull(user, "user");
    String what = "the records of user " + user;
    List<StoredSecret> result =
        paginate(
            what,
            token -> {
              SecretList page;
              try {
                page =
                    client
                        .secrets()
                        .inNamespace(namespace)
                        .withLabel(COMPONENT, COMPONENT_RECORD)
                        .withLabel(USER_HASH, userHash(user))
                        .list(
                            new ListOptionsBuilder()
                                .withLimit((long) RECORD_PAGE_SIZE)
                                .withContinue(token)
                                .build());
              } catch (KubernetesClientException e) {
                if (token != null && e.getCode() == 410) {
                  throw new ExpiredContinueException();
                }
                throw translate(e, "list", what);
              }
              List<StoredSecret> records = new ArrayList<>(page.getItems().size());
              for (Secret s : page.getItems()) {
                records.add(toRecord(s, user, null));
              }
              String next = page.getMetadata() == null ? null : page.getMetadata().getContinue();
              return new Page<>(records, next);
            });
    result.sort(Comparator.comparing(StoredSecret::name));
    return result;
  }

  /** Counts the user's records, transferring metadata only. */
  private int countRecords(String user) {
    return countObjects(recordSelector(user), "the records of user " + user);
  }

  /** Counts the objects {@code selector} matches, transferring metadata only. */
  private int countObjects(String selector, String what) {
    return listMetadata(selector, what, meta -> Boolean.TRUE).size();
  }

  /** The label selector of the user's records. */
  private static String recordSelector(String user) {
    return componentSelector(COMPONENT_RECORD) + "," + USER_HASH + "=" + userHash(user);
  }

  /** The label selector of all records, or all user keys, of all users. */
  private static String componentSelector(String component) {
    return COMPONENT + "=" + component;
  }

  /**
   * LISTs the Secrets {@code selector} matches as {@code PartialObjectMetadataList} (metadata only,
   * never the data), in pages; {@code convert} gets each item's {@code metadata} node. Fabric8 has
   * no typed metadata-only list, so this goes through the client's own HTTP client (same
   * authentication, TLS and retries).
   */
  private <T> List<T> listMetadata(String selector, String what, Function<JsonNode, T> convert) {
    HttpClient http = client.getHttpClient();
    String base =
        URLUtils.join(
                client.getMasterUrl().toString(), "api", "v1", "namespaces", namespace, "secrets")
            + "?labelSelector="
            + URLEncoder.encode(selector, StandardCharsets.UTF_8)
            + "&limit="
            + METADATA_PAGE_SIZE;
    Integer timeout = client.getConfiguration().getRequestTimeout();
    return paginate(
        what,
        token -> {
          String uri =
              token == null
                  ? base
                  : base + "&continue=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
          HttpRequest.Builder request =
              http.newHttpRequestBuilder().uri(uri).header("Accept", METADATA_ACCEPT);
          if (timeout != null && timeout > 0) {
            request.timeout(timeout, TimeUnit.MILLISECONDS);
          }
          HttpResponse<String> response;
          try {
            response = http.sendAsync(request.build(), String.class).get();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable("interrupted while listing " + what, e);
          } catch (ExecutionException e) {
            throw translate(
                new KubernetesClientException("Failure executing: GET at: " + uri, e.getCause()),
                "list",
                what);
          }
          int code = response.code();
          if (code == 410 && token != null) {
            throw new ExpiredContinueException();
          }
          if (code < 200 || code > 299) {
            throw translate(
                new KubernetesClientException(
                    "Failure executing: GET at: " + uri + ". Received status code " + code,
                    code,
                    null),
                "list",
                what);
          }
          JsonNode root;
          try {
            root = JSON.readTree(response.body());
          } catch (JsonProcessingException e) {
            throw new StoreException(
                "kubernetes store: cannot parse the API server's answer listing " + what, null);
          }
          List<T> items = new ArrayList<>();
          for (JsonNode item : root.path("items")) {
            items.add(convert.apply(item.path("metadata")));
          }
          String next = root.path("metadata").path("continue").asText("");
          return new Page<>(items, next.isEmpty() ? null : next);
        });
  }

  private record Page<T>(List<T> items, String next) {}

  @FunctionalInterface
  private interface PageFetcher<T> {
    Page<T> fetch(String continueToken);
  }

  /** A continue token outlived the API server's compaction window (410 Gone). */
  private static final class ExpiredContinueException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ExpiredContinueException() {
      super("continue token expired", null, false, false);
    }
  }

  private <T> List<T> paginate(String what, PageFetcher<T> fetcher) {
    for (int attempt = 1; ; attempt++) {
      List<T> all = new ArrayList<>();
      String token = null;
      try {
        do {
          Page<T> page = fetcher.fetch(token);
          all.addAll(page.items());
          token = page.next();
        } while (token != null);
        return all;
      } catch (ExpiredContinueException e) {
        if (attempt >= MAX_LIST_RESTARTS) {
          throw unavailable(
              "the listing expired " + attempt + " times while listing " + what, null);
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Writes

  @Override
  public PutResult put(String user, String name, String sealed, int maxSecrets) {
    ensureOpen();
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(sealed, "sealed");
    String what = Descriptions.secret(user, name);
    String data = encode(sealed, what);
    String objectName = recordName(user, name);
    synchronized (writeLock(objectName)) {
      return put(user, name, data, maxSecrets, what, objectName);
    }
  }

  private PutResult put(
      String user, String name, String data, int maxSecrets, String what, String objectName) {
    for (int attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      Secret current = read(objectName, "get", what);
      Instant now = clock.instant();
      if (current == null) {
        // Integer.MAX_VALUE cannot be reached: skip the count (a LIST) when there is no limit.
        if (maxSecrets != Integer.MAX_VALUE && countRecords(user) >= maxSecrets) {
          throw new TooManySecretsException(user, maxSecrets);
        }
        SecretMetadata created = new SecretMetadata(name, 1, now, now);
        Secret secret = recordObject(user, created, data, null);
        try {
          client.secrets().inNamespace(namespace).resource(secret).create();
          return new PutResult(created, true);
        } catch (KubernetesClientException e) {
          if (e.getCode() != 409) {
            throw translate(e, "create", what);
          }
          // AlreadyExists: a racing put created it first; replace it on the next attempt.
        }
      } else {
        SecretMetadata old = checkRecord(current, user, name);
        Instant updatedAt = now.isBefore(old.updatedAt()) ? old.updatedAt() : now;
        SecretMetadata next =
            new SecretMetadata(name, old.version() + 1, old.createdAt(), updatedAt);
        Secret secret = recordObject(user, next, data, current.getMetadata().getResourceVersion());
        if (updated(secret, attempt, what)) {
          return new PutResult(next, false);
        }
      }
    }
    throw WriteRetries.gaveUp("kubernetes", what);
  }

  @Override
  public boolean delete(String user, String name) {
    ensureOpen();
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(name, "name");
    String what = Descriptions.secret(user, name);
    String objectName = recordName(user, name);
    synchronized (writeLock(objectName)) {
      return delete(user, name, what, objectName);
    }
  }

  private boolean delete(String user, String name, String what, String objectName) {
    for (int attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      Secret current = read(objectName, "get", what);
      if (current == null) {
        return false;
      }
      checkRecord(current, user, name); // refuses an object that is not this user's record
      try {
        // The precondition makes sure the object deleted is the one just checked.
        return !client
            .secrets()
            .inNamespace(namespace)
            .withName(objectName)
            .lockResourceVersion(current.getMetadata().getResourceVersion())
            .delete()
            .isEmpty();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw translate(e, "delete", what);
        }
        WriteRetries.backoff("kubernetes", attempt, what);
      }
    }
    throw unavailable(
        "gave up deleting " + what + " after " + MAX_WRITE_ATTEMPTS + " conflicting attempts",
        null);
  }

  @Override
  public Optional<String> getUserKey(String user) {
    ensureOpen();
    Objects.requireNonNull(user, "user");
    return readUserKey(user);
  }

  /** The user's wrapped key, checked; empty when there is none. */
  private Optional<String> readUserKey(String user) {
    Secret secret = read(userKeyName(user), "get", Descriptions.userKey(user));
    return Optional.ofNullable(secret).map(s -> toUserKey(s, user));
  }

  @Override
  public String putUserKeyIfAbsent(String user, String wrappedKey) {
    ensureOpen();
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(wrappedKey, "wrappedKey");
    String what = Descriptions.userKey(user);
    String objectName = userKeyName(user);
    String data = encode(wrappedKey, what);
    for (int attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      Instant now = clock.instant();
      Secret secret =
          new SecretBuilder()
              .withNewMetadata()
              .withName(objectName)
              .withNamespace(namespace)
              .withLabels(labels(COMPONENT_USER_KEY, user))
              .withAnnotations(
                  Map.of(ANN_USER, user, ANN_CREATED, now.toString(), ANN_UPDATED, now.toString()))
              .endMetadata()
              .withType(TYPE_USER_KEY)
              .withData(Map.of(DATA_KEY, data))
              .build();
      try {
        client.secrets().inNamespace(namespace).resource(secret).create();
        return wrappedKey;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw translate(e, "create", what);
        }
      }
      Secret existing = read(objectName, "get", what);
      if (existing != null) {
        return toUserKey(existing, user);
      }
      // Deleted between our create and our read: try again.
      WriteRetries.backoff("kubernetes", attempt, what);
    }
    throw unavailable(
        "gave up storing " + what + " after " + MAX_WRITE_ATTEMPTS + " conflicting attempts", null);
  }

  // ---------------------------------------------------------------------------------------------
  // Usage: one ConfigMap per user (not a Secret: it holds no value, and the operator, which writes
  // it, may then write no Secret in this namespace)

  @Override
  public void recordUse(String user, Collection<String> names, Instant at) {
    ensureOpen();
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(at, "at");
    if (names.isEmpty()) {
      return;
    }
    String what = "the usage of user " + user;
    String objectName = usageName(user);
    synchronized (writeLock(objectName)) {
      for (int attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
        ConfigMap current = readUsageObject(objectName, what);
        Map<String, Instant> stored = current == null ? Map.of() : toUsage(current, user);
        if (Usage.covers(stored, names, at)) {
          return;
        }
        ConfigMap next = usageObject(user, Usage.merge(stored, names, at), current);
        try {
          if (current == null) {
            client.configMaps().inNamespace(namespace).resource(next).create();
          } else {
            client.configMaps().inNamespace(namespace).resource(next).update();
          }
          return;
        } catch (KubernetesClientException e) {
          // 409: another writer was first; 404 on update: deleted meanwhile. Read again.
          if (e.getCode() != 409 && (e.getCode() != 404 || current == null)) {
            throw translate(e, current == null ? "create" : "update", what, "configmaps");
          }
          WriteRetries.backoff("kubernetes", attempt, what);
        }
      }
      throw WriteRetries.gaveUp("kubernetes", what);
    }
  }

  @Override
  public Map<String, Instant> lastUsed(String user) {
    ensureOpen();
    Objects.requireNonNull(user, "user");
    ConfigMap current = readUsageObject(usageName(user), "the usage of user " + user);
    return current == null ? Map.of() : toUsage(current, user);
  }

  private ConfigMap readUsageObject(String objectName, String what) {
    try {
      return client.configMaps().inNamespace(namespace).withName(objectName).get();
    } catch (KubernetesClientException e) {
      throw translate(e, "get", what, "configmaps");
    }
  }

  private ConfigMap usageObject(String user, Map<String, Instant> usage, ConfigMap current) {
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(usageName(user))
        .withNamespace(namespace)
        .withResourceVersion(current == null ? null : current.getMetadata().getResourceVersion())
        .withLabels(labels(COMPONENT_USAGE, user))
        .withAnnotations(Map.of(ANN_USER, user))
        .endMetadata()
        .withData(Map.of(DATA_USAGE, Usage.toJson(usage).toString()))
        .build();
  }

  private Map<String, Instant> toUsage(ConfigMap object, String user) {
    String objectName = object.getMetadata().getName();
    Map<String, String> annotations = object.getMetadata().getAnnotations();
    if (annotations == null || !user.equals(annotations.get(ANN_USER))) {
      throw refused("ConfigMap", objectName, "it is not the usage of user " + user);
    }
    String text = object.getData() == null ? null : object.getData().get(DATA_USAGE);
    try {
      return Usage.fromJson(JSON.readTree(text == null ? "" : text));
    } catch (IOException | IllegalArgumentException e) {
      throw refused("ConfigMap", objectName, "its data key " + DATA_USAGE + " is not usage JSON");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Whole-store operations (key rotation)

  @Override
  public long count() {
    ensureOpen();
    return countObjects(componentSelector(COMPONENT_RECORD), ALL_RECORDS);
  }

  @Override
  public List<ScannedSecret> scan(ScanCursor after, int limit) {
    ensureOpen();
    requirePositive(limit);
    List<ScanCursor> keys =
        listMetadata(componentSelector(COMPONENT_RECORD), ALL_RECORDS, this::toScanKey);
    return readPage(
        keys,
        key -> ScanCursor.isAfter(after, key.user(), key.name()),
        ScanCursor.ORDER,
        limit,
        ALL_RECORDS,
        key -> getRecord(key.user(), key.name()).map(r -> new ScannedSecret(key.user(), r)));
  }

  @Override
  public List<WrappedUserKey> scanUserKeys(String afterUser, int limit) {
    ensureOpen();
    requirePositive(limit);
    List<String> users =
        listMetadata(componentSelector(COMPONENT_USER_KEY), ALL_USER_KEYS, this::toUserKeyOwner);
    return readPage(
        users,
        user -> afterUser == null || ScanCursor.UTF8_ORDER.compare(user, afterUser) > 0,
        ScanCursor.UTF8_ORDER,
        limit,
        ALL_USER_KEYS,
        user -> readUserKey(user).map(key -> new WrappedUserKey(user, key)));
  }

  private static void requirePositive(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive, not " + limit);
    }
  }

  /**
   * One page of a whole-store scan: of the {@code keys} listed, those {@code after} the cursor, in
   * {@code order}, the first {@code limit} read ({@value #GET_PARALLELISM} at a time) and checked.
   * An object deleted since the listing is skipped, so the page may be shorter; it is empty only
   * when nothing is left after the cursor (if the whole page was deleted, the next keys are read).
   */
  private <K, V> List<V> readPage(
      List<K> keys,
      Predicate<K> after,
      Comparator<K> order,
      int limit,
      String what,
      Function<K, Optional<V>> read) {
    List<K> ahead = keys.stream().filter(after).sorted(order).toList();
    for (int from = 0; from < ahead.size(); from += limit) {
      List<K> batch = ahead.subList(from, Math.min(ahead.size(), from + limit));
      List<V> found =
          ParallelReads.map(getPool, "kubernetes", what, batch, read).stream()
              .flatMap(Optional::stream)
              .toList();
      if (!found.isEmpty()) {
        return found;
      }
    }
    return List.of();
  }

  @Override
  public boolean rewrap(String user, String name, String expectedSealed, String newSealed) {
    ensureOpen();
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(expectedSealed, "expectedSealed");
    Objects.requireNonNull(newSealed, "newSealed");
    String what = Descriptions.secret(user, name);
    return replaceDataIf(
        recordName(user, name),
        what,
        DATA_SEALED,
        encode(newSealed, what),
        current -> toRecord(current, user, name).sealed().equals(expectedSealed));
  }

  @Override
  public boolean rewrapUserKey(String user, String expected, String newWrapped) {
    ensureOpen();
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(expected, "expected");
    Objects.requireNonNull(newWrapped, "newWrapped");
    String what = Descriptions.userKey(user);
    return replaceDataIf(
        userKeyName(user),
        what,
        DATA_KEY,
        encode(newWrapped, what),
        current -> toUserKey(current, user).equals(expected));
  }

  /**
   * Check-and-set of the data of object {@code objectName}: GETs it and, if it {@code
   * holdsExpected} (which refuses an object that fails its checks), updates it with the data {@code
   * dataKey} = {@code data} and everything else as read, with the read {@code resourceVersion}. A
   * 409 Conflict (or 404: a racing write or delete) re-reads and decides again, as {@link #put}
   * does; this store's writes of the object take turns on its write lock.
   *
   * @return false when the object is absent or holds another value (nothing is written)
   */
  private boolean replaceDataIf(
      String objectName,
      String what,
      String dataKey,
      String data,
      Predicate<Secret> holdsExpected) {
    synchronized (writeLock(objectName)) {
      for (int attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
        Secret current = read(objectName, "get", what);
        if (current == null || !holdsExpected.test(current)) {
          return false;
        }
        Secret replaced = new SecretBuilder(current).withData(Map.of(dataKey, data)).build();
        if (updated(replaced, attempt, what)) {
          return true;
        }
      }
      throw WriteRetries.gaveUp("kubernetes", what);
    }
  }

  /**
   * Writes {@code secret} with its {@code resourceVersion} as precondition. False, after the
   * attempt's backoff, when someone wrote in between (409) or deleted it (404): read again.
   */
  private boolean updated(Secret secret, int attempt, String what) {
    try {
      client.secrets().inNamespace(namespace).resource(secret).update();
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409 && e.getCode() != 404) {
        throw translate(e, "update", what);
      }
      WriteRetries.backoff("kubernetes", attempt, what);
      return false;
    }
  }

  /** Stops this store's reader threads. The Kubernetes client belongs to the caller. */
  @Override
  public void close() {
    closed = true;
    getPool.shutdownNow();
  }

  /**
   * Writes of one record from this process take turns (a striped lock) instead of racing each other
   * through the API server, where losers of a race retry and could starve; writers in other
   * processes are still kept apart by {@code resourceVersion} alone.
   */
  private Object writeLock(String objectName) {
    return writeLocks.of(objectName);
  }

  private void ensureOpen() {
    if (closed) {
      throw new StoreException("kubernetes store is closed");
    }
  }

  @Override
  public String toString() {
    return "KubernetesSecretStore{namespace=" + namespace + "}";
  }

  // ---------------------------------------------------------------------------------------------
  // Objects

  private Secret read(String objectName, String verb, String what) {
    try {
      return client.secrets().inNamespace(namespace).withName(objectName).get();
    } catch (KubernetesClientException e) {
      throw translate(e, verb, what);
    }
  }

  private Secret recordObject(
      String user, SecretMetadata meta, String data, String resourceVersion) {
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(ANN_USER, user);
    annotations.put(ANN_NAME, meta.name());
    annotations.put(ANN_VERSION, Long.toString(meta.version()));
    annotations.put(ANN_CREATED, meta.createdAt().toString());
    annotations.put(ANN_UPDATED, meta.updatedAt().toString());
    return new SecretBuilder()
        .withNewMetadata()
        .withName(recordName(user, meta.name()))
        .withNamespace(namespace)
        .withResourceVersion(resourceVersion)
        .withLabels(labels(COMPONENT_RECORD, user))
        .withAnnotations(annotations)
        .endMetadata()
        .withType(TYPE_RECORD)
        .withData(Map.of(DATA_SEALED, data))
        .build();
  }

  private static Map<String, String> labels(String component, String user) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(MANAGED_BY, MANAGED_BY_VALUE);
    labels.put(COMPONENT, component);
    labels.put(USER_HASH, userHash(user));
    return labels;
  }

  /**
   * The record in {@code secret}, after checking it is {@code user}'s record (named {@code
   * expectedName}, when given).
   */
  private StoredSecret toRecord(Secret secret, String user, String expectedName) {
    SecretMetadata meta = checkRecord(secret, user, expectedName);
    String sealed = decode(secret.getData(), DATA_SEALED, secret.getMetadata().getName());
    return new StoredSecret(
        meta.name(), meta.version(), meta.createdAt(), meta.updatedAt(), sealed);
  }

  /** The metadata of the record in {@code secret}, after checking it is {@code user}'s record. */
  private SecretMetadata checkRecord(Secret secret, String user, String expectedName) {
    ObjectMeta meta = secret.getMetadata();
    Map<String, String> annotations = meta.getAnnotations();
    SecretMetadata checked =
        checkRecordMetadata(
            meta.getName(), annotations == null ? Map.of() : annotations, user, expectedName);
    if (!TYPE_RECORD.equals(secret.getType())) {
      throw refused(meta.getName(), "it is not of type " + TYPE_RECORD);
    }
    return checked;
  }

  private SecretMetadata toMetadata(JsonNode meta, String user) {
    return checkRecordMetadata(objectName(meta), annotations(meta), user, null);
  }

  /**
   * The (user, name) of a record listed by {@link #scan}, from its annotations, checked as {@link
   * #list} checks it.
   */
  private ScanCursor toScanKey(JsonNode meta) {
    String objectName = objectName(meta);
    Map<String, String> annotations = annotations(meta);
    String user = annotatedUser(objectName, annotations);
    return new ScanCursor(user, checkRecordMetadata(objectName, annotations, user, null).name());
  }

  /** The user whose key is listed by {@link #scanUserKeys}, from its annotations, checked. */
  private String toUserKeyOwner(JsonNode meta) {
    String objectName = objectName(meta);
    Map<String, String> annotations = annotations(meta);
    String user = annotatedUser(objectName, annotations);
    checkUserKeyMetadata(objectName, annotations, user);
    return user;
  }

  private String annotatedUser(String objectName, Map<String, String> annotations) {
    String user = annotations.get(ANN_USER);
    if (user == null) {
      throw refused(objectName, "it has no annotation " + ANN_USER);
    }
    return user;
  }

  /** The annotations in a listed item's {@code metadata} node. */
  private static Map<String, String> annotations(JsonNode meta) {
    Map<String, String> annotations = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : meta.path("annotations").properties()) {
      annotations.put(e.getKey(), e.getValue().asText());
    }
    return annotations;
  }

  /** The object name in a listed item's {@code metadata} node; null when it has none. */
  private static String objectName(JsonNode meta) {
    return meta.path("name").isTextual() ? meta.path("name").asText() : null;
  }

  private SecretMetadata checkRecordMetadata(
      String objectName, Map<String, String> annotations, String user, String expectedName) {
    String annotatedUser = annotations.get(ANN_USER);
    String annotatedName = annotations.get(ANN_NAME);
    if (!user.equals(annotatedUser)) {
      throw refused(objectName, "its annotations do not name user " + user);
    }
    if (annotatedName == null) {
      throw refused(objectName, "it has no annotation " + ANN_NAME);
    }
    if (expectedName != null && !expectedName.equals(annotatedName)) {
      throw refused(objectName, "its annotations do not name secret " + expectedName);
    }
    if (objectName == null || !objectName.equals(recordName(user, annotatedName))) {
      throw refused(objectName, "its name does not match the user and name it is annotated with");
    }
    try {
      long version = Long.parseLong(String.valueOf(annotations.get(ANN_VERSION)));
      Instant created = Instant.parse(String.valueOf(annotations.get(ANN_CREATED)));
      Instant updated = Instant.parse(String.valueOf(annotations.get(ANN_UPDATED)));
      if (version < 1) {
        throw refused(objectName, "its version annotation is not positive");
      }
      return new SecretMetadata(annotatedName, version, created, updated);
    } catch (NumberFormatException | DateTimeParseException e) {
      throw refused(objectName, "its version or time annotations are malformed");
    }
  }

  /** The wrapped key in {@code secret}, after checking it is {@code user}'s key. */
  private String toUserKey(Secret secret, String user) {
    ObjectMeta meta = secret.getMetadata();
    String objectName = meta.getName();
    checkUserKeyMetadata(
        objectName, meta.getAnnotations() == null ? Map.of() : meta.getAnnotations(), user);
    if (!TYPE_USER_KEY.equals(secret.getType())) {
      throw refused(objectName, "it is not the user key of user " + user);
    }
    return decode(secret.getData(), DATA_KEY, objectName);
  }

  private void checkUserKeyMetadata(
      String objectName, Map<String, String> annotations, String user) {
    if (!user.equals(annotations.get(ANN_USER)) || !userKeyName(user).equals(objectName)) {
      throw refused(objectName, "it is not the user key of user " + user);
    }
  }

  private StoreException refused(String objectName, String why) {
    return refused("Secret", objectName, why);
  }

  private StoreException refused(String kind, String objectName, String why) {
    return new StoreException(
        "kubernetes store: refusing "
            + kind
            + " "
            + objectName
            + " in namespace "
            + namespace
            + " because "
            + why
            + " (hash collision, or an object copied or altered by hand?)");
  }

  /** Base64 of the UTF-8 of {@code value}; refuses strings that are not valid Unicode. */
  /**
   * The most a Secret's data may hold, in bytes (decoded), as the API server checks it ({@code
   * MaxSecretSize}, 1 MiB): a record is one Secret of one data key.
   */
  public static final long MAX_SECRET_DATA_BYTES = 1 << 20;

  @Override
  public long maxSealedBytes() {
    return MAX_SECRET_DATA_BYTES;
  }

  private static String encode(String value, String what) {
    byte[] bytes;
    try {
      bytes = Bytes.strictUtf8(value);
    } catch (IllegalArgumentException e) {
      throw new StoreException(
          "kubernetes store: the value of " + what + " is not valid Unicode (lone surrogate)");
    }
    if (bytes.length > MAX_SECRET_DATA_BYTES) {
      throw new StoreException(
          "kubernetes store: "
              + what
              + " is "
              + Counts.of(bytes.length, "byte")
              + " sealed, over the "
              + Counts.of(MAX_SECRET_DATA_BYTES, "byte")
              + " a Kubernetes Secret holds; nothing was written");
    }
    return Base64.getEncoder().encodeToString(bytes);
  }

  private String decode(Map<String, String> data, String key, String objectName) {
    String encoded = data == null ? null : data.get(key);
    if (encoded == null) {
      throw refused(objectName, "it has no data key " + key);
    }
    try {
      return Bytes.decodeStrictUtf8(Base64.getDecoder().decode(encoded));
    } catch (IllegalArgumentException e) {
      throw refused(objectName, "its data key " + key + " is not base64 of UTF-8");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Names

  /** {@code nbsecrets-rec-} + 40 base32 characters of SHA-256(len(user) user len(name) name). */
  static String recordName(String user, String name) {
    return RECORD_PREFIX + base32(Bytes.sha256(Bytes.lengthPrefixed(user, name))).substring(0, 40);
  }

  /** {@code nbsecrets-use-} + 40 base32 characters of SHA-256(len(user) user): a ConfigMap. */
  static String usageName(String user) {
    return USAGE_PREFIX + userSuffix(user);
  }

  /** {@code nbsecrets-uk-} + 40 base32 characters of SHA-256(len(user) user). */
  static String userKeyName(String user) {
    return USER_KEY_PREFIX + userSuffix(user);
  }

  /** 40 base32 characters of SHA-256(len(user) user): a user's objects' names end with it. */
  private static String userSuffix(String user) {
    return base32(Bytes.sha256(Bytes.lengthPrefixed(user))).substring(0, 40);
  }

  /** The value of the user-hash label: hex SHA-256 of the user's UTF-8, 40 characters. */
  static String userHash(String user) {
    return HexFormat.of()
        .formatHex(Bytes.sha256(user.getBytes(StandardCharsets.UTF_8)))
        .substring(0, 40);
  }

  /** RFC 4648 base32, lower case, without padding. */
  static String base32(byte[] bytes) {
    StringBuilder out = new StringBuilder((bytes.length * 8 + 4) / 5);
    int buffer = 0;
    int bits = 0;
    for (byte b : bytes) {
      buffer = (buffer << 8) | (b & 0xff);
      bits += 8;
      while (bits >= 5) {
        out.append(BASE32[(buffer >>> (bits - 5)) & 31]);
        bits -= 5;
      }
    }
    if (bits > 0) {
      out.append(BASE32[(buffer << (5 - bits)) & 31]);
    }
    return out.toString();
  }

  // ---------------------------------------------------------------------------------------------
  // Errors and retries

  private StoreException translate(KubernetesClientException e, String verb, String what) {
    return translate(e, verb, what, "secrets");
  }

  private StoreException translate(
      KubernetesClientException e, String verb, String what, String resource) {
    int code = e.getCode();
    if (code <= 0 || code == 429 || code >= 500 || hasIoCause(e)) {
      String detail = code <= 0 ? "no answer from the API server" : "HTTP " + code;
      return unavailable(
          "cannot " + verb + " " + what + " in namespace " + namespace + " (" + detail + ")", e);
    }
    if (code == 403) {
      return new StoreException(
          String.format(
              "kubernetes store: forbidden to %s %s in namespace %s (%s);"
                  + " check RBAC of the service account",
              verb, resource, namespace, what),
          e);
    }
    String reason =
        e.getStatus() != null && e.getStatus().getReason() != null
            ? " " + e.getStatus().getReason()
            : "";
    return new StoreException(
        String.format(
            "kubernetes store: cannot %s %s in namespace %s (HTTP %d%s)",
            verb, what, namespace, code, reason),
        e);
  }

  private static boolean hasIoCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IOException) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  private static StoreUnavailableException unavailable(String detail, Throwable cause) {
    return new StoreUnavailableException("kubernetes store unavailable: " + detail, cause);
  }
}
