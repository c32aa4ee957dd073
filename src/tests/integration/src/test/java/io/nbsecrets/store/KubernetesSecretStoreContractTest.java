package io.nbsecrets.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.SecretListBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The contract on the Fabric8 mock API server in CRUD mode, plus what is particular to Secrets.
 *
 * <p>What the mock does and does not do, as relied on here (Fabric8 7.5.2): it keeps objects, bumps
 * {@code resourceVersion} on every change, answers POST of an existing name with 409, and answers
 * PUT whose {@code metadata.resourceVersion} differs from the stored one with 409 Conflict ({@link
 * #theMockRefusesAStaleUpdate} checks it, since the no-lost-update test depends on it). It ignores
 * {@code limit} and {@code continue} (a LIST is one page; {@link #listingFollowsContinueTokens}
 * serves real pages by expectation), ignores the metadata-only {@code Accept} header (sends full
 * Secrets, which the store handles alike), does not check delete preconditions, and enforces no
 * size limits. One server serves the whole class, so each test gets its own namespace.
 */
class KubernetesSecretStoreContractTest extends SecretStoreContract {

  private static KubernetesMockServer server;
  private static KubernetesClient client;

  private static final AtomicInteger NAMESPACES = new AtomicInteger();

  /**
   * The mock logs every request through java.util.logging at INFO (and, through SLF4J at DEBUG,
   * every object it matches, whole); that slows these tests several times over. Held strongly so
   * the level sticks.
   */
  private static final Logger MOCK_SERVER_LOG = Logger.getLogger("io.fabric8.mockwebserver");

  static {
    MOCK_SERVER_LOG.setLevel(Level.WARNING);
  }

  /** Clients made by a test, closed after it. */
  private final List<KubernetesClient> otherClients = new ArrayList<>();

  /**
   * The server {@code @EnableKubernetesMockClient(crud = true)} would give, but started here: that
   * extension also starts a second server and client before every test (~0.2 s each), whether the
   * test uses them or not. Plain HTTP: TLS is not under test.
   */
  @BeforeAll
  static void startServer() {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            responses,
            new KubernetesMixedDispatcher(responses),
            false);
    server.init();
    client = server.createClient();
  }

  @AfterAll
  static void stopServer() {
    client.close();
    server.destroy();
  }

  private String namespace;

  @Override
  protected SecretStore newStore() {
    namespace = "nbsecrets-test-" + NAMESPACES.incrementAndGet();
    return new KubernetesSecretStore(client, namespace);
  }

  @Override
  protected SecretStore unreachableStore() {
    KubernetesClient unreachable =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder()
                    .withMasterUrl("http://127.0.0.1:1")
                    .withRequestTimeout(2000)
                    .withConnectionTimeout(1000)
                    .withRequestRetryBackoffLimit(0)
                    .build())
            .build();
    otherClients.add(unreachable);
    return new KubernetesSecretStore(unreachable, "nbsecrets");
  }

  /** A client of the mock that does not retry 5xx and 429 answers (Fabric8 does by default). */
  private KubernetesClient clientWithoutRetries() {
    KubernetesClient noRetries =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder(client.getConfiguration())
                    .withRequestRetryBackoffLimit(0)
                    .build())
            .build();
    otherClients.add(noRetries);
    return noRetries;
  }

  /** The mock keeps every object of the class in one map that each request scans: keep it small. */
  @AfterEach
  void cleanUp() {
    client.secrets().inNamespace(namespace).delete();
    otherClients.forEach(KubernetesClient::close);
  }

  private Secret object(String name) {
    return client.secrets().inNamespace(namespace).withName(name).get();
  }

  // --- what is in the API ---------------------------------------------------------------------

  @Test
  void aRecordIsOneSecretHoldingTheSealedValueOnce() {
    String sealed = "gAAAAABsealed-value-" + randomBase64Url(64, 3);
    store.put("Alice_1@example.org", "DB_password", sealed, LIMIT);

    List<Secret> all = client.secrets().inNamespace(namespace).list().getItems();
    assertThat(all).hasSize(1);
    Secret s = all.get(0);
    String name = KubernetesSecretStore.recordName("Alice_1@example.org", "DB_password");
    assertThat(s.getMetadata().getName()).isEqualTo(name).matches("nbsecrets-rec-[a-z2-7]{40}");
    assertThat(s.getType()).isEqualTo("nbsecrets.io/record");
    assertThat(s.getMetadata().getLabels())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "app.kubernetes.io/managed-by", "nbsecrets",
                "nbsecrets.io/component", "secret-record",
                "nbsecrets.io/user-hash", KubernetesSecretStore.userHash("Alice_1@example.org")));
    assertThat(s.getMetadata().getLabels().get("nbsecrets.io/user-hash")).matches("[0-9a-f]{40}");
    Map<String, String> annotations = s.getMetadata().getAnnotations();
    assertThat(annotations)
        .containsOnlyKeys(
            "nbsecrets.io/user",
            "nbsecrets.io/name",
            "nbsecrets.io/version",
            "nbsecrets.io/created-at",
            "nbsecrets.io/updated-at")
        .containsEntry("nbsecrets.io/user", "Alice_1@example.org")
        .containsEntry("nbsecrets.io/name", "DB_password")
        .containsEntry("nbsecrets.io/version", "1");
    assertThat(s.getStringData()).isNullOrEmpty();
    assertThat(s.getData()).containsOnlyKeys("sealed");
    assertThat(
            new String(
                Base64.getDecoder().decode(s.getData().get("sealed")), StandardCharsets.UTF_8))
        .isEqualTo(sealed);

    // The value appears nowhere else: not in plain text, and its base64 only once.
    String json = client.getKubernetesSerialization().asJson(s);
    assertThat(json).doesNotContain(sealed.substring(10));
    assertThat(occurrences(json, s.getData().get("sealed"))).isEqualTo(1);

    store.put("Alice_1@example.org", "DB_password", "replacement", LIMIT);
    assertThat(object(name).getMetadata().getAnnotations())
        .containsEntry("nbsecrets.io/version", "2")
        .containsEntry("nbsecrets.io/created-at", annotations.get("nbsecrets.io/created-at"));
    assertThat(client.secrets().inNamespace(namespace).list().getItems()).hasSize(1);
  }

  @Test
  void aUserKeyIsOneSecret() {
    store.putUserKeyIfAbsent("Bob", "wrapped-key-material");

    List<Secret> all = client.secrets().inNamespace(namespace).list().getItems();
    assertThat(all).hasSize(1);
    Secret s = all.get(0);
    assertThat(s.getMetadata().getName())
        .isEqualTo(KubernetesSecretStore.userKeyName("Bob"))
        .matches("nbsecrets-uk-[a-z2-7]{40}");
    assertThat(s.getType()).isEqualTo("nbsecrets.io/user-key");
    assertThat(s.getMetadata().getLabels())
        .containsEntry("nbsecrets.io/component", "user-key")
        .containsEntry("nbsecrets.io/user-hash", KubernetesSecretStore.userHash("Bob"))
        .containsEntry("app.kubernetes.io/managed-by", "nbsecrets");
    assertThat(s.getMetadata().getAnnotations()).containsEntry("nbsecrets.io/user", "Bob");
    assertThat(s.getData()).containsOnlyKeys("key");
    assertThat(
            new String(Base64.getDecoder().decode(s.getData().get("key")), StandardCharsets.UTF_8))
        .isEqualTo("wrapped-key-material");
    assertThat(client.getKubernetesSerialization().asJson(s))
        .doesNotContain("wrapped-key-material");
  }

  @Test
  void namesAreStableAndDnsSafe() {
    assertThat(KubernetesSecretStore.base32("foobar".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo("mzxw6ytboi"); // RFC 4648 test vector, lower case, unpadded
    assertThat(KubernetesSecretStore.recordName("alice", "x"))
        .isEqualTo(KubernetesSecretStore.recordName("alice", "x"))
        .isNotEqualTo(KubernetesSecretStore.recordName("Alice", "x"))
        .isNotEqualTo(KubernetesSecretStore.recordName("alice", "X"))
        .isNotEqualTo(KubernetesSecretStore.recordName("alicex", ""))
        .hasSize("nbsecrets-rec-".length() + 40);
    assertThat(KubernetesSecretStore.userHash("alice"))
        .isEqualTo("2bd806c97f0e00af1a1fc3328fa763a9269723c8"); // sha256("alice"), 40 hex digits
  }

  @Test
  void listingAndCountingAskForMetadataOnlyAndReplacingDoesNotCount() throws Exception {
    store.put("alice", "a", "sealed-a", LIMIT);
    drainRequests();

    store.list("alice");
    RecordedRequest list = server.takeRequest();
    assertThat(list.getPath()).contains("labelSelector=").contains("limit=");
    assertThat(list.getHeader("Accept"))
        .startsWith("application/json;as=PartialObjectMetadataList");

    store.put("alice", "b", "sealed-b", LIMIT); // create: GET, LIST (metadata only), POST
    assertThat(drainRequests())
        .extracting(r -> r.getMethod() + (r.getPath().contains("labelSelector") ? " list" : ""))
        .containsExactly("GET", "GET list", "POST");

    store.put("alice", "b", "sealed-b2", LIMIT); // replace: GET, PUT; never a count
    assertThat(drainRequests())
        .extracting(RecordedRequest::getMethod)
        .containsExactly("GET", "PUT");
  }

  private static List<RecordedRequest> drainRequests() throws InterruptedException {
    List<RecordedRequest> requests = new ArrayList<>();
    RecordedRequest r;
    while ((r = server.takeRequest(50, TimeUnit.MILLISECONDS)) != null) {
      requests.add(r);
    }
    return requests;
  }

  /**
   * One store's writers of a record take turns, so the contract's concurrency test does not race
   * through the API server; here 4 stores (as 4 operator replicas would) × 2 threads do.
   */
  @Test
  void concurrentReplacesFromSeveralReplicasLoseNothing() {
    int replicas = 4;
    int threadsPerReplica = 2;
    int putsPerThread = 25;
    store.put("alice", "hot", "initial", LIMIT);
    List<SecretStore> stores = new ArrayList<>();
    List<Callable<List<Long>>> tasks = new ArrayList<>();
    Set<String> written = ConcurrentHashMap.newKeySet();
    for (int r = 0; r < replicas; r++) {
      SecretStore replica = new KubernetesSecretStore(client, namespace);
      stores.add(replica);
      for (int t = 0; t < threadsPerReplica; t++) {
        String prefix = "replica-" + r + "-thread-" + t + "-";
        tasks.add(
            () -> {
              List<Long> versions = new ArrayList<>();
              for (int i = 0; i < putsPerThread; i++) {
                String value = prefix + i + "-" + "y".repeat(100 + i);
                written.add(value);
                versions.add(replica.put("alice", "hot", value, LIMIT).metadata().version());
              }
              return versions;
            });
      }
    }
    try {
      List<Long> versions =
          runConcurrently(replicas * threadsPerReplica, tasks).stream()
              .flatMap(List::stream)
              .toList();

      int puts = replicas * threadsPerReplica * putsPerThread;
      // Every put got its own version: none was lost, none overwrote another unseen.
      assertThat(versions)
          .containsExactlyInAnyOrderElementsOf(
              LongStream.rangeClosed(2, 1 + puts).boxed().toList());
      StoredSecret last = store.get("alice", List.of("hot")).get("hot");
      assertThat(last.version()).isEqualTo(1 + puts);
      assertThat(written).contains(last.sealed());
    } finally {
      stores.forEach(SecretStore::close);
    }
  }

  // --- tampering ------------------------------------------------------------------------------

  @Test
  void aRecordCopiedToAnotherUserIsRefused() {
    store.put("alice", "db", "alice-sealed-value", LIMIT);
    Secret original = object(KubernetesSecretStore.recordName("alice", "db"));
    // Someone with write access copies alice's object to bob's name and label.
    Secret copy =
        new SecretBuilder(original)
            .editMetadata()
            .withName(KubernetesSecretStore.recordName("bob", "db"))
            .withResourceVersion(null)
            .withUid(null)
            .addToLabels("nbsecrets.io/user-hash", KubernetesSecretStore.userHash("bob"))
            .endMetadata()
            .build();
    client.secrets().inNamespace(namespace).resource(copy).create();

    assertRefused(() -> store.get("bob", List.of("db")));
    assertRefused(() -> store.getAll("bob"));
    assertRefused(() -> store.list("bob"));
    assertRefused(() -> store.put("bob", "db", "new", LIMIT));
    assertRefused(() -> store.delete("bob", "db"));
    // alice's own record is untouched and still served.
    assertThat(store.get("alice", List.of("db")).get("db").sealed())
        .isEqualTo("alice-sealed-value");
  }

  @Test
  void aRecordWhoseAnnotationsWereAlteredIsRefused() {
    store.put("alice", "db", "alice-sealed-value", LIMIT);
    store.put("alice", "other", "other-sealed-value", LIMIT);
    String name = KubernetesSecretStore.recordName("alice", "db");
    // Relabel "db" as "other" in place.
    client
        .secrets()
        .inNamespace(namespace)
        .withName(name)
        .edit(
            s ->
                new SecretBuilder(s)
                    .editMetadata()
                    .addToAnnotations("nbsecrets.io/name", "other")
                    .endMetadata()
                    .build());

    assertRefused(() -> store.get("alice", List.of("db")));
    assertRefused(() -> store.getAll("alice"));
    assertRefused(() -> store.list("alice"));
    assertThat(store.get("alice", List.of("other")).get("other").sealed())
        .isEqualTo("other-sealed-value");

    // A user key handed to another user is refused too.
    copyAlicesKeyToBob();
    assertRefused(() -> store.getUserKey("bob"));
    assertRefused(() -> store.putUserKeyIfAbsent("bob", "bob-wrapped-key"));
  }

  @Test
  void scanAndRewrapRefuseARecordWhoseAnnotationsWereAltered() {
    store.put("alice", "db", "alice-sealed-value", LIMIT);
    store.put("alice", "other", "other-sealed-value", LIMIT);
    store.put("bob", "x", "bob-sealed-value", LIMIT);
    assertThat(scanAll(store, 10)).hasSize(3);
    // Relabel alice's "db" as bob's "x" in place: the scan would otherwise serve it as bob's.
    client
        .secrets()
        .inNamespace(namespace)
        .withName(KubernetesSecretStore.recordName("alice", "db"))
        .edit(
            s ->
                new SecretBuilder(s)
                    .editMetadata()
                    .addToAnnotations("nbsecrets.io/user", "bob")
                    .addToAnnotations("nbsecrets.io/name", "x")
                    .endMetadata()
                    .build());

    assertRefused(() -> store.scan(null, 10));
    assertRefused(() -> store.scan(new ScanCursor("alice", "other"), 1));
    assertRefused(() -> store.rewrap("alice", "db", "alice-sealed-value", "rewrapped"));
    assertThat(store.rewrap("bob", "x", "bob-sealed-value", "rewrapped")).isTrue();

    // A user key copied to another user is refused by the key scan too.
    copyAlicesKeyToBob();
    assertRefused(() -> store.scanUserKeys(null, 10));
    assertRefused(() -> store.rewrapUserKey("bob", "alice-wrapped-key", "other-wrapped-key"));
  }

  private void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    assertThatThrownBy(call)
        .isExactlyInstanceOf(StoreException.class)
        .hasMessageContaining("refusing Secret")
        .satisfies(
            e ->
                assertThat(messagesOf(e))
                    .doesNotContain("sealed-value")
                    .doesNotContain("wrapped-key"));
  }

  // --- whole-store scans and re-wraps ---------------------------------------------------------

  @Test
  void rewrapChangesOnlyTheValueNotVersionOrTimes() {
    store.put("alice", "token", "sealed-v1", LIMIT);
    store.put("alice", "token", "sealed-v2", LIMIT);
    Secret before = object(KubernetesSecretStore.recordName("alice", "token"));

    assertThat(store.rewrap("alice", "token", "sealed-v2", "rewrapped-v2")).isTrue();

    Secret after = object(KubernetesSecretStore.recordName("alice", "token"));
    assertThat(after.getMetadata().getAnnotations())
        .isEqualTo(before.getMetadata().getAnnotations())
        .containsEntry("nbsecrets.io/version", "2");
    assertThat(after.getMetadata().getLabels()).isEqualTo(before.getMetadata().getLabels());
    assertThat(after.getType()).isEqualTo(before.getType());
    assertThat(after.getData()).isEqualTo(Map.of("sealed", base64("rewrapped-v2")));
    assertThat(after.getMetadata().getResourceVersion())
        .isNotEqualTo(before.getMetadata().getResourceVersion());

    store.putUserKeyIfAbsent("alice", "wrapped-1");
    Secret keyBefore = object(KubernetesSecretStore.userKeyName("alice"));
    assertThat(store.rewrapUserKey("alice", "wrapped-1", "wrapped-2")).isTrue();
    Secret keyAfter = object(KubernetesSecretStore.userKeyName("alice"));
    assertThat(keyAfter.getMetadata().getAnnotations())
        .isEqualTo(keyBefore.getMetadata().getAnnotations());
    assertThat(keyAfter.getData()).isEqualTo(Map.of("key", base64("wrapped-2")));
  }

  @Test
  void scanListsMetadataOnlyAndSkipsRecordsDeletedBeforeTheirGet() throws Exception {
    for (String name : List.of("a", "b", "c", "d")) {
      store.put("alice", name, "sealed-" + name, LIMIT);
    }
    // "a" and "b" vanish between the LIST (which still shows them) and their GET.
    for (String name : List.of("a", "b")) {
      server
          .expect()
          .get()
          .withPath(
              "/api/v1/namespaces/"
                  + namespace
                  + "/secrets/"
                  + KubernetesSecretStore.recordName("alice", name))
          .andReturn(404, status(404, "NotFound"))
          .always();
    }
    drainRequests();

    // A page whose records are all gone is not empty (that would end the scan): the next ones are
    // read.
    assertThat(store.scan(null, 2))
        .extracting(r -> r.secret().name(), r -> r.secret().sealed())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("c", "sealed-c"),
            org.assertj.core.groups.Tuple.tuple("d", "sealed-d"));
    RecordedRequest list = drainRequests().get(0);
    assertThat(list.getPath())
        .contains("labelSelector=nbsecrets.io%2Fcomponent%3Dsecret-record&")
        .contains("limit=");
    assertThat(list.getHeader("Accept"))
        .startsWith("application/json;as=PartialObjectMetadataList");

    assertThat(store.scan(null, 3)).extracting(r -> r.secret().name()).containsExactly("c");
    assertThat(store.scan(new ScanCursor("alice", "c"), 3))
        .extracting(r -> r.secret().name())
        .containsExactly("d");
    assertThat(store.scan(new ScanCursor("alice", "d"), 3)).isEmpty();
  }

  // --- what the mock does ---------------------------------------------------------------------

  /** The no-lost-update guarantee rests on PUT with a stale resourceVersion being refused. */
  @Test
  void theMockRefusesAStaleUpdate() {
    Secret created =
        client
            .secrets()
            .inNamespace(namespace)
            .resource(
                new SecretBuilder()
                    .withNewMetadata()
                    .withName("plain")
                    .endMetadata()
                    .addToStringData("k", "v1")
                    .build())
            .create();
    Secret fresh =
        client
            .secrets()
            .inNamespace(namespace)
            .resource(new SecretBuilder(created).addToData("k", "djI=").build())
            .update();
    assertThat(fresh.getMetadata().getResourceVersion())
        .isNotEqualTo(created.getMetadata().getResourceVersion());

    Secret stale = new SecretBuilder(created).addToData("k", "djM=").build();
    assertThatThrownBy(() -> client.secrets().inNamespace(namespace).resource(stale).update())
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
    assertThat(object("plain").getData()).containsEntry("k", "djI=");
  }

  // --- pagination and errors, by expectation ---------------------------------------------------

  @Test
  void listingFollowsContinueTokens() {
    // Two real records give real objects; the API then serves them as two pages.
    store.put("alice", "a", "sealed-a", LIMIT);
    store.put("alice", "b", "sealed-b", LIMIT);
    Secret a = object(KubernetesSecretStore.recordName("alice", "a"));
    Secret b = object(KubernetesSecretStore.recordName("alice", "b"));
    String base =
        "/api/v1/namespaces/"
            + namespace
            + "/secrets?labelSelector=nbsecrets.io%2Fcomponent%3Dsecret-record%2Cnbsecrets.io%2Fuser-hash%3D"
            + KubernetesSecretStore.userHash("alice");
    // The paths as sent (Fabric8's typed list puts continue first; the metadata list, last).
    String selector = base.substring(base.indexOf('?') + 1);
    String path = base.substring(0, base.indexOf('?'));
    int full = KubernetesSecretStore.RECORD_PAGE_SIZE;
    int meta = KubernetesSecretStore.METADATA_PAGE_SIZE;
    for (String first : List.of(base + "&limit=" + full, base + "&limit=" + meta)) {
      server
          .expect()
          .get()
          .withPath(first)
          .andReturn(
              200,
              new SecretListBuilder()
                  .withNewMetadata()
                  .withContinue("page-2")
                  .endMetadata()
                  .withItems(b)
                  .build())
          .always();
    }
    for (String second :
        List.of(
            path + "?continue=page-2&" + selector + "&limit=" + full,
            base + "&limit=" + meta + "&continue=page-2")) {
      server
          .expect()
          .get()
          .withPath(second)
          .andReturn(200, new SecretListBuilder().withItems(a).build())
          .always();
    }

    assertThat(store.getAll("alice"))
        .extracting(StoredSecret::name, StoredSecret::sealed)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("a", "sealed-a"),
            org.assertj.core.groups.Tuple.tuple("b", "sealed-b"));
    assertThat(store.list("alice")).extracting(SecretMetadata::name).containsExactly("a", "b");
  }

  @Test
  void errorsAreMappedAndNeverCarryValues() {
    SecretStore store = new KubernetesSecretStore(clientWithoutRetries(), namespace);
    String path = "/api/v1/namespaces/" + namespace + "/secrets/";
    String forbidden = KubernetesSecretStore.recordName("alice", "forbidden");
    String broken = KubernetesSecretStore.recordName("alice", "broken");
    String throttled = KubernetesSecretStore.recordName("alice", "throttled");
    String invalid = KubernetesSecretStore.recordName("alice", "invalid");
    server
        .expect()
        .get()
        .withPath(path + forbidden)
        .andReturn(403, status(403, "Forbidden"))
        .always();
    server
        .expect()
        .get()
        .withPath(path + broken)
        .andReturn(500, status(500, "InternalError"))
        .always();
    server
        .expect()
        .get()
        .withPath(path + throttled)
        .andReturn(429, status(429, "TooManyRequests"))
        .always();
    server
        .expect()
        .post()
        .withPath("/api/v1/namespaces/" + namespace + "/secrets")
        .andReturn(422, status(422, "Invalid"))
        .always();

    assertThatThrownBy(() -> store.get("alice", List.of("forbidden")))
        .isExactlyInstanceOf(StoreException.class)
        .hasMessageContaining(namespace)
        .hasMessageContaining("get")
        .hasMessageContaining("RBAC");
    assertThatThrownBy(() -> store.put("alice", "forbidden", "sealed-secret-value", LIMIT))
        .isExactlyInstanceOf(StoreException.class)
        .hasMessageContaining("RBAC")
        .satisfies(e -> assertThat(messagesOf(e)).doesNotContain("sealed-secret-value"));
    assertThatThrownBy(() -> store.get("alice", List.of("broken", "a")))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageStartingWith("kubernetes store unavailable: ");
    assertThatThrownBy(() -> store.get("alice", List.of("throttled")))
        .isInstanceOf(StoreUnavailableException.class);
    assertThatThrownBy(() -> store.put("alice", "invalid", "sealed-secret-value", LIMIT))
        .isExactlyInstanceOf(StoreException.class)
        .hasMessageContaining("create")
        .hasMessageContaining("422")
        .satisfies(
            e ->
                assertThat(messagesOf(e))
                    .doesNotContain("sealed-secret-value")
                    .doesNotContain(base64("sealed-secret-value")));
  }

  @Test
  void endlessConflictsGiveUpAsUnavailable() {
    SecretStore store = new KubernetesSecretStore(clientWithoutRetries(), namespace);
    store.put("alice", "hot", "v1", LIMIT);
    String name = KubernetesSecretStore.recordName("alice", "hot");
    server
        .expect()
        .put()
        .withPath("/api/v1/namespaces/" + namespace + "/secrets/" + name)
        .andReturn(409, status(409, "Conflict"))
        .always();

    assertThatThrownBy(() -> store.put("alice", "hot", "sealed-secret-value", LIMIT))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("attempts")
        .satisfies(e -> assertThat(messagesOf(e)).doesNotContain("sealed-secret-value"));
    assertThat(store.get("alice", List.of("hot")).get("hot").sealed()).isEqualTo("v1");
  }

  @Test
  void aValueThatIsNotUnicodeIsRefusedNotMangled() {
    assertThatThrownBy(() -> store.put("alice", "bad", "abc\uD800def", LIMIT))
        .isExactlyInstanceOf(StoreException.class)
        .hasMessageNotContaining("abc");
    assertThat(store.list("alice")).isEmpty();
  }

  @Test
  void getAfterCloseFailsClearly() {
    store.put("alice", "a", "1", LIMIT);
    store.close();
    assertThatThrownBy(() -> store.get("alice", List.of("a", "b")))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> store.get("alice", List.of("a")))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> store.put("alice", "a", "2", LIMIT))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("closed");
  }

  private static io.fabric8.kubernetes.api.model.Status status(int code, String reason) {
    return new StatusBuilder()
        .withStatus("Failure")
        .withCode(code)
        .withReason(reason)
        .withMessage(reason)
        .build();
  }

  private static String base64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static int occurrences(String haystack, String needle) {
    int count = 0;
    for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
      count++;
    }
    return count;
  }

  /** Stores alice's wrapped key, then copies its Secret under bob's object name. */
  private void copyAlicesKeyToBob() {
    store.putUserKeyIfAbsent("alice", "alice-wrapped-key");
    Secret key = object(KubernetesSecretStore.userKeyName("alice"));
    client
        .secrets()
        .inNamespace(namespace)
        .resource(
            new SecretBuilder(key)
                .editMetadata()
                .withName(KubernetesSecretStore.userKeyName("bob"))
                .withResourceVersion(null)
                .withUid(null)
                .endMetadata()
                .build())
        .create();
  }
}
