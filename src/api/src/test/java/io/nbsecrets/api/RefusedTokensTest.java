package io.nbsecrets.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RefusedTokensTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final RefusedTokens limiter =
      new RefusedTokens(new RefusedTokens.Limits(3, 2.0, 2), now::get);

  private void advanceMillis(long millis) {
    now.addAndGet(millis * 1_000_000L);
  }

  @Test
  void anAddressHasItsBurstThenGets429WithTheSecondsUntilAPermitIsBack() {
    for (int i = 0; i < 3; i++) {
      limiter.take("10.0.0.1");
    }
    assertThatThrownBy(() -> limiter.take("10.0.0.1"))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.status()).isEqualTo(429);
              assertThat(e.getMessage()).contains("too many refused tokens").contains("wait 1 s");
              assertThat(e.headers()).containsEntry("Retry-After", "1");
            });
    // Another address is untouched.
    limiter.take("10.0.0.2");
    // Two a second: after 500 ms one permit is back, and only one.
    advanceMillis(500);
    limiter.take("10.0.0.1");
    assertThatThrownBy(() -> limiter.take("10.0.0.1")).isInstanceOf(ApiException.class);
  }

  @Test
  void aPermitGivenBackIsThereAgainAndNoAddressHoldsMoreThanItsBurst() {
    for (int i = 0; i < 3; i++) {
      limiter.take("10.0.0.1");
      limiter.giveBack("10.0.0.1");
    }
    assertThat(limiter.permits("10.0.0.1")).isEqualTo(3.0);
    advanceMillis(60_000);
    assertThat(limiter.permits("10.0.0.1")).isEqualTo(3.0);
  }

  @Test
  void aForgottenAddressStartsAgainWithItsBurst() {
    for (int i = 0; i < 3; i++) {
      limiter.take("10.0.0.1");
    }
    // Two addresses are remembered: a third pushes out the least recently seen.
    limiter.take("10.0.0.2");
    limiter.take("10.0.0.3");
    assertThat(limiter.permits("10.0.0.1")).isEqualTo(3.0);
  }

  @Test
  void limitsThatAdmitNothingAreRefusedWithWhatIsWrong() {
    assertThatThrownBy(() -> new RefusedTokens.Limits(0, 1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("burst of at least 1");
    assertThatThrownBy(() -> new RefusedTokens.Limits(1, 0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("positive rate");
  }
}
