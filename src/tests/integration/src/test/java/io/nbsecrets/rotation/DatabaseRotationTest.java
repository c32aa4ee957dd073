package io.nbsecrets.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nbsecrets.crypto.SessionKeyAlgorithm;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.crypto.SessionPublicKey;
import io.nbsecrets.keys.SessionKeys;
import io.nbsecrets.rotation.RewrapCounts.Outcome;
import io.nbsecrets.store.DatabaseSecretStore;
import io.nbsecrets.store.DatabaseSecretStore.DatabaseConfig;
import io.nbsecrets.store.SecretMetadata;
import io.nbsecrets.store.StoreUnavailableException;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Session key rotation of 10,000 records in a real PostgreSQL (embedded), interrupted part-way and
 * resumed. Prints the times ({@code [measure]}); docs/benchmarks.md has the benchmark with both key
 * sizes ({@link RotationBenchmark}).
 */
@EnableKubernetesMockClient(crud = true)
@Timeout(300)
class DatabaseRotationTest {
  static final int USERS = 100;
  static final int PER_USER = 100;
  static KubernetesMockServer server;
  static KubernetesClient client;
  static EmbeddedPostgres postgres;
  static DatabaseSecretStore store;

  @BeforeAll
  static void start() throws Exception {
    postgres = EmbeddedPostgres.builder().start();
    store =
        DatabaseSecretStore.open(
            DatabaseConfig.of(
                "jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres",
                "postgres",
                null));
  }

  @AfterAll
  static void stop() throws Exception {
    if (store != null) {
      store.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void tenThousandRecordsAreRewrappedResumablyAndStayReadable() throws Exception {
    String ns = "rotation";
    client
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .create();
    SessionKeys.loadOrCreate(client, ns, SessionKeyAlgorithm.RSA_2048);
    SessionPublicKey oldKey = SessionKeys.awaitPublicKey(client, ns, Duration.ofSeconds(1));
    long t0 = System.nanoTime();
    RotationAtScale.fill(store, oldKey, USERS, PER_USER);
    long filled = System.nanoTime();
    assertThat(store.count()).isEqualTo(USERS * PER_USER);
    Map<String, List<SecretMetadata>> before = metadataOfSomeUsers();

    RotationOptions options =
        RotationOptions.defaults().withPropagationWait(Duration.ZERO).withBatchSize(500);
    FailingStore failing = new FailingStore(store, 4_000);
    assertThatThrownBy(() -> rotate(ns, failing, options))
        .isInstanceOf(StoreUnavailableException.class);
    long interrupted = System.nanoTime();

    // Midway: both keys held; every sampled record opens; 4,000 re-wrapped, the rest not yet.
    SessionKeyRing midway = SessionKeys.fromSecret(keysSecret(ns));
    assertThat(midway.keyIds()).hasSize(2);
    RotationAtScale.verify(store, midway, null, 20);

    failing.failAfter = Integer.MAX_VALUE;
    RotationResult result = rotate(ns, failing, options);
    long resumed = System.nanoTime();

    assertThat(result.resumed()).isTrue();
    assertThat(result.complete()).isTrue();
    assertThat(failing.rewrapped.get()).isEqualTo(USERS * PER_USER); // each record once
    // The resumed first pass started at the saved cursor (the batches done before the stop).
    assertThat(result.counts().total()).isLessThanOrEqualTo(USERS * PER_USER - 3_500);
    assertThat(result.counts().get(Outcome.REWRAPPED)).isEqualTo(USERS * PER_USER - 4_000);
    SessionKeyRing after = SessionKeys.fromSecret(keysSecret(ns));
    assertThat(after.keyIds()).containsExactly(result.targetKeyId());
    assertThat(RotationAtScale.verify(store, after, result.targetKeyId(), 1))
        .isEqualTo(USERS * PER_USER);
    assertThat(metadataOfSomeUsers()).isEqualTo(before);

    System.out.printf(
        "[measure] rotation of %,d records in PostgreSQL (RSA-2048, batch 500, %d threads):"
            + " fill %.1f s; run 1 stopped after 4,000 re-wraps in %.1f s; resumed run %.1f s"
            + " (%d passes); rotation total %.1f s%n",
        USERS * PER_USER,
        options.parallelism(),
        seconds(filled - t0),
        seconds(interrupted - filled),
        seconds(resumed - interrupted),
        result.passes(),
        seconds(resumed - filled));
  }

  private static RotationResult rotate(String ns, FailingStore on, RotationOptions options) {
    return new SessionKeyRotation(
            client, ns, on, null, options, RotationListener.NONE, new SimpleMeterRegistry())
        .run();
  }

  private static io.fabric8.kubernetes.api.model.Secret keysSecret(String ns) {
    return client.secrets().inNamespace(ns).withName(SessionKeys.SECRET_NAME).get();
  }

  private static Map<String, List<SecretMetadata>> metadataOfSomeUsers() {
    Map<String, List<SecretMetadata>> m = new TreeMap<>();
    for (int u = 0; u < USERS; u += 9) {
      String user = String.format("user-%04d", u);
      m.put(user, store.list(user));
    }
    return m;
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }
}
