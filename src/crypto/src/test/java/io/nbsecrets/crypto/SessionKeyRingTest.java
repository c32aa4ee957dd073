package io.nbsecrets.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.interfaces.RSAPrivateCrtKey;
import java.util.List;
import org.junit.jupiter.api.Test;

class SessionKeyRingTest {
  private static final String ID_A = RsaKeys.keyId(TestKeys.A.getPublic());
  private static final String ID_B = RsaKeys.keyId(TestKeys.B.getPublic());

  @Test
  void findsKeysByTheIdOfTheirPublicHalf() {
    SessionKeyRing ring =
        SessionKeyRing.ofRsa(List.of(TestKeys.A.getPrivate(), TestKeys.B.getPrivate()));

    assertThat(ring.keyIds()).containsExactly(ID_A, ID_B);
    assertThat(ring.find(ID_A)).contains(TestKeys.A.getPrivate());
    assertThat(ring.find(ID_B)).contains(TestKeys.B.getPrivate());
    assertThat(ring.find("rsa-0000000000000000")).isEmpty();
    assertThat(ring.publicKeys())
        .containsExactly(
            SessionPublicKey.of(TestKeys.A.getPublic()),
            SessionPublicKey.of(TestKeys.B.getPublic()));
  }

  @Test
  void duplicatesCountOnceAndEmptyRingsAreRefused() {
    SessionKeyRing ring =
        SessionKeyRing.ofRsa(List.of(TestKeys.A.getPrivate(), TestKeys.A.getPrivate()));

    assertThat(ring.keyIds()).containsExactly(ID_A);
    assertThatThrownBy(() -> SessionKeyRing.ofRsa(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void toStringShowsIdsOnly() {
    SessionKeyRing ring = SessionKeyRing.ofRsa(List.of(TestKeys.A.getPrivate()));
    RSAPrivateCrtKey key = (RSAPrivateCrtKey) TestKeys.A.getPrivate();

    assertThat(ring.toString())
        .contains(ID_A)
        .doesNotContain(key.getPrivateExponent().toString(16).substring(0, 16))
        .doesNotContain(key.getPrivateExponent().toString().substring(0, 16))
        .doesNotContain(key.getModulus().toString().substring(0, 16))
        .doesNotContain("PRIVATE");
  }
}
