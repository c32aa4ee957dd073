package io.nbsecrets.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A probe anyone may send costs its check at most once per period, and never waits on a slow one.
 */
class ProbesTest {
  private final AtomicLong now = new AtomicLong();
  private final AtomicInteger checks = new AtomicInteger();
  private final AtomicReference<Optional<String>> answer = new AtomicReference<>(Optional.empty());

  private Probes.Check counted() {
    return () -> {
      checks.incrementAndGet();
      return answer.get();
    };
  }

  @Test
  void aBurstOfProbesCostsOneCheckPerPeriod() {
    Probes.Check probe = Probes.cached(counted(), Duration.ofSeconds(1), now::get);
    for (int i = 0; i < 1_000; i++) {
      assertThat(probe.get()).isEmpty();
    }
    assertThat(checks).hasValue(1);

    answer.set(Optional.of("the secret store is not reachable"));
    now.addAndGet(Duration.ofMillis(999).toNanos());
    assertThat(probe.get()).isEmpty();
    assertThat(checks).hasValue(1);
    now.addAndGet(Duration.ofMillis(1).toNanos());
    assertThat(probe.get()).hasValue("the secret store is not reachable");
    assertThat(probe.get()).hasValue("the secret store is not reachable");
    assertThat(checks).hasValue(2);
  }

  @Test
  void whileOneProbeChecksAgainTheOthersGetTheAnswerBeforeIt() throws Exception {
    CountDownLatch inCheck = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger slowChecks = new AtomicInteger();
    Probes.Check slow =
        () -> {
          if (slowChecks.incrementAndGet() == 2) {
            inCheck.countDown();
            try {
              release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return Optional.of("the secret store is not reachable");
          }
          return Optional.empty();
        };
    Probes.Check probe = Probes.cached(slow, Duration.ofSeconds(1), now::get);
    assertThat(probe.get()).isEmpty();
    now.addAndGet(Duration.ofSeconds(2).toNanos());
    CompletableFuture<Optional<String>> checking = CompletableFuture.supplyAsync(probe);
    assertThat(inCheck.await(10, TimeUnit.SECONDS)).isTrue();
    // A second probe does not wait behind the slow check: it gets the earlier answer at once.
    assertThat(probe.get()).isEmpty();
    assertThat(slowChecks).hasValue(2);
    release.countDown();
    assertThat(checking.get(10, TimeUnit.SECONDS)).hasValue("the secret store is not reachable");
    assertThat(probe.get()).hasValue("the secret store is not reachable");
    assertThat(slowChecks).hasValue(2);
  }
}
