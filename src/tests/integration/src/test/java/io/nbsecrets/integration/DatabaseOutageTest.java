package io.nbsecrets.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.nbsecrets.dev.DevEnvironment;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionSpec;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.model.SecretsSpec;
import io.nbsecrets.operator.Conditions;
import io.nbsecrets.store.DatabaseSecretStore;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator on the database store, a real PostgreSQL: a session started while the database is
 * down reports StoreUnavailable, and recovers by itself when the database returns; a running
 * session is untouched by the outage.
 */
@Timeout(value = 150, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DatabaseOutageTest {
  @TempDir Path dir;

  @Test
  void aSessionWaitsOutADatabaseOutageAndRecovers() throws Exception {
    Path data = Files.createDirectories(dir.resolve("pg"));
    EmbeddedPostgres pg =
        EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).start();
    int port = pg.getPort();
    DatabaseSecretStore.DatabaseConfig config =
        new DatabaseSecretStore.DatabaseConfig(
            "jdbc:postgresql://localhost:" + port + "/postgres",
            "postgres",
            null,
            4,
            Duration.ofSeconds(1));
    EmbeddedPostgres restarted = null;
    try (DevEnvironment env =
        DevEnvironment.start(
            DevEnvironment.Options.defaults(dir.resolve("dev"))
                .withUsers(List.of("alice"))
                .withRetry(DevApi.patientRetry())
                .withStore(c -> DatabaseSecretStore.open(config)))) {
      KubernetesClient client = env.client();
      assertThat(DevApi.put(env, "alice", "A", "pt-db-value-1")).isEqualTo(201);
      client.resource(session("running")).create();
      await()
          .atMost(30, TimeUnit.SECONDS)
          .until(() -> is(client, "running", Conditions.READY, "SessionReady"));

      pg.close();
      client.resource(session("late")).create();
      await()
          .atMost(60, TimeUnit.SECONDS)
          .until(() -> is(client, "late", Conditions.SECRETS_READY, "StoreUnavailable"));
      assertThat(is(client, "running", Conditions.READY, "SessionReady")).isTrue();

      restarted =
          EmbeddedPostgres.builder()
              .setDataDirectory(data)
              .setCleanDataDirectory(false)
              .setPort(port)
              .start();
      await()
          .atMost(60, TimeUnit.SECONDS)
          .until(() -> is(client, "late", Conditions.READY, "SessionReady"));
      assertThat(Files.readString(env.kubelet().sessionDir("alice", "late").resolve("A")))
          .isEqualTo("pt-db-value-1");
    } finally {
      if (restarted != null) {
        restarted.close();
      }
    }
  }

  private static NotebookSession session(String name) {
    NotebookSession s = new NotebookSession();
    s.getMetadata().setNamespace("alice");
    s.getMetadata().setName(name);
    NotebookSessionSpec spec = new NotebookSessionSpec();
    spec.setUser("alice");
    spec.setImage("img");
    spec.setSecrets(new SecretsSpec(null, null, List.of(new SecretItem("A", null))));
    s.setSpec(spec);
    return s;
  }

  private static boolean is(KubernetesClient c, String name, String type, String reason) {
    NotebookSession s =
        c.resources(NotebookSession.class).inNamespace("alice").withName(name).get();
    Optional<io.fabric8.kubernetes.api.model.Condition> cond =
        s == null || s.getStatus() == null
            ? Optional.empty()
            : Conditions.find(s.getStatus().getConditions(), type);
    return cond.map(x -> reason.equals(x.getReason())).orElse(false);
  }
}
