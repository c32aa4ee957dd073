package io.nbsecrets.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlatformKeyTest {

  @Test
  void encodedRoundTripsAndIdIsStable() {
    PlatformKey key = PlatformKey.generate();

    PlatformKey again = PlatformKey.fromEncoded(key.encoded());

    assertThat(key.encoded()).matches("[A-Za-z0-9_-]{43}=");
    assertThat(again.encoded()).isEqualTo(key.encoded());
    assertThat(again.id()).isEqualTo(key.id()).matches("pk-[0-9a-f]{16}");
    assertThat(PlatformKey.fromEncoded(key.encoded().replace("=", "") + "\n").id())
        .isEqualTo(key.id());
    assertThat(PlatformKey.generate().id()).isNotEqualTo(key.id());
  }

  @Test
  void idIsTheDocumentedHash() throws Exception {
    byte[] raw = new byte[32];
    for (int i = 0; i < raw.length; i++) {
      raw[i] = (byte) i;
    }
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    sha.update("nbsecrets platform key id".getBytes(StandardCharsets.US_ASCII));
    byte[] hash = sha.digest(raw);

    PlatformKey key = PlatformKey.fromEncoded(Base64.getUrlEncoder().encodeToString(raw));

    assertThat(key.id()).isEqualTo("pk-" + HexFormat.of().formatHex(hash, 0, 8));
  }

  @Test
  void wrongLengthOrEncodingIsRefusedWithoutEchoingTheInput() {
    String short31 = Base64.getUrlEncoder().encodeToString(Codec.randomBytes(31));
    String long33 = Base64.getUrlEncoder().encodeToString(Codec.randomBytes(33));
    String standardAlphabet = "++++" + Base64.getUrlEncoder().encodeToString(new byte[29]);

    for (String bad : List.of(short31, long33, standardAlphabet)) {
      Throwable thrown = catchThrowable(() -> PlatformKey.fromEncoded(bad));
      assertThat(thrown).isExactlyInstanceOf(IllegalArgumentException.class);
      Leaks.assertNoLeak(thrown, bad, bad.substring(4, 24));
    }
  }

  @Test
  void toStringShowsTheIdOnly() {
    PlatformKey key = PlatformKey.generate();

    assertThat(key.toString())
        .contains(key.id())
        .doesNotContain(key.encoded())
        .doesNotContain(key.encoded().substring(0, 12));
  }
}
