package io.nbsecrets.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * {@code /healthz}, {@code /readyz} and {@code /metrics}, the same on every endpoint.
 *
 * <p>Each check runs once per probe, so the status and the body always agree. A failing check
 * answers 503 with {@code {"error": "not_live"|"not_ready", "message": why}}.
 */
public final class Probes {
  public static final String HEALTHZ = "/healthz";
  public static final String READYZ = "/readyz";
  public static final String METRICS = "/metrics";
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  /** A check: empty when fine, otherwise why not (for people; never a value). */
  @FunctionalInterface
  public interface Check extends Supplier<Optional<String>> {}

  private Probes() {}

  /**
   * {@code check}, its answer reused for {@code ttl}: probes that anyone may send (they need no
   * token) then cost what they check (a store, say) at most once per {@code ttl}, however many
   * arrive. While one caller checks again, the others get the answer before it rather than wait
   * (and hold a thread) behind a slow check; only the very first check is waited for.
   */
  public static Check cached(Check check, Duration ttl, LongSupplier nanoTime) {
    long ttlNanos = ttl.toNanos();
    ReentrantLock lock = new ReentrantLock();
    AtomicReference<Answer> last = new AtomicReference<>();
    return () -> {
      Answer seen = last.get();
      if (seen != null && nanoTime.getAsLong() - seen.atNanos() < ttlNanos) {
        return seen.problem();
      }
      if (seen != null && !lock.tryLock()) {
        return seen.problem();
      }
      if (seen == null) {
        lock.lock();
      }
      try {
        Answer now = last.get();
        if (now != null && now != seen && nanoTime.getAsLong() - now.atNanos() < ttlNanos) {
          return now.problem();
        }
        Optional<String> problem = check.get();
        last.set(new Answer(problem, nanoTime.getAsLong()));
        return problem;
      } finally {
        lock.unlock();
      }
    };
  }

  private record Answer(Optional<String> problem, long atNanos) {}

  /**
   * The three routes.
   *
   * @param live the liveness check (cheap, never blocks)
   * @param ready the readiness check (may call a store: a blocking route)
   * @param registry where {@code /metrics} comes from; null answers 404 there
   */
  public static List<Route> routes(Check live, Check ready, PrometheusMeterRegistry registry) {
    return List.of(
        Route.get(HEALTHZ, false, (exchange, p) -> answer(exchange, live, "ok", "not_live")),
        Route.get(READYZ, true, (exchange, p) -> answer(exchange, ready, "ready", "not_ready")),
        Route.get(
            METRICS,
            false,
            (exchange, p) -> {
              if (registry == null) {
                throw new HttpError(404, "not_found", "metrics are not enabled");
              }
              exchange.send(
                  200,
                  registry.scrape().getBytes(StandardCharsets.UTF_8),
                  PROMETHEUS_TEXT,
                  Map.of());
            }));
  }

  private static void answer(Exchange exchange, Check check, String okStatus, String failCode) {
    Optional<String> problem = check.get();
    if (problem.isPresent()) {
      throw new HttpError(503, failCode, problem.get());
    }
    exchange.json(200, Map.of("status", okStatus));
  }

  /** Whether a path is a probe's (their successes are logged at debug only). */
  public static boolean isProbe(String route) {
    return route.equals(HEALTHZ) || route.equals(READYZ) || route.equals(METRICS);
  }
}
