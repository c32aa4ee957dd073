package io.nbsecrets.bench;

import io.nbsecrets.crypto.SessionKeyAlgorithm;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.operator.BuiltSnapshot;
import io.nbsecrets.operator.SecretResolver;
import io.nbsecrets.operator.SessionFailure;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
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
  private static final long WARMUP_CPU_LIMIT_NANOS = 10_000_000_000L;

  @Spec CommandSpec spec;

  @picocli.CommandLine.Mixin SessionSize size = new SessionSize();

  @Option(
      names = "--algorithm",
      defaultValue = "mlkem768-x25519",
      description = "Session key algorithm: mlkem768-x25519, x25519, rsa-4096, rsa-3072, rsa-2048.")
  String algorithm;

  @Option(names = "--runs", defaultValue = "40", description = "Measured runs (3-10000).")
  int runs;

  @Option(
      names = "--warmup",
      defaultValue = "1000",
      description =
          "Warm-up runs, not measured, for the JIT to compile the hot code as in a running"
              + " operator; they stop after 10 s of CPU.")
  int warmup;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    SessionKeyAlgorithm alg;
    try {
      alg = SessionKeyAlgorithm.of(algorithm);
      size.check();
      Bench.requireRange("--runs", runs, 3, 10_000);
      Bench.requireRange("--warmup", warmup, 0, 10_000);
    } catch (IllegalArgumentException e) {
      err.println("bench snapshot: " + e.getMessage());
      return 2;
    }
    BenchSession bench = BenchSession.create(alg, size.secrets, size.valueChars);
    SecretResolver resolver = bench.resolver();
    NotebookSession session = bench.session();
    ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
    long[] nanos = new long[runs];
    int warmed = 0;
    try {
      long warmupEnd = cpu.getCurrentThreadCpuTime() + WARMUP_CPU_LIMIT_NANOS;
      while (warmed < warmup && cpu.getCurrentThreadCpuTime() < warmupEnd) {
        BuiltSnapshot.build(resolver, session, false);
        warmed++;
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
        warmed,
        size.valueChars,
        stats.minMillis(),
        stats.medianMillis(),
        stats.maxMillis());
    out.printf(
        Locale.ROOT,
        "snapshot: secrets=%d algorithm=%s cpu_s=%.4f%n",
        size.secrets,
        alg.id(),
        stats.medianMillis() / 1000);
    out.flush();
    return 0;
  }
}
