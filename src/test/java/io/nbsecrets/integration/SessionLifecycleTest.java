package io.nbsecrets.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.javaoperatorsdk.operator.processing.retry.GenericRetry;
import io.nbsecrets.cli.Main;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.dev.DevEnvironment;
import io.nbsecrets.model.MountedSecret;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionSpec;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.model.SecretsSpec;
import io.nbsecrets.operator.Conditions;
import io.nbsecrets.operator.Labels;
import io.nbsecrets.operator.SessionSecrets;
import io.nbsecrets.operator.Snapshot;
import io.nbsecrets.operator.Workload;
import io.nbsecrets.store.KubernetesSecretStore;
import io.nbsecrets.testing.LogCapture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The spine, end to end on the embedded API server: secrets stored through the real secrets API,
 * sessions reconciled by the real operator, files written by the real init step (run by the kubelet
 * stand-in). Each test uses its own user and namespace; the last test scans everything the run
 * produced for the plaintext of every secret used.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SessionLifecycleTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> USERS =
      List.of("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy");
  private static final Set<String> PLAINTEXTS = ConcurrentHashMap.newKeySet();
  private static final List<FlakyStore> STORES = new CopyOnWriteArrayList<>();

  @TempDir static Path dir;
  static DevEnvironment env;
  static KubernetesClient client;
  static LogCapture logs;
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() {
    logs = new LogCapture();
    env =
        DevEnvironment.start(
            DevEnvironment.Options.defaults(dir)
                .withUsers(USERS)
                .withKeyBits(2048)
                .withRetry(
                    new GenericRetry()
                        .setInitialInterval(200)
                        .setIntervalMultiplier(1.5)
                        .setMaxInterval(1500)
                        .withoutMaxAttempts())
                .withStore(
                    c -> {
                      FlakyStore s =
                          new FlakyStore(
                              new KubernetesSecretStore(c, DevEnvironment.STORE_NAMESPACE));
                      STORES.add(s);
                      return s;
                    }));
    client = env.client();
  }

  @AfterAll
  static void stop() {
    if (env != null) {
      env.close();
    }
    if (logs != null) {
      logs.close();
    }
  }

  // ---------------------------------------------------------------- helpers

  /** A fresh, recognisable plaintext, remembered for the leak scan. */
  static String plaintext(String hint) {
    String v = "pt-" + hint + "-" + UUID.randomUUID();
    PLAINTEXTS.add(v);
    return v;
  }

  static int putSecret(String user, String name, String value) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(env.apiUrl() + "/api/v1/secrets/" + name))
                .timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + env.token(user))
                .header("Content-Type", "application/json")
                .PUT(
                    HttpRequest.BodyPublishers.ofString(
                        JSON.writeValueAsString(Map.of("value", value))))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return r.statusCode();
  }

  static int deleteSecret(String user, String name) throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create(env.apiUrl() + "/api/v1/secrets/" + name))
                .header("Authorization", "Bearer " + env.token(user))
                .DELETE()
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  static NotebookSession newSession(String ns, String name, String user, SecretItem... items) {
    NotebookSession s = new NotebookSession();
    s.getMetadata().setNamespace(ns);
    s.getMetadata().setName(name);
    NotebookSessionSpec spec = new NotebookSessionSpec();
    spec.setUser(user);
    spec.setImage("quay.io/jupyter/minimal-notebook:2024-12-02");
    spec.setSecrets(new SecretsSpec(null, null, List.of(items)));
    s.setSpec(spec);
    return s;
  }

  /**
   * Edits a session as a user would, again on a conflict: the operator writes the session's status
   * meanwhile, and an edit sends the resourceVersion it read.
   */
  static void edit(String ns, String name, UnaryOperator<NotebookSession> change) {
    for (int attempt = 1; ; attempt++) {
      try {
        client.resources(NotebookSession.class).inNamespace(ns).withName(name).edit(change);
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == 5) {
          throw e;
        }
      }
    }
  }

  /** Changes the session's selection of secrets. */
  static void select(String ns, String name, SecretItem... items) {
    edit(
        ns,
        name,
        s -> {
          s.getSpec().setSecrets(new SecretsSpec(null, null, List.of(items)));
          return s;
        });
  }

  static NotebookSession create(NotebookSession s) {
    return client.resource(s).create();
  }

  static NotebookSession get(String ns, String name) {
    return client.resources(NotebookSession.class).inNamespace(ns).withName(name).get();
  }

  static Optional<Condition> condition(NotebookSession s, String type) {
    return s == null || s.getStatus() == null
        ? Optional.empty()
        : Conditions.find(s.getStatus().getConditions(), type);
  }

  static NotebookSession awaitCondition(
      String ns, String name, String type, String status, String reason) {
    await()
        .atMost(30, TimeUnit.SECONDS)
        .pollInterval(Duration.ofMillis(50))
        .untilAsserted(
            () -> {
              NotebookSession s = get(ns, name);
              assertThat(condition(s, type))
                  .as("condition %s of %s/%s", type, ns, name)
                  .hasValueSatisfying(
                      c -> {
                        assertThat(c.getStatus()).isEqualTo(status);
                        assertThat(c.getReason()).isEqualTo(reason);
                        assertThat(c.getObservedGeneration())
                            .isEqualTo(s.getMetadata().getGeneration());
                      });
            });
    return get(ns, name);
  }

  static NotebookSession awaitReady(String ns, String name) {
    return awaitCondition(ns, name, Conditions.READY, Conditions.TRUE, "SessionReady");
  }

  /** The snapshot hash on the session's pod template (it changes when the pod must roll). */
  static String snapshotOf(String ns, String session) {
    StatefulSet sts = client.apps().statefulSets().inNamespace(ns).withName(session).get();
    return sts.getSpec().getTemplate().getMetadata().getAnnotations().get(Labels.SNAPSHOT);
  }

  static List<Secret> sessionSecrets(String ns, String session) {
    return client.secrets().inNamespace(ns).withLabel(Labels.SESSION, session).list().getItems();
  }

  static Map<String, String> files(String ns, String session) throws Exception {
    Map<String, String> out = new LinkedHashMap<>();
    Path d = env.kubelet().sessionDir(ns, session);
    if (!Files.isDirectory(d)) {
      return out;
    }
    try (Stream<Path> list = Files.list(d)) {
      for (Path p : list.sorted().toList()) {
        out.put(p.getFileName().toString(), Files.readString(p));
      }
    }
    return out;
  }

  /** Touches the session without changing its spec: a resync trigger. */
  static void touch(String ns, String name) {
    edit(ns, name, s -> annotate(s, "test/touched", UUID.randomUUID().toString()));
  }

  static NotebookSession annotate(NotebookSession s, String key, String value) {
    Map<String, String> annotations =
        s.getMetadata().getAnnotations() == null
            ? new LinkedHashMap<>()
            : new LinkedHashMap<>(s.getMetadata().getAnnotations());
    annotations.put(key, value);
    s.getMetadata().setAnnotations(annotations);
    return s;
  }

  static double reconciles() {
    var timer = env.registry().find("nbsecrets.operator.reconcile").timer();
    return timer == null ? 0 : timer.count();
  }

  /**
   * Collects the embedded API server's requests until nobody but the dev stand-ins (whose garbage
   * collector polls every second) has made one for {@code quietMillis}; at most 20 s.
   */
  static List<RecordedRequest> drainUntilQuiet(long quietMillis) throws InterruptedException {
    List<RecordedRequest> requests = new ArrayList<>();
    long deadline = System.currentTimeMillis() + 20_000;
    long quietSince = System.currentTimeMillis();
    while (System.currentTimeMillis() - quietSince < quietMillis
        && System.currentTimeMillis() < deadline) {
      RecordedRequest r = env.server().takeRequest(50, TimeUnit.MILLISECONDS);
      if (r != null) {
        requests.add(r);
        String agent = r.getHeader("User-Agent");
        if (agent == null || !agent.startsWith(DevEnvironment.STAND_IN_AGENT)) {
          quietSince = System.currentTimeMillis();
        }
      }
    }
    return requests;
  }

  static List<RecordedRequest> byAgent(List<RecordedRequest> requests, String agent) {
    return requests.stream()
        .filter(
            r -> r.getHeader("User-Agent") != null && r.getHeader("User-Agent").startsWith(agent))
        .toList();
  }

  static List<RecordedRequest> writes(List<RecordedRequest> requests) {
    return requests.stream().filter(r -> !r.getMethod().equals("GET")).toList();
  }

  // ---------------------------------------------------------------- the happy path

  @Test
  @Order(1)
  void aSecretTravelsFromTheApiToAFileInTheSession() throws Exception {
    String apiKey = plaintext("alice-api-key");
    String password = plaintext("alice-db-password");
    assertThat(putSecret("alice", "OPENAI_API_KEY", apiKey)).isEqualTo(201);
    assertThat(putSecret("alice", "db-password", password)).isEqualTo(201);

    drainUntilQuiet(300);
    create(
        newSession(
            "alice",
            "nb",
            "alice",
            new SecretItem("OPENAI_API_KEY", null),
            new SecretItem("db-password", "pg.txt")));
    NotebookSession ready = awaitReady("alice", "nb");
    List<RecordedRequest> creation = drainUntilQuiet(500);

    // the files, with the plaintext, mode 0400
    assertThat(files("alice", "nb"))
        .containsOnly(Map.entry("OPENAI_API_KEY", apiKey), Map.entry("pg.txt", password));
    Path file = env.kubelet().sessionDir("alice", "nb").resolve("pg.txt");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("r--------");

    // status: names and versions, the pod, every condition True at this generation
    assertThat(ready.getStatus().getObservedGeneration())
        .isEqualTo(ready.getMetadata().getGeneration());
    assertThat(ready.getStatus().getSecrets())
        .containsExactly(
            new MountedSecret("OPENAI_API_KEY", 1L, null),
            new MountedSecret("db-password", 1L, null));
    assertThat(ready.getStatus().getPodName()).isEqualTo("nb-0");
    for (String type :
        List.of(Conditions.READY, Conditions.SECRETS_READY, Conditions.WORKLOAD_READY)) {
      assertThat(condition(ready, type)).get().extracting(Condition::getStatus).isEqualTo("True");
    }

    // the per-session Secret: owned, labelled, immutable, once-encrypted values only
    List<Secret> secrets = sessionSecrets("alice", "nb");
    assertThat(secrets).hasSize(1);
    Secret secret = secrets.get(0);
    assertThat(secret.getImmutable()).isTrue();
    assertThat(secret.getMetadata().getLabels())
        .containsEntry(Labels.SESSION, "nb")
        .containsEntry(Labels.USER, "alice");
    assertThat(secret.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.getController()).isTrue();
              assertThat(o.getUid()).isEqualTo(ready.getMetadata().getUid());
            });
    // The values, and the list of files the init step reads (names, files, versions).
    assertThat(secret.getData())
        .containsOnlyKeys("OPENAI_API_KEY", "db-password", SessionSecrets.MANIFEST_KEY);
    assertThat(SessionSecrets.manifest(secret))
        .extracting(Snapshot.ManifestEntry::name)
        .containsExactlyInAnyOrder("OPENAI_API_KEY", "db-password");
    for (String v :
        List.of(secret.getData().get("OPENAI_API_KEY"), secret.getData().get("db-password"))) {
      String token = new String(Base64.getDecoder().decode(v), StandardCharsets.US_ASCII);
      assertThat(token).startsWith("gAAAAA").doesNotContain(apiKey).doesNotContain(password);
    }

    // the workload
    StatefulSet sts = client.apps().statefulSets().inNamespace("alice").withName("nb").get();
    assertThat(sts.getSpec().getReplicas()).isEqualTo(1);
    assertThat(sts.getSpec().getTemplate().getSpec().getVolumes())
        .anySatisfy(
            v -> {
              assertThat(v.getName()).isEqualTo(Workload.SEALED_VOLUME);
              assertThat(v.getSecret().getSecretName()).isEqualTo(secret.getMetadata().getName());
            });
    assertThat(client.services().inNamespace("alice").withName("nb").get()).isNotNull();
    assertThat(client.pods().inNamespace("alice").withName("nb-0").get().getStatus().getPhase())
        .isEqualTo("Running");
    assertThat(client.v1().events().inNamespace("alice").list().getItems())
        .anySatisfy(
            e -> {
              assertThat(e.getType()).isEqualTo("Normal");
              assertThat(e.getReason()).isEqualTo("SnapshotTaken");
              assertThat(e.getMessage()).isEqualTo("took 2 secrets: OPENAI_API_KEY, db-password");
            });

    List<RecordedRequest> operator = byAgent(creation, DevEnvironment.OPERATOR_AGENT);
    System.out.printf(
        "[measure] session creation: %d Kubernetes API requests by the operator (%d writes); %d by"
            + " all: %s%n",
        operator.size(),
        writes(operator).size(),
        creation.size(),
        operator.stream()
            .map(r -> r.getMethod() + " " + r.getPath().replaceAll("\\?.*", ""))
            .toList());
    assertThat(writes(operator)).isNotEmpty();
  }

  @Test
  @Order(2)
  void aResyncWhereNothingChangedWritesNothing() throws Exception {
    assertThat(putSecret("bob", "token", plaintext("bob-token"))).isEqualTo(201);
    create(newSession("bob", "nb", "bob", new SecretItem("token", null)));
    awaitReady("bob", "nb");
    drainUntilQuiet(500);
    double before = reconciles();

    touch("bob", "nb");
    await().atMost(10, TimeUnit.SECONDS).until(() -> reconciles() > before);
    List<RecordedRequest> resync = drainUntilQuiet(500);

    List<RecordedRequest> operator = byAgent(resync, DevEnvironment.OPERATOR_AGENT);
    System.out.printf(
        "[measure] no-op resync: %d Kubernetes API requests by the operator (%d writes): %s%n",
        operator.size(),
        writes(operator).size(),
        operator.stream().map(r -> r.getMethod() + " " + r.getPath()).toList());
    assertThat(writes(operator)).isEmpty();
    assertThat(sessionSecrets("bob", "nb")).hasSize(1);
  }

  // ---------------------------------------------------------------- change and refresh

  @Test
  @Order(3)
  void changingTheSelectionTakesANewSnapshotAndRollsThePod() throws Exception {
    String a = plaintext("carol-a");
    String b = plaintext("carol-b");
    putSecret("carol", "A", a);
    putSecret("carol", "B", b);
    create(newSession("carol", "nb", "carol", new SecretItem("A", null)));
    awaitReady("carol", "nb");
    String firstSecret = sessionSecrets("carol", "nb").get(0).getMetadata().getName();
    String firstSnapshot = snapshotOf("carol", "nb");
    assertThat(files("carol", "nb")).containsOnly(Map.entry("A", a));

    select("carol", "nb", new SecretItem("A", null), new SecretItem("B", null));
    await()
        .atMost(30, TimeUnit.SECONDS)
        .untilAsserted(
            () -> {
              NotebookSession s = get("carol", "nb");
              assertThat(s.getMetadata().getGeneration()).isEqualTo(2L);
              assertThat(s.getStatus().getObservedGeneration()).isEqualTo(2L);
              assertThat(s.getStatus().getSecrets())
                  .extracting(MountedSecret::getName)
                  .containsExactly("A", "B");
              assertThat(files("carol", "nb")).containsOnly(Map.entry("A", a), Map.entry("B", b));
              assertThat(sessionSecrets("carol", "nb"))
                  .singleElement()
                  .satisfies(x -> assertThat(x.getMetadata().getName()).isNotEqualTo(firstSecret));
            });
    awaitReady("carol", "nb");
    assertThat(snapshotOf("carol", "nb")).isNotEqualTo(firstSnapshot);
  }

  @Test
  @Order(4)
  void aReplacedOrDeletedSecretIsStaleUntilTheSessionIsRefreshed() throws Exception {
    String v1 = plaintext("dave-v1");
    String v2 = plaintext("dave-v2");
    putSecret("dave", "A", v1);
    create(newSession("dave", "nb", "dave", new SecretItem("A", null)));
    awaitReady("dave", "nb");
    assertThat(putSecret("dave", "A", v2)).isEqualTo(200);

    touch("dave", "nb");
    await()
        .atMost(10, TimeUnit.SECONDS)
        .untilAsserted(
            () ->
                assertThat(get("dave", "nb").getStatus().getSecrets())
                    .containsExactly(new MountedSecret("A", 1L, true)));
    assertThat(files("dave", "nb")).containsOnly(Map.entry("A", v1)); // values are taken at start

    edit("dave", "nb", s -> annotate(s, Labels.REFRESH_ANNOTATION, "1"));
    await()
        .atMost(30, TimeUnit.SECONDS)
        .untilAsserted(
            () -> {
              assertThat(get("dave", "nb").getStatus().getSecrets())
                  .containsExactly(new MountedSecret("A", 2L, null));
              assertThat(files("dave", "nb")).containsOnly(Map.entry("A", v2));
            });

    assertThat(deleteSecret("dave", "A")).isEqualTo(204);
    touch("dave", "nb");
    await()
        .atMost(10, TimeUnit.SECONDS)
        .untilAsserted(
            () ->
                assertThat(get("dave", "nb").getStatus().getSecrets())
                    .containsExactly(new MountedSecret("A", 2L, true)));
  }

  // ---------------------------------------------------------------- failures

  @Test
  @Order(5)
  void aMissingSecretFailsLoudlyMountsNothingAndRecoversWhenStored() throws Exception {
    create(newSession("erin", "nb", "erin", new SecretItem("MISSING", null)));
    NotebookSession s =
        awaitCondition("erin", "nb", Conditions.SECRETS_READY, "False", "SecretNotFound");
    assertThat(condition(s, Conditions.SECRETS_READY).get().getMessage())
        .contains("MISSING")
        .contains("erin");
    assertThat(condition(s, Conditions.READY).get().getStatus()).isEqualTo("False");
    assertThat(condition(s, Conditions.READY).get().getReason()).isEqualTo("SecretNotFound");
    assertThat(sessionSecrets("erin", "nb")).isEmpty();
    assertThat(client.apps().statefulSets().inNamespace("erin").withName("nb").get()).isNull();
    await()
        .atMost(10, TimeUnit.SECONDS)
        .untilAsserted(
            () ->
                assertThat(client.v1().events().inNamespace("erin").list().getItems())
                    .anySatisfy(
                        e -> {
                          assertThat(e.getType()).isEqualTo("Warning");
                          assertThat(e.getReason()).isEqualTo("SecretNotFound");
                          assertThat(e.getInvolvedObject().getName()).isEqualTo("nb");
                          assertThat(e.getMessage()).contains("MISSING");
                        }));

    String value = plaintext("erin-late");
    assertThat(putSecret("erin", "MISSING", value)).isEqualTo(201);
    awaitReady("erin", "nb");
    assertThat(files("erin", "nb")).containsOnly(Map.entry("MISSING", value));
  }

  @Test
  @Order(6)
  void aSessionNamingAnotherUserIsRefused() throws Exception {
    putSecret("alice", "frank-wants-this", plaintext("alice-not-for-frank"));
    create(newSession("frank", "steal", "alice", new SecretItem("frank-wants-this", null)));
    NotebookSession s =
        awaitCondition("frank", "steal", Conditions.SECRETS_READY, "False", "UserMismatch");
    assertThat(condition(s, Conditions.SECRETS_READY).get().getMessage())
        .contains("alice")
        .contains("frank");
    assertThat(sessionSecrets("frank", "steal")).isEmpty();
    assertThat(client.apps().statefulSets().inNamespace("frank").withName("steal").get()).isNull();
  }

  @Test
  @Order(7)
  void anUnboundNamespaceIsRefusedUntilAnAdminBindsIt() throws Exception {
    client
        .resource(new NamespaceBuilder().withNewMetadata().withName("shared").endMetadata().build())
        .create();
    create(newSession("shared", "nb", "grace"));
    awaitCondition("shared", "nb", Conditions.SECRETS_READY, "False", "NamespaceNotBound");
    client
        .namespaces()
        .withName("shared")
        .edit(
            n -> {
              n.getMetadata().setAnnotations(Map.of(Labels.NAMESPACE_USER_ANNOTATION, "grace"));
              return n;
            });
    awaitReady("shared", "nb");
  }

  @Test
  @Order(8)
  void anInvalidMountPathIsRefused() throws Exception {
    NotebookSession s = newSession("grace", "etc", "grace");
    s.getSpec().setSecrets(new SecretsSpec("/etc/secrets", null, List.of()));
    create(s);
    NotebookSession got =
        awaitCondition("grace", "etc", Conditions.SECRETS_READY, "False", "InvalidMountPath");
    assertThat(condition(got, Conditions.SECRETS_READY).get().getMessage()).contains("/etc");
    assertThat(client.apps().statefulSets().inNamespace("grace").withName("etc").get()).isNull();
    // the spec is never rewritten by the operator
    assertThat(got.getSpec().getSecrets().getMountPath()).isEqualTo("/etc/secrets");
  }

  @Test
  @Order(9)
  void aStoreOutageIsReportedAndTheSessionRecoversByItself() throws Exception {
    String value = plaintext("heidi");
    putSecret("heidi", "A", value);
    STORES.forEach(st -> st.setAvailable(false));
    try {
      create(newSession("heidi", "nb", "heidi", new SecretItem("A", null)));
      NotebookSession s =
          awaitCondition("heidi", "nb", Conditions.SECRETS_READY, "False", "StoreUnavailable");
      assertThat(condition(s, Conditions.READY).get().getMessage()).contains("unavailable");
      assertThat(putSecret("heidi", "B", "x")).isEqualTo(503);
    } finally {
      STORES.forEach(st -> st.setAvailable(true));
    }
    awaitReady("heidi", "nb");
    assertThat(files("heidi", "nb")).containsOnly(Map.entry("A", value));
  }

  // ---------------------------------------------------------------- deletion and restarts

  @Test
  @Order(10)
  void deletingASessionDeletesEverythingItCreated() throws Exception {
    putSecret("ivan", "A", plaintext("ivan"));
    create(newSession("ivan", "nb", "ivan", new SecretItem("A", null)));
    awaitReady("ivan", "nb");
    assertThat(files("ivan", "nb")).hasSize(1);
    client.resources(NotebookSession.class).inNamespace("ivan").withName("nb").delete();
    await()
        .atMost(20, TimeUnit.SECONDS)
        .untilAsserted(
            () -> {
              assertThat(sessionSecrets("ivan", "nb")).isEmpty();
              assertThat(client.apps().statefulSets().inNamespace("ivan").list().getItems())
                  .isEmpty();
              assertThat(client.services().inNamespace("ivan").list().getItems()).isEmpty();
              assertThat(client.pods().inNamespace("ivan").list().getItems()).isEmpty();
              assertThat(Files.exists(env.kubelet().sessionDir("ivan", "nb"))).isFalse();
            });
  }

  @Test
  @Order(11)
  void restartingTheOperatorLosesNothingAndDuplicatesNothing() throws Exception {
    Map<String, List<String>> before = objectNames();
    drainUntilQuiet(500);
    env.restartOperator();
    await().atMost(10, TimeUnit.SECONDS).until(() -> reconciles() > 0);
    List<RecordedRequest> after = drainUntilQuiet(1500);
    assertThat(
            writes(byAgent(after, DevEnvironment.OPERATOR_AGENT)).stream()
                .filter(r -> !r.getPath().contains("/events"))
                .toList())
        .as("writes after restart")
        .isEmpty();
    assertThat(objectNames()).isEqualTo(before);
    awaitReady("alice", "nb");
    awaitReady("carol", "nb");
  }

  private static Map<String, List<String>> objectNames() {
    Map<String, List<String>> names = new LinkedHashMap<>();
    names.put(
        "secrets",
        sorted(client.secrets().inAnyNamespace().withLabel(Labels.MANAGED_BY).list().getItems()));
    names.put(
        "statefulsets", sorted(client.apps().statefulSets().inAnyNamespace().list().getItems()));
    names.put("services", sorted(client.services().inAnyNamespace().list().getItems()));
    return names;
  }

  private static List<String> sorted(List<? extends HasMetadata> items) {
    return items.stream()
        .map(
            i ->
                i.getMetadata().getNamespace()
                    + "/"
                    + i.getMetadata().getName()
                    + "@"
                    + i.getMetadata().getResourceVersion())
        .sorted()
        .toList();
  }

  // ---------------------------------------------------------------- key rotation

  /** Runs the jar's command line against the embedded API server, as an admin would. */
  static String[] runCli(String... args) throws Exception {
    Path kubeconfig = dir.resolve("kubeconfig");
    env.writeKubeconfig(kubeconfig);
    String previous = System.setProperty("kubeconfig", kubeconfig.toString());
    try {
      CommandLine cl = Main.commandLine();
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      cl.setOut(new PrintWriter(out));
      cl.setErr(new PrintWriter(err));
      int exit = cl.execute(args);
      return new String[] {String.valueOf(exit), out.toString(), err.toString()};
    } finally {
      if (previous == null) {
        System.clearProperty("kubeconfig");
      } else {
        System.setProperty("kubeconfig", previous);
      }
    }
  }

  static String keyIdOfRecord(String user, String name) {
    return Envelope.keyId(env.store().get(user, List.of(name)).get(name).sealed());
  }

  @Test
  @Order(12)
  void rotatingBothKeysUnderALiveSessionLosesNothingAndNeedsNoRestart() throws Exception {
    String token = plaintext("judy-token");
    String password = plaintext("judy-password");
    assertThat(putSecret("judy", "token", token)).isEqualTo(201);
    assertThat(putSecret("judy", "password", password)).isEqualTo(201);
    create(
        newSession(
            "judy", "nb", "judy", new SecretItem("token", null), new SecretItem("password", null)));
    awaitReady("judy", "nb");
    String oldKey = keyIdOfRecord("judy", "token");
    String firstSnapshot = snapshotOf("judy", "nb");

    String[] session =
        runCli(
            "rotate-keys",
            "--namespace=" + DevEnvironment.OPERATOR_NAMESPACE,
            "--store-type=kubernetes",
            "--store-namespace=" + DevEnvironment.STORE_NAMESPACE,
            "--key-bits=2048",
            "--batch-size=2",
            "--propagation-wait-seconds=1");

    assertThat(session[0]).as("exit code; stderr: %s", session[2]).isEqualTo("0");
    assertThat(session[1]).contains("rotated session key to rsa-", "dropped " + oldKey);
    assertThat(session[2]).contains("added session key", "pass 1", "dropped old session keys");
    String newKey = keyIdOfRecord("judy", "token");
    assertThat(newKey).isNotEqualTo(oldKey);
    assertThat(keyIdOfRecord("judy", "password")).isEqualTo(newKey);
    // Re-wrapping is not a change: the session's secrets are not stale, the pod does not roll.
    touch("judy", "nb");
    assertThat(awaitReady("judy", "nb").getStatus().getSecrets())
        .extracting(MountedSecret::getStale)
        .containsOnlyNulls();
    assertThat(snapshotOf("judy", "nb")).isEqualTo(firstSnapshot);

    // The running operator dropped the old key and opens records under the new one: a refresh
    // takes a new snapshot from the re-wrapped records, with the same plaintext in the files.
    edit("judy", "nb", s -> annotate(s, Labels.REFRESH_ANNOTATION, "after-session-rotation"));
    await()
        .atMost(30, TimeUnit.SECONDS)
        .until(() -> !firstSnapshot.equals(snapshotOf("judy", "nb")));
    awaitReady("judy", "nb");
    await()
        .atMost(30, TimeUnit.SECONDS)
        .untilAsserted(
            () ->
                assertThat(files("judy", "nb"))
                    .containsOnly(Map.entry("token", token), Map.entry("password", password)));
    // The running API seals new records under the new key.
    String later = plaintext("judy-later");
    assertThat(putSecret("judy", "later", later)).isEqualTo(201);
    assertThat(keyIdOfRecord("judy", "later")).isEqualTo(newKey);

    String[] platform =
        runCli(
            "rotate-keys",
            "--platform",
            "--namespace=" + DevEnvironment.OPERATOR_NAMESPACE,
            "--store-type=kubernetes",
            "--store-namespace=" + DevEnvironment.STORE_NAMESPACE,
            "--propagation-wait-seconds=1");

    assertThat(platform[0]).as("exit code; stderr: %s", platform[2]).isEqualTo("0");
    assertThat(platform[1]).contains("rotated platform key to ");
    // The running API unwraps judy's re-wrapped key: her new value lands next to the old ones.
    String latest = plaintext("judy-latest");
    assertThat(putSecret("judy", "latest", latest)).isEqualTo(201);
    select(
        "judy",
        "nb",
        new SecretItem("token", null),
        new SecretItem("password", null),
        new SecretItem("latest", null));
    await()
        .atMost(30, TimeUnit.SECONDS)
        .untilAsserted(
            () ->
                assertThat(files("judy", "nb"))
                    .containsOnly(
                        Map.entry("token", token),
                        Map.entry("password", password),
                        Map.entry("latest", latest)));
  }

  // ---------------------------------------------------------------- the leak scan

  @Test
  @Order(100)
  void noPlaintextInAnyObjectStatusEventOrLogLine() throws Exception {
    StringBuilder haystack = new StringBuilder();
    int objects = 0;
    List<List<? extends HasMetadata>> all =
        List.of(
            client.secrets().inAnyNamespace().list().getItems(),
            client.configMaps().inAnyNamespace().list().getItems(),
            client.apps().statefulSets().inAnyNamespace().list().getItems(),
            client.services().inAnyNamespace().list().getItems(),
            client.pods().inAnyNamespace().list().getItems(),
            client.namespaces().list().getItems(),
            client.resources(NotebookSession.class).inAnyNamespace().list().getItems());
    for (List<? extends HasMetadata> list : all) {
      for (HasMetadata o : list) {
        objects++;
        haystack.append(Serialization.asJson(o)).append('\n');
        if (o instanceof Secret s && s.getData() != null) {
          for (String v : s.getData().values()) {
            haystack
                .append(new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8))
                .append('\n');
          }
        }
      }
    }
    List<Event> events = client.v1().events().inAnyNamespace().list().getItems();
    events.forEach(e -> haystack.append(Serialization.asJson(e)).append('\n'));
    haystack.append(logs.text());
    haystack.append(env.registry().scrape());

    assertThat(PLAINTEXTS).hasSizeGreaterThan(8);
    assertThat(objects).isGreaterThan(30);
    assertThat(events).isNotEmpty();
    assertThat(logs.size()).isGreaterThan(10);
    String text = haystack.toString();
    for (String p : PLAINTEXTS) {
      assertThat(text).as("leak scan").doesNotContain(p);
      assertThat(text)
          .as("leak scan (base64)")
          .doesNotContain(Base64.getEncoder().encodeToString(p.getBytes(StandardCharsets.UTF_8)));
    }
    System.out.printf(
        "[measure] leak scan: %d objects, %d events, %d log events, %d plaintexts, %d chars: no plaintext found%n",
        objects, events.size(), logs.size(), PLAINTEXTS.size(), text.length());
  }
}
