package io.nbsecrets.rotation;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nbsecrets.crypto.SessionKeyAlgorithm;
import io.nbsecrets.crypto.SessionPublicKey;
import io.nbsecrets.dev.FakeTokenAuthority;
import io.nbsecrets.keys.SessionKeys;
import io.nbsecrets.store.DatabaseSecretStore;
import io.nbsecrets.store.DatabaseSecretStore.DatabaseConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.InetAddress;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Benchmark command (not a test): a session key rotation of 10,000 records (100 users × 100) in an
 * embedded PostgreSQL, uninterrupted, with the default batch size (500) and one thread per
 * processor, for each session key algorithm (old and new key the same algorithm). Reports the time
 * of each pass (pass 1 re-wraps, pass 2 verifies) and the whole command. Three runs per algorithm.
 *
 * <p>Run: {@code ./mvnw -q -pl src/benchmarks -am -DskipTests package exec:java
 * -Dexec.mainClass=io.nbsecrets.rotation.RotationBenchmark} (optional {@code
 * -Dexec.args=mlkem768-x25519} for one algorithm). Results: docs/benchmarks.md.
 */
public final class RotationBenchmark {
  private static final int USERS = 100;
  private static final int PER_USER = 100;
  private static final int RUNS = 3;

  private RotationBenchmark() {}

  public static void main(String[] args) throws Exception {
    KubernetesMockServer server = FakeTokenAuthority.newMockServer();
    server.init(InetAddress.getLoopbackAddress(), 0);
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
        KubernetesClient client = server.createClient()) {
      String url = "jdbc:postgresql://localhost:" + pg.getPort() + "/postgres";
      try (DatabaseSecretStore store =
          DatabaseSecretStore.open(DatabaseConfig.of(url, "postgres", null))) {
        List<SessionKeyAlgorithm> algorithms =
            args.length == 0
                ? List.of(SessionKeyAlgorithm.values())
                : java.util.Arrays.stream(args).map(SessionKeyAlgorithm::of).toList();
        for (SessionKeyAlgorithm algorithm : algorithms) {
          for (int run = 1; run <= RUNS; run++) {
            String ns = "bench-" + algorithm.id() + "-" + run;
            client
                .resource(
                    new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
                .create();
            try (Connection c = DriverManager.getConnection(url, "postgres", "");
                Statement s = c.createStatement()) {
              s.execute("TRUNCATE nbsecrets_secrets");
            }
            SessionKeys.loadOrCreate(client, ns, algorithm);
            SessionPublicKey key = SessionKeys.awaitPublicKey(client, ns, Duration.ofSeconds(1));
            RotationAtScale.fill(store, key, USERS, PER_USER);

            Map<Integer, Duration> passes = new TreeMap<>();
            RotationListener timing =
                new RotationListener() {
                  @Override
                  public void step(String message) {}

                  @Override
                  public void progress(Progress p) {
                    passes.put(p.pass(), p.elapsed());
                  }
                };
            long start = System.nanoTime();
            RotationResult result =
                new SessionKeyRotation(
                        client,
                        ns,
                        store,
                        algorithm,
                        RotationOptions.defaults().withPropagationWait(Duration.ZERO),
                        timing,
                        new SimpleMeterRegistry())
                    .run();
            long took = System.nanoTime() - start;
            if (!result.complete()) {
              throw new IllegalStateException("rotation incomplete: " + result);
            }
            System.out.printf(
                "%s run %d: %,d records, total %.2f s (%,.0f records/s); pass 1 %.2f s, pass 2"
                    + " %.2f s; %s%n",
                algorithm,
                run,
                USERS * PER_USER,
                took / 1e9,
                USERS * PER_USER / (took / 1e9),
                passes.get(1).toMillis() / 1000.0,
                passes.get(2).toMillis() / 1000.0,
                result.counts());
          }
        }
      }
    } finally {
      server.destroy();
    }
  }
}
