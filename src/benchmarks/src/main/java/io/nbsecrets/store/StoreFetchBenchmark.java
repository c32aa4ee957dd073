package io.nbsecrets.store;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.Fernet;
import io.nbsecrets.crypto.RsaKeys;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.crypto.SessionPublicKey;
import io.nbsecrets.dev.FakeTokenAuthority;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Benchmark command (not a test): p50/p99 latency to fetch the 50 secrets of one session from each
 * backend ({@code SecretStore.get}), and to remove their outer layers (what the operator does per
 * snapshot), with 2048- and 4096-bit session keys. Values are 5,000 characters (Renku's limit).
 *
 * <p>Run: {@code ./mvnw -q -pl src/benchmarks -am -DskipTests package exec:java
 * -Dexec.mainClass=io.nbsecrets.store.StoreFetchBenchmark}. Results and caveats:
 * docs/benchmarks.md.
 */
public final class StoreFetchBenchmark {
  private static final int SECRETS = 50;
  private static final int WARMUP = 30;
  private static final int RUNS = 300;

  private StoreFetchBenchmark() {}

  public static void main(String[] args) throws Exception {
    KeyPair pair = RsaKeys.generate(2048);
    SessionPublicKey pub = SessionPublicKey.of(pair.getPublic());
    String userKey = Fernet.generateKey();
    String value = "x".repeat(5000);
    List<String> names = new ArrayList<>();
    List<String> sealed = new ArrayList<>();
    for (int i = 0; i < SECRETS; i++) {
      String name = "SECRET_" + i;
      names.add(name);
      String inner = Fernet.fromKey(userKey).encrypt(value.getBytes(StandardCharsets.UTF_8));
      sealed.add(Envelope.seal(pub, "alice", name, inner.getBytes(StandardCharsets.US_ASCII)));
    }
    System.out.printf("sealed record: %d chars%n", sealed.get(0).length());

    KubernetesMockServer server = FakeTokenAuthority.newMockServer();
    server.init(InetAddress.getLoopbackAddress(), 0);
    try (KubernetesClient client = server.createClient()) {
      client
          .resource(
              new NamespaceBuilder().withNewMetadata().withName("store").endMetadata().build())
          .create();
      measure(
          "kubernetes (Fabric8 mock API server)",
          new KubernetesSecretStore(client, "store"),
          names,
          sealed);
    } finally {
      server.destroy();
    }
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      measure(
          "database (embedded PostgreSQL 17)",
          DatabaseSecretStore.open(
              new DatabaseSecretStore.DatabaseConfig(
                  "jdbc:postgresql://localhost:" + pg.getPort() + "/postgres",
                  "postgres",
                  null,
                  10,
                  Duration.ofSeconds(5))),
          names,
          sealed);
    }
    try (FakeVault vault = new FakeVault("root")) {
      measure(
          "vault (in-process fake of the HTTP API)",
          VaultSecretStore.open(VaultSecretStore.VaultConfig.withToken(vault.address(), "root")),
          names,
          sealed);
    }

    for (int bits : new int[] {2048, 4096}) {
      KeyPair kp = bits == 2048 ? pair : RsaKeys.generate(bits);
      SessionPublicKey p = SessionPublicKey.of(kp.getPublic());
      SessionKeyRing ring = SessionKeyRing.ofRsa(List.of(kp.getPrivate()));
      List<String> records = new ArrayList<>();
      for (int i = 0; i < SECRETS; i++) {
        records.add(
            Envelope.seal(
                p, "alice", names.get(i), sealed.get(i).getBytes(StandardCharsets.US_ASCII)));
      }
      long[] t = new long[RUNS];
      for (int r = -WARMUP; r < RUNS; r++) {
        long start = System.nanoTime();
        for (int i = 0; i < SECRETS; i++) {
          Envelope.open(ring, "alice", names.get(i), records.get(i));
        }
        if (r >= 0) {
          t[r] = System.nanoTime() - start;
        }
      }
      report("remove the outer layer of 50 records, RSA-" + bits, t);
    }
  }

  private static void measure(
      String label, SecretStore store, List<String> names, List<String> sealed) {
    try (store) {
      for (int i = 0; i < names.size(); i++) {
        store.put("alice", names.get(i), sealed.get(i), 1000);
      }
      long[] t = new long[RUNS];
      for (int r = -WARMUP; r < RUNS; r++) {
        long start = System.nanoTime();
        Map<String, StoredSecret> got = store.get("alice", names);
        if (got.size() != names.size()) {
          throw new IllegalStateException(label + ": got " + got.size() + " records");
        }
        if (r >= 0) {
          t[r] = System.nanoTime() - start;
        }
      }
      report("fetch 50 records, " + label, t);
    }
  }

  private static void report(String label, long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    System.out.printf(
        "%-62s p50 %7.2f ms   p99 %7.2f ms   (%d runs)%n",
        label, s[s.length / 2] / 1e6, s[(int) Math.ceil(s.length * 0.99) - 1] / 1e6, s.length);
  }
}
