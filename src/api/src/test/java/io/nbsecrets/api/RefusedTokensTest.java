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

  private void refuse(String address, int times) {
    for (int i = 0; i < times; i++) {
      limiter.check(address);
      limiter.refused(address);
    }
  }

  @Test
  void anAddressHasItsBurstOfRefusalsThenGets429WithTheSecondsUntilAPermitIsBack() {
    refuse("10.0.0.1", 3);
    assertThatThrownBy(() -> limiter.check("10.0.0.1"))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.status()).isEqualTo(429);
              assertThat(e.getMessage()).contains("too many refused tokens").contains("wait 1 s");
              assertThat(e.headers()).containsEntry("Retry-After", "1");
            });
    // Another address is untouched.
    limiter.check("10.0.0.2");
    // Two a second: after 500 ms one permit is back, and only one.
    advanceMillis(500);
    refuse("10.0.0.1", 1);
    assertThatThrownBy(() -> limiter.check("10.0.0.1")).isInstanceOf(ApiException.class);
  }

  @Test
  void acceptedTokensCostNothingHoweverManyAreAskedAboutAtOnce() {
    for (int i = 0; i < 100; i++) {
      limiter.check("10.0.0.1");
    }
    assertThat(limiter.permits("10.0.0.1")).isEqualTo(3.0);
  }

  @Test
  void refusalsInFlightAtOnceAreOwedAndPaidBackAtTheRate() {
    // Ten asked about at once, all passing the check, all refused: the address owes them, down to
    // minus its burst.
    for (int i = 0; i < 10; i++) {
      limiter.check("10.0.0.1");
    }
    for (int i = 0; i < 10; i++) {
      limiter.refused("10.0.0.1");
    }
    assertThat(limiter.permits("10.0.0.1")).isEqualTo(-3.0);
    assertThatThrownBy(() -> limiter.check("10.0.0.1"))
        .isInstanceOfSatisfying(
            ApiException.class, e -> assertThat(e.headers()).containsEntry("Retry-After", "2"));
    advanceMillis(2_000);
    limiter.check("10.0.0.1");
    // Never more than its burst, however long it waits.
    advanceMillis(60_000);
    assertThat(limiter.permits("10.0.0.1")).isEqualTo(3.0);
  }

  @Test
  void aForgottenAddressStartsAgainWithItsBurst() {
    refuse("10.0.0.1", 3);
    // Two addresses are remembered: a third pushes out the least recently seen.
    limiter.check("10.0.0.2");
    limiter.check("10.0.0.3");
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

  @Test
  void anIpv6HostIsOneClientForItsWholeSlash64() {
    // One host's /64: a token sent from each of its addresses still draws on one budget.
    refuse("2001:db8:1:2::1", 1);
    refuse("2001:db8:1:2:ffff:ffff:ffff:fffe", 1);
    refuse("[2001:db8:1:2::abcd]", 1);
    assertThatThrownBy(() -> limiter.check("2001:db8:1:2:1234::9"))
        .isInstanceOf(ApiException.class);
    // Another /64 is another client.
    limiter.check("2001:db8:1:3::1");
    assertThat(RefusedTokens.bucketOf("2001:db8:1:2:aaaa::1")).isEqualTo("2001:db8:1:2:0:0:0:0/64");
    // IPv4, also when the peer is IPv4-mapped, is its own address; other keys are left alone.
    assertThat(RefusedTokens.bucketOf("10.0.0.1")).isEqualTo("10.0.0.1");
    assertThat(RefusedTokens.bucketOf("::ffff:10.0.0.1")).isEqualTo("10.0.0.1");
    assertThat(RefusedTokens.bucketOf("proxy [2001:db8::1]")).isEqualTo("proxy [2001:db8::1]");
    assertThat(RefusedTokens.bucketOf("not:an.address")).isEqualTo("not:an.address");
  }
}
