package io.nbsecrets.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** What a bad CA bundle gets: a message that names the problem, never the bundle's text. */
class CaTrustTest {
  @Test
  void anEmptyOrGarbledBundleIsRefusedWithoutQuotingIt() {
    assertThatThrownBy(() -> CaTrust.trustStore(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the CA bundle holds no certificate");
    assertThatThrownBy(() -> CaTrust.trustStore("-----BEGIN CERTIFICATE-----\nsecret-ish\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("secret-ish");
    assertThatThrownBy(() -> ServerNameTrust.context("", "api.example"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void noBundleMeansTheJdksCas() {
    assertThat(CaTrust.context(null).getProtocol()).isEqualTo("TLS");
    assertThat(CaTrust.context(" ").getProtocol()).isEqualTo("TLS");
  }
}
