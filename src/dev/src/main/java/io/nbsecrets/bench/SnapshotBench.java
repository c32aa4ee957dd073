package io.nbsecrets.bench;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.Fernet;
import io.nbsecrets.crypto.SessionKeyAlgorithm;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.crypto.SessionPrivateKey;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionSpec;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.model.SecretsSpec;
import io.nbsecrets.operator.BuiltSnapshot;
import io.nbsecrets.operator.SecretResolver;
import io.nbsecrets.operator.SessionFailure;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nbsecrets bench snapshot}: the CPU of the operator's work to take one session's snapshot
 * ({@link BuiltSnapshot#build}: outer layers removed, the per-session Secret and the record built
 * and checked), with the store read left out: the records are already in memory. Values are Fernet
 * tokens under a user key, as the API stores them. Thread CPU time, median of {@code --runs} after
 * {@code --warmup} runs.
 */
@Command(
    name = "snapshot",
    mixinStandardHelpOptions = true,
    description =
        "CPU of the operator's work to take a snapshot of N secrets (store read excluded, outer"
            + " layer removed, per-session Secret built). Last line: snapshot: secrets=N"
            + " algorithm=ALG cpu_s=S.")
final class SnapshotBench implements Callable<Integer> {
  private static final String USER = "alice";

  @Spec CommandSpec spec;

  @Option(names = "--secrets", defaultValue = "50", description = "Secrets selected (1-200).")
  int secrets;

  @Option(
      names = "--algorithm",
      defaultValue = "mlkem768-x25519",
      description = "Session key algorithm: mlkem768-x25519, x25519, rsa-4096, rsa-3072, rsa-2048.")
  String algorithm;

  @Option(
      names = "--value-chars",
      defaultValue = "5000",
      description = "Characters of each value (1-5000).")
  int valueChars;

  @Option(names = "--runs", defaultValue = "30", description = "Measured runs (3-10000).")
  int runs;

  @Option(names = "--warmup", defaultValue = "15", description = "Warm-up runs, not measured.")
  int warmup;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    SessionKeyAlgorithm alg;
    try {
      alg = SessionKeyAlgorithm.of(algorithm);
      Bench.requireRange("--secrets", secrets, 1, 200);
      Bench.requireRange("--value-chars", valueChars, 1, 5000);
      Bench.requireRange("--runs", runs, 3, 10_000);
      Bench.requireRange("--warmup", warmup, 0, 10_000);
    } catch (IllegalArgumentException e) {
      err.println("bench snapshot: " + e.getMessage());
      return 2;
    }
    SessionPrivateKey key = alg.generate();
    SecretResolver resolver =
        new SecretResolver(
            new InMemoryRecords(USER, records(key, secrets, valueChars)),
            SessionKeyRing.of(List.of(key)));
    NotebookSession session = session(secrets);
    ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
    long[] nanos = new long[runs];
    try {
      for (int i = 0; i < warmup; i++) {
        BuiltSnapshot.build(resolver, session, false);
      }
      for (int i = 0; i < runs; i++) {
        long start = cpu.getCurrentThreadCpuTime();
        BuiltSnapshot.build(resolver, session, false);
        nanos[i] = cpu.getCurrentThreadCpuTime() - start;
      }
    } catch (SessionFailure e) {
      err.println("bench snapshot: " + e.getMessage());
      return 1;
    }
    Bench.Stats stats = Bench.Stats.of(nanos);
    out.printf(
        Locale.ROOT,
        "runs=%d warmup=%d value_chars=%d cpu_ms min=%.2f median=%.2f max=%.2f%n",
        runs,
        warmup,
        valueChars,
        stats.minMillis(),
        stats.medianMillis(),
        stats.maxMillis());
    out.printf(
        Locale.ROOT,
        "snapshot: secrets=%d algorithm=%s cpu_s=%.4f%n",
        secrets,
        alg.id(),
        stats.medianMillis() / 1000);
    out.flush();
    return 0;
  }

  /** {@code n} records as the secrets API stores them: Fernet tokens, sealed to {@code key}. */
  private static Map<String, io.nbsecrets.store.StoredSecret> records(
      SessionPrivateKey key, int n, int chars) {
    Fernet userKey = Fernet.fromKey(Fernet.generateKey());
    SecureRandom random = new SecureRandom();
    Instant now = Instant.now();
    Map<String, io.nbsecrets.store.StoredSecret> records = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      String name = String.format(Locale.ROOT, "SECRET_%03d", i);
      byte[] value = Bench.randomText(random, chars).getBytes(StandardCharsets.UTF_8);
      byte[] inner = userKey.encrypt(value).getBytes(StandardCharsets.US_ASCII);
      String sealed = Envelope.seal(key.publicKey(), USER, name, inner);
      records.put(name, new io.nbsecrets.store.StoredSecret(name, 1, now, now, sealed));
    }
    return records;
  }

  private static NotebookSession session(int n) {
    List<SecretItem> items = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      items.add(new SecretItem(String.format(Locale.ROOT, "SECRET_%03d", i), null));
    }
    NotebookSessionSpec spec = new NotebookSessionSpec();
    spec.setUser(USER);
    spec.setImage("jupyter/base-notebook");
    spec.setSecrets(new SecretsSpec(null, null, items));
    NotebookSession session = new NotebookSession();
    session.setMetadata(
        new ObjectMetaBuilder()
            .withName("bench")
            .withNamespace(USER)
            .withUid(UUID.randomUUID().toString())
            .withGeneration(1L)
            .build());
    session.setSpec(spec);
    return session;
  }
}
