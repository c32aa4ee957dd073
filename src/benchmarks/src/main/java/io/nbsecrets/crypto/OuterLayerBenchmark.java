package io.nbsecrets.crypto;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Benchmark command (not a test): CPU to remove the outer layer of one session's 50 secrets of
 * 5,000 characters, per algorithm: {@code nbs1} with RSA-4096 (today's default, the reference in
 * the same run) and RSA-2048, and {@code nbs2} (HPKE) with X-Wing (ML-KEM-768 + X25519) and X25519.
 * Median of {@value #RUNS} runs after {@value #WARMUP} warm-up runs, thread CPU time.
 *
 * <p>Run: {@code ./mvnw -q -pl src/benchmarks -am -DskipTests package exec:java
 * -Dexec.mainClass=io.nbsecrets.crypto.OuterLayerBenchmark}. Results: docs/benchmarks.md.
 */
public final class OuterLayerBenchmark {
  private static final int SECRETS = 50;
  private static final int WARMUP = 20;
  private static final int RUNS = 60;
  private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

  private OuterLayerBenchmark() {}

  /** One algorithm: the records of a session and how to open one of them. */
  private record Case(String name, List<String> records, Function<Integer, byte[]> open) {}

  public static void main(String[] args) {
    String inner =
        Fernet.fromKey(Fernet.generateKey())
            .encrypt("x".repeat(5000).getBytes(StandardCharsets.UTF_8));
    byte[] innerBytes = inner.getBytes(StandardCharsets.US_ASCII);
    List<Case> cases = new ArrayList<>();
    for (int bits : new int[] {4096, 2048}) {
      KeyPair pair = RsaKeys.generate(bits);
      SessionPublicKey pub = SessionPublicKey.of(pair.getPublic());
      SessionKeyRing ring = SessionKeyRing.ofRsa(List.of(pair.getPrivate()));
      List<String> records = new ArrayList<>();
      for (int i = 0; i < SECRETS; i++) {
        records.add(Envelope.seal(pub, "alice", "S" + i, innerBytes));
      }
      cases.add(
          new Case(
              "nbs1 rsa-" + bits,
              records,
              i -> Envelope.open(ring, "alice", "S" + i, records.get(i))));
    }
    for (HpkeSuite suite : HpkeSuite.values()) {
      HpkeKeyPair key = HpkeKeyPair.generate(suite);
      List<String> records = new ArrayList<>();
      for (int i = 0; i < SECRETS; i++) {
        records.add(HpkeEnvelope.seal(suite, key.publicKey(), "alice", "S" + i, innerBytes));
      }
      cases.add(
          new Case(
              "nbs2 " + suite.id(),
              records,
              i -> HpkeEnvelope.open(id -> key, "alice", "S" + i, records.get(i))));
    }
    // The same KEM and key schedule with a 1-byte value: what the AEAD over 5,000 characters adds.
    HpkeKeyPair small = HpkeKeyPair.generate(HpkeSuite.X25519);
    List<String> tiny = new ArrayList<>();
    for (int i = 0; i < SECRETS; i++) {
      tiny.add(
          HpkeEnvelope.seal(HpkeSuite.X25519, small.publicKey(), "alice", "S" + i, new byte[1]));
    }
    cases.add(
        new Case(
            "nbs2 x25519, 1 byte",
            tiny,
            i -> HpkeEnvelope.open(id -> small, "alice", "S" + i, tiny.get(i))));
    double reference = 0;
    System.out.printf("%-22s %12s %14s %8s%n", "algorithm", "cpu_ms/50", "record chars", "ratio");
    for (Case c : cases) {
      double ms = medianCpuMillis(c);
      if (reference == 0) {
        reference = ms;
      }
      System.out.printf(
          "%-22s %12.2f %14d %8.3f%n", c.name(), ms, c.records().get(0).length(), ms / reference);
    }
  }

  private static double medianCpuMillis(Case c) {
    double[] runs = new double[RUNS];
    for (int r = -WARMUP; r < RUNS; r++) {
      long start = CPU.getCurrentThreadCpuTime();
      for (int i = 0; i < SECRETS; i++) {
        if (c.open().apply(i).length == 0) {
          throw new IllegalStateException("empty inner value");
        }
      }
      long took = CPU.getCurrentThreadCpuTime() - start;
      if (r >= 0) {
        runs[r] = took / 1e6;
      }
    }
    Arrays.sort(runs);
    return runs[RUNS / 2];
  }
}
