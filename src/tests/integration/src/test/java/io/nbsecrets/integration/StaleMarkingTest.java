package io.nbsecrets.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.nbsecrets.dev.DevEnvironment;
import io.nbsecrets.model.MountedSecret;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionSpec;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.model.SecretsSpec;
import io.nbsecrets.operator.Conditions;
import io.nbsecrets.operator.Labels;
import io.nbsecrets.store.DatabaseSecretStore;
import io.nbsecrets.store.FakeVault;
import io.nbsecrets.store.KubernetesSecretStore;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.VaultSecretStore;
import io.nbsecrets.store.VaultSecretStore.VaultConfig;
import io.nbsecrets.testing.LogCapture;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;

/**
 * A secret replaced, another deleted and a third deleted and stored again (at version 1 again) in
 * the store, with nobody touching the sessions that mount them: within 30 seconds every such
 * session shows {@code stale: true} on exactly those entries, on each of the three stores, without
 * a restart of any pod. And a store that stops answering during the check is logged, counted and
 * shown on the session, keeps the marks, and marking resumes when it answers again.
 */
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class StaleMarkingTest {
  /** The contract: stale within 30 s of the change. */
  private static final Duration BOUND = Duration.ofSeconds(30);

  @TempDir Path dir;
  private final Set<String> plaintexts = ConcurrentHashMap.newKeySet();
  private LogCapture logs;

  @BeforeEach
  void captureLogs() {
    logs = new LogCapture();
  }

  @AfterEach
  void stopCapture() {
    logs.close();
  }

  // ---------------------------------------------------------------- the three stores

  @Test
  void kubernetesStore() throws Exception {
    try (DevEnvironment env = start(c -> new KubernetesSecretStore(c, "nbsecrets-store"))) {
      Map<String, NotebookSession> marked = replaceAndDeleteThenAwaitStale(env, "kubernetes");
      // Nothing changes afterwards: a further pass of the check writes no status.
      double passes = passes(env);
      await().atMost(BOUND).until(() -> passes(env) >= passes + 1);
      for (var e : marked.entrySet()) {
        assertThat(session(env.client(), e.getKey()).getMetadata().getResourceVersion())
            .as("resourceVersion of %s after another pass", e.getKey())
            .isEqualTo(e.getValue().getMetadata().getResourceVersion());
      }
    }
  }

  @Test
  void postgresqlStore() throws Exception {
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      DatabaseSecretStore.DatabaseConfig config =
          new DatabaseSecretStore.DatabaseConfig(
              "jdbc:postgresql://localhost:" + pg.getPort() + "/postgres",
              "postgres",
              null,
              4,
              Duration.ofSeconds(5));
      try (DevEnvironment env = start(c -> DatabaseSecretStore.open(config))) {
        replaceAndDeleteThenAwaitStale(env, "database");
      }
    }
  }

  @Test
  void vaultStoreOnFakeVault() throws Exception {
    try (FakeVault vault = new FakeVault("root")) {
      try (DevEnvironment env =
          start(c -> VaultSecretStore.open(VaultConfig.withToken(vault.address(), "root")))) {
        replaceAndDeleteThenAwaitStale(env, "vault (FakeVault)");
      }
    }
  }

  /**
   * The real Vault dev server (e2e/vault/dev-server.sh), when VAULT_ADDR and VAULT_TOKEN are set.
   */
  @Test
  @EnabledIfEnvironmentVariable(named = "VAULT_ADDR", matches = ".+")
  @EnabledIfEnvironmentVariable(named = "VAULT_TOKEN", matches = ".+")
  void vaultStoreOnRealVault() throws Exception {
    String mount = System.getenv("VAULT_KV_MOUNT");
    VaultConfig config =
        new VaultConfig(
            URI.create(System.getenv("VAULT_ADDR").replaceAll("/+$", "")),
            mount == null || mount.isBlank() ? null : mount,
            "nbsecrets-stale-" + UUID.randomUUID().toString().substring(0, 8),
            System.getenv("VAULT_TOKEN"),
            null,
            null,
            null,
            Duration.ofSeconds(10));
    try (DevEnvironment env = start(c -> VaultSecretStore.open(config))) {
      replaceAndDeleteThenAwaitStale(env, "vault (real dev server)");
      // Clean up what this run stored under its own prefix.
      for (String name : env.store().list("alice").stream().map(m -> m.name()).toList()) {
        env.store().delete("alice", name);
      }
    }
  }

  // ---------------------------------------------------------------- a store error (row 10)

  @Test
  void aStoreErrorDuringTheCheckIsLoggedCountedAndShownAndMarkingResumes() throws Exception {
    List<FlakyStore> stores = new CopyOnWriteArrayList<>();
    try (DevEnvironment env =
        start(
            c -> {
              FlakyStore s = new FlakyStore(new KubernetesSecretStore(c, "nbsecrets-store"));
              stores.add(s);
              return s;
            })) {
      FlakyStore operatorStore = stores.get(1); // the API's store is made first
      KubernetesClient client = env.client();
      DevApi.put(env, "alice", "A", plaintext("a1"));
      DevApi.put(env, "alice", "B", plaintext("b1"));
      client.resource(newSession("nb", "A", "B")).create();
      awaitReady(client, "nb");
      DevApi.put(env, "alice", "A", plaintext("a2"));
      await()
          .atMost(BOUND)
          .untilAsserted(
              () ->
                  assertThat(session(client, "nb").getStatus().getSecrets())
                      .containsExactly(
                          new MountedSecret("A", 1L, true), new MountedSecret("B", 1L, null)));

      operatorStore.setAvailable(false);
      await()
          .atMost(BOUND)
          .untilAsserted(
              () -> {
                Condition c = secretsReady(session(client, "nb"));
                assertThat(c.getStatus()).isEqualTo("True");
                assertThat(c.getReason()).isEqualTo("StaleCheckFailed");
                assertThat(c.getMessage())
                    .contains("could not be checked")
                    .contains("StoreUnavailable")
                    .contains("simulated outage");
              });
      NotebookSession during = session(client, "nb");
      // The mark seen before the outage stays; the session stays Ready.
      assertThat(during.getStatus().getSecrets())
          .containsExactly(new MountedSecret("A", 1L, true), new MountedSecret("B", 1L, null));
      assertThat(Conditions.find(during.getStatus().getConditions(), Conditions.READY).get())
          .extracting(Condition::getStatus)
          .isEqualTo("True");
      assertThat(counter(env, "StoreUnavailable")).isGreaterThan(0);
      String scrape = env.registry().scrape();
      assertThat(scrape)
          .contains("nbsecrets_operator_stale_checks_total{result=\"StoreUnavailable\"}");
      assertThat(scrape.lines().filter(l -> l.startsWith("nbsecrets_operator_stale_checks")))
          .allSatisfy(l -> assertThat(l).doesNotContain("alice").doesNotContain("nb\""));
      String log = logs.text();
      assertThat(log).contains("cannot check for stale secrets: StoreUnavailable");
      assertThat(log).contains("stale check: the store did not answer for 1 of 1 users");

      // Changed during the outage; seen once the store answers again, without a touch.
      DevApi.put(env, "alice", "B", plaintext("b2"));
      operatorStore.setAvailable(true);
      await()
          .atMost(BOUND)
          .untilAsserted(
              () -> {
                NotebookSession s = session(client, "nb");
                assertThat(s.getStatus().getSecrets())
                    .containsExactly(
                        new MountedSecret("A", 1L, true), new MountedSecret("B", 1L, true));
                assertThat(secretsReady(s).getReason()).isEqualTo("SecretsMounted");
              });
      assertThat(logs.text()).contains("stale check: the store answers again");
      assertNoPlaintext(client, env);
    }
  }

  // ---------------------------------------------------------------- the scenario

  /**
   * Sessions nb1 (A, B), nb2 (A, C) and nb3 (C) run; A is replaced, B deleted, C deleted and stored
   * again through the API, and nothing touches the sessions. Returns the sessions as marked.
   */
  private Map<String, NotebookSession> replaceAndDeleteThenAwaitStale(
      DevEnvironment env, String store) throws Exception {
    KubernetesClient client = env.client();
    for (String name : List.of("A", "B", "C")) {
      assertThat(DevApi.put(env, "alice", name, plaintext(name + "1"))).isEqualTo(201);
    }
    client.resource(newSession("nb1", "A", "B")).create();
    client.resource(newSession("nb2", "A", "C")).create();
    client.resource(newSession("nb3", "C")).create();
    Map<String, String> pods = new java.util.HashMap<>();
    Map<String, String> templates = new java.util.HashMap<>();
    for (String nb : List.of("nb1", "nb2", "nb3")) {
      awaitReady(client, nb);
      pods.put(nb, pod(client, nb));
      templates.put(nb, template(client, nb));
    }

    long changed = System.nanoTime();
    assertThat(DevApi.put(env, "alice", "A", plaintext("A2"))).isEqualTo(200);
    assertThat(DevApi.delete(env, "alice", "B")).isEqualTo(204);
    // C deleted and stored again: its versions start again at 1, and its sessions must still see
    // that the value they hold is not the store's.
    assertThat(DevApi.delete(env, "alice", "C")).isEqualTo(204);
    assertThat(DevApi.put(env, "alice", "C", plaintext("C-again"))).isEqualTo(201);
    Map<String, NotebookSession> marked = new ConcurrentHashMap<>();
    await()
        .atMost(BOUND)
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(
            () -> {
              assertThat(secrets(client, "nb1"))
                  .containsExactly(
                      new MountedSecret("A", 1L, true), new MountedSecret("B", 1L, true));
              assertThat(secrets(client, "nb2"))
                  .containsExactly(
                      new MountedSecret("A", 1L, true), new MountedSecret("C", 1L, true));
              assertThat(secrets(client, "nb3")).containsExactly(new MountedSecret("C", 1L, true));
            });
    System.out.printf(
        "[measure] %s store: replaced/deleted/stored again -> stale: true on every session"
            + " mounting them in %d"
            + " ms (poll period %d s)%n",
        store, (System.nanoTime() - changed) / 1_000_000, Duration.ofSeconds(15).toSeconds());
    for (String nb : List.of("nb1", "nb2", "nb3")) {
      marked.put(nb, session(client, nb));
      // Marking restarts nothing: the same pod, the same template.
      assertThat(pod(client, nb)).as("pod uid of %s", nb).isEqualTo(pods.get(nb));
      assertThat(template(client, nb)).as("snapshot of %s", nb).isEqualTo(templates.get(nb));
    }
    assertNoPlaintext(client, env);
    return marked;
  }

  // ---------------------------------------------------------------- helpers

  private DevEnvironment start(Function<KubernetesClient, SecretStore> store) {
    return DevEnvironment.start(
        DevEnvironment.Options.defaults(dir.resolve("dev-" + UUID.randomUUID()))
            .withUsers(List.of("alice"))
            .withRetry(DevApi.patientRetry())
            .withStore(store));
  }

  private String plaintext(String hint) {
    String v = "pt-stale-" + hint + "-" + UUID.randomUUID();
    plaintexts.add(v);
    return v;
  }

  private static NotebookSession newSession(String name, String... secrets) {
    NotebookSession s = new NotebookSession();
    s.getMetadata().setNamespace("alice");
    s.getMetadata().setName(name);
    NotebookSessionSpec spec = new NotebookSessionSpec();
    spec.setUser("alice");
    spec.setImage("quay.io/jupyter/minimal-notebook:2024-12-02");
    List<SecretItem> items = new ArrayList<>();
    for (String secret : secrets) {
      items.add(new SecretItem(secret, null));
    }
    spec.setSecrets(new SecretsSpec(null, null, items));
    s.setSpec(spec);
    return s;
  }

  private static NotebookSession session(KubernetesClient client, String name) {
    return client.resources(NotebookSession.class).inNamespace("alice").withName(name).get();
  }

  private static List<MountedSecret> secrets(KubernetesClient client, String name) {
    NotebookSession s = session(client, name);
    return s.getStatus() == null ? List.of() : s.getStatus().getSecrets();
  }

  private static Condition secretsReady(NotebookSession s) {
    return Conditions.find(s.getStatus().getConditions(), Conditions.SECRETS_READY).orElseThrow();
  }

  private static void awaitReady(KubernetesClient client, String name) {
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              NotebookSession s = session(client, name);
              assertThat(s.getStatus()).isNotNull();
              assertThat(Conditions.find(s.getStatus().getConditions(), Conditions.READY))
                  .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("SessionReady"));
            });
  }

  private static String pod(KubernetesClient client, String session) {
    return client.pods().inNamespace("alice").withName(session + "-0").get().getMetadata().getUid();
  }

  private static String template(KubernetesClient client, String session) {
    StatefulSet sts = client.apps().statefulSets().inNamespace("alice").withName(session).get();
    return sts.getSpec().getTemplate().getMetadata().getAnnotations().get(Labels.SNAPSHOT);
  }

  private static double passes(DevEnvironment env) {
    var timer = env.registry().find("nbsecrets.operator.stale.pass").timer();
    return timer == null ? 0 : timer.count();
  }

  private static double counter(DevEnvironment env, String result) {
    var c = env.registry().find("nbsecrets.operator.stale.checks").tag("result", result).counter();
    return c == null ? 0 : c.count();
  }

  /** No plaintext in the sessions' status, the Events, the metrics or the log. */
  private void assertNoPlaintext(KubernetesClient client, DevEnvironment env) {
    String status =
        client.resources(NotebookSession.class).inNamespace("alice").list().getItems().stream()
            .map(s -> String.valueOf(io.fabric8.kubernetes.client.utils.Serialization.asJson(s)))
            .reduce("", String::concat);
    String events =
        client.v1().events().inNamespace("alice").list().getItems().stream()
            .map(e -> e.getReason() + " " + e.getMessage())
            .reduce("", String::concat);
    String all = status + events + env.registry().scrape() + logs.text();
    for (String p : plaintexts) {
      assertThat(all).doesNotContain(p);
    }
  }
}
