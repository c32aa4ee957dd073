package io.nbsecrets.operator;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;

/** Operator metrics. Low cardinality: no session, user or secret tags; reasons are a fixed set. */
final class SessionMetrics {
  private final MeterRegistry registry;
  private final Timer reconciles;
  private final DistributionSummary mounted;
  private final Timer stalePasses;

  SessionMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.reconciles =
        Timer.builder("nbsecrets.operator.reconcile")
            .description("Time to reconcile one NotebookSession")
            .register(registry);
    this.mounted =
        DistributionSummary.builder("nbsecrets.operator.snapshot.secrets")
            .description("Secrets in each snapshot taken")
            .register(registry);
    this.stalePasses =
        Timer.builder("nbsecrets.operator.stale.pass")
            .description("Time of one pass of the stale check over every user with a session")
            .register(registry);
  }

  /**
   * The records snapshots took, by whether their outer layer was removed ({@code opened}) or found
   * removed lately ({@code reused}, {@link OpenedRecords}).
   */
  void records(OpenedRecords records) {
    recordsCounter(records, "opened", OpenedRecords::opened);
    recordsCounter(records, "reused", OpenedRecords::reused);
  }

  private void recordsCounter(
      OpenedRecords records, String result, ToDoubleFunction<OpenedRecords> count) {
    FunctionCounter.builder("nbsecrets.operator.snapshot.records", records, count)
        .description("Store records taken into snapshots, by whether their outer layer was removed")
        .tag("result", result)
        .register(registry);
  }

  <T> T time(Callable<T> work) throws SessionFailure {
    Timer.Sample sample = Timer.start(registry);
    try {
      return work.call();
    } catch (SessionFailure | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    } finally {
      sample.stop(reconciles);
    }
  }

  void snapshotTaken(int secrets) {
    mounted.record(secrets);
  }

  /**
   * One store call of the stale check, by result: {@code ok}, {@code StoreUnavailable} or {@code
   * StoreError}.
   */
  void staleCheck(String result) {
    Counter.builder("nbsecrets.operator.stale.checks")
        .description("Store calls made to find replaced or deleted secrets, by result")
        .tag("result", result == null ? "StoreError" : result)
        .register(registry)
        .increment();
  }

  /**
   * One write of secrets' usage to the store (once per snapshot), by result: {@code ok}, {@code
   * StoreUnavailable} or {@code StoreError}.
   */
  void usageWrite(String result) {
    Counter.builder("nbsecrets.operator.usage.writes")
        .description("Store writes noting when secrets were last delivered, by result")
        .tag("result", result)
        .register(registry)
        .increment();
  }

  void timeStalePass(Runnable pass) {
    stalePasses.record(pass);
  }

  void failure(String reason) {
    registry.counter("nbsecrets.operator.failures", "reason", reason).increment();
  }
}
