package io.nbsecrets.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ApiServerUnitTest {

  @Test
  void percentDecodingIsStrict() {
    assertThat(SecretValues.percentDecode("plain-name")).isEqualTo("plain-name");
    assertThat(SecretValues.percentDecode("%41%62c")).isEqualTo("Abc");
    assertThat(SecretValues.percentDecode("%2e%2E")).isEqualTo("..");
    for (String broken : new String[] {"abc%2", "%", "%zz", "a%g1"}) {
      assertThatThrownBy(() -> SecretValues.percentDecode(broken))
          .isInstanceOfSatisfying(
              ApiException.class,
              e -> {
                assertThat(e.status()).isEqualTo(400);
                assertThat(e.getMessage()).contains("percent-encoded");
              });
    }
  }

  @Test
  void describeNamesTypesAndFramesButNoMessages() {
    Exception e = new IllegalStateException("value=topsecret", new RuntimeException("key=abc"));
    String text = ApiServer.describe(e);
    assertThat(text)
        .contains("java.lang.IllegalStateException")
        .contains("caused by java.lang.RuntimeException")
        .contains("ApiServerUnitTest")
        .doesNotContain("topsecret")
        .doesNotContain("key=abc");
  }

  @Test
  void configDefaultsAndLimits() {
    ApiConfig d = ApiConfig.defaults();
    assertThat(d.maxValueBytes()).isEqualTo(128 * 1024);
    assertThat(d.maxSecretsPerUser()).isEqualTo(1000);
    assertThat(d.podTokenAudience()).isEqualTo("nbsecrets");
    assertThat(d.usernamePrefixToStrip()).isEmpty();
    assertThat(d.allowServiceAccountUsers()).isFalse();
    assertThat(d.maxBodyBytes()).isEqualTo(3 * 128 * 1024 + 4096);
    assertThatThrownBy(() -> d.withMaxValueBytes(4999))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("5000");
    assertThatThrownBy(() -> d.withMaxSecretsPerUser(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> d.withPodTokenAudience(" "))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(d.withUsernamePrefixToStrip(null).usernamePrefixToStrip()).isEmpty();
  }
}
