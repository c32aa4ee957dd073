package io.nbsecrets.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class GcmBoxTest {
  private static final byte[] KEY = new byte[Codec.AES256_KEY_BYTES];
  private static final byte[] AAD = "aad".getBytes(StandardCharsets.UTF_8);

  @Test
  void decodesAndDecryptsWhatGcmEncrypted() {
    byte[] nonce = Codec.randomBytes(Codec.GCM_NONCE_BYTES);
    byte[] sealed = Codec.gcmEncrypt(KEY, nonce, AAD, "value".getBytes(StandardCharsets.UTF_8));
    Codec.GcmBox box = Codec.GcmBox.decode(Codec.b64url(nonce), Codec.b64url(sealed));
    assertThat(new String(box.decrypt(KEY, AAD), StandardCharsets.UTF_8)).isEqualTo("value");
  }

  @Test
  void refusesANonceOfTheWrongLength() {
    String tag = Codec.b64url(new byte[Codec.GCM_TAG_BYTES]);
    assertThatThrownBy(() -> Codec.GcmBox.decode(Codec.b64url(new byte[11]), tag))
        .isInstanceOf(MalformedCiphertextException.class)
        .hasMessage("nonce has the wrong length");
  }

  @Test
  void refusesACiphertextShorterThanItsTag() {
    String nonce = Codec.b64url(new byte[Codec.GCM_NONCE_BYTES]);
    assertThatThrownBy(() -> Codec.GcmBox.decode(nonce, Codec.b64url(new byte[15])))
        .isInstanceOf(MalformedCiphertextException.class)
        .hasMessage("ciphertext is shorter than its tag");
  }

  @Test
  void refusesFieldsThatAreNotBase64url() {
    assertThatThrownBy(() -> Codec.GcmBox.decode("no+pe", "x"))
        .isInstanceOf(MalformedCiphertextException.class)
        .hasMessage("nonce is not unpadded base64url");
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(
      strings = {
        "no+pe", "no/pe", "AAAA=", "AAA=", "AA==", "AA AA", "AA\nAA", "AAAAA", "AAé", "AB", "AAB"
      })
  void base64urlIsStrict(String text) {
    // Outside the URL-safe alphabet, padded, split, of an impossible length, or with stray
    // trailing bits ("AB" and "AAB" decode, but are not how their bytes encode).
    assertThatThrownBy(() -> Codec.unb64url(text, "field"))
        .isInstanceOf(MalformedCiphertextException.class)
        .hasMessageStartingWith("field is not");
  }

  @Test
  void base64urlRoundTrips() {
    for (int n = 0; n < 40; n++) {
      byte[] bytes = Codec.randomBytes(n);
      org.assertj.core.api.Assertions.assertThat(Codec.unb64url(Codec.b64url(bytes), "f"))
          .isEqualTo(bytes);
    }
  }
}
