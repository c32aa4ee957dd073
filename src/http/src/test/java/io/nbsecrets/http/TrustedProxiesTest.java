package io.nbsecrets.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrustedProxiesTest {
  private static final TrustedProxies PROXIES =
      TrustedProxies.of(List.of("10.0.0.0/8", " 192.168.1.7 ", "fd00::/8"));

  @Test
  void aPeerThatIsNotTrustedIsTheClientWhateverItForwards() {
    assertThat(PROXIES.client("203.0.113.1", List.of("198.51.100.1"))).isEqualTo("203.0.113.1");
    assertThat(TrustedProxies.none().client("10.1.1.1", List.of("198.51.100.1")))
        .isEqualTo("10.1.1.1");
  }

  @Test
  void behindTrustedProxiesTheClientIsTheRightmostAddressNoneOfThemHas() {
    assertThat(PROXIES.client("10.1.1.1", List.of("198.51.100.1"))).isEqualTo("198.51.100.1");
    // The client's own claims, left of what the proxies appended, are never read.
    assertThat(PROXIES.client("10.1.1.1", List.of("1.1.1.1, 198.51.100.1")))
        .isEqualTo("198.51.100.1");
    // Two proxies: the outer one appended the client, the inner one the outer one.
    assertThat(PROXIES.client("10.1.1.1", List.of("1.1.1.1, 198.51.100.1,192.168.1.7")))
        .isEqualTo("198.51.100.1");
    // Several header lines are one list, in order.
    assertThat(PROXIES.client("10.1.1.1", List.of("1.1.1.1", "198.51.100.1", "10.2.2.2")))
        .isEqualTo("198.51.100.1");
    // Nothing forwarded, or only proxies: the last of them.
    assertThat(PROXIES.client("10.1.1.1", List.of())).isEqualTo("10.1.1.1");
    assertThat(PROXIES.client("10.1.1.1", List.of("10.3.3.3"))).isEqualTo("10.3.3.3");
    // IPv6, with the brackets Jetty writes a peer in, and those and ports some proxies write.
    assertThat(PROXIES.client("[fd00:0:0:0:0:0:0:1]", List.of("198.51.100.1")))
        .isEqualTo("198.51.100.1");
    assertThat(PROXIES.client("fd00::1", List.of("[2001:db8::5]:443")))
        .isEqualTo("2001:db8:0:0:0:0:0:5");
    assertThat(PROXIES.client("10.1.1.1", List.of("198.51.100.1:5000"))).isEqualTo("198.51.100.1");
  }

  @Test
  void anEntryThatIsNoAddressEndsTheReadingAtTheLastAddressRead() {
    assertThat(PROXIES.client("10.1.1.1", List.of("unknown"))).isEqualTo("10.1.1.1");
    assertThat(PROXIES.client("10.1.1.1", List.of("198.51.100.1, 10.2.2.2, ")))
        .isEqualTo("10.1.1.1");
    assertThat(PROXIES.client("10.1.1.1", List.of("garbage, 10.2.2.2"))).isEqualTo("10.2.2.2");
  }

  @Test
  void blocksMatchByTheirPrefixBits() throws Exception {
    TrustedProxies p = TrustedProxies.of(List.of("172.16.0.0/12", "0.0.0.0/0"));
    assertThat(p.trusts(InetAddress.getByName("8.8.8.8"))).isTrue();
    TrustedProxies narrow = TrustedProxies.of(List.of("172.16.0.0/12"));
    assertThat(narrow.trusts(InetAddress.getByName("172.31.255.255"))).isTrue();
    assertThat(narrow.trusts(InetAddress.getByName("172.32.0.0"))).isFalse();
    assertThat(narrow.trusts(InetAddress.getByName("fd00::1"))).isFalse();
    assertThat(PROXIES.trusts(InetAddress.getByName("192.168.1.8"))).isFalse();
    assertThat(PROXIES.trusts(null)).isFalse();
  }

  @Test
  void anEntryThatIsNoAddressOrBlockIsRefusedByName() {
    for (String bad :
        List.of(
            "ingress.example.org", "10.0.0.0/33", "fd00::/129", "256.1.1.1", "10.0.0.0/x", "")) {
      assertThatThrownBy(() -> TrustedProxies.of(List.of(bad)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + bad + "'");
    }
    // Never a name looked up: a literal or nothing.
    assertThat(TrustedProxies.literal("localhost")).isNull();
    assertThat(TrustedProxies.literal("999.1.1.1")).isNull();
    // The JDK would look these up as names: they do not start as an IPv6 literal does.
    assertThat(TrustedProxies.literal(".::")).isNull();
    assertThat(TrustedProxies.literal("...")).isNull();
    assertThat(PROXIES.client("10.1.1.1", List.of("[.::]"))).isEqualTo("10.1.1.1");
  }
}
