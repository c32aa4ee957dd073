package io.nbsecrets.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class UserKeysTest {
  private static final String USER = "alice-owner-7f3a";
  private static final PlatformKey PK = PlatformKey.generate();
  private static final PlatformKey OTHER_PK = PlatformKey.generate();
  private static final String USER_KEY = Fernet.generateKey();

  private static Throwable unwrapFailure(List<PlatformKey> keys, String user, String wrapped) {
    Throwable thrown = catchThrowable(() -> UserKeys.unwrap(keys, user, wrapped));
    assertThat(thrown).isInstanceOf(CryptoException.class);
    Leaks.assertNoLeak(
        thrown, USER, USER_KEY, USER_KEY.substring(0, 20), PK.encoded(), OTHER_PK.encoded());
    if (wrapped.length() > 20) {
      Leaks.assertNoLeak(thrown, wrapped);
    }
    return thrown;
  }

  private static String replacePart(String wrapped, int index, String value) {
    String[] parts = wrapped.split("\\.", -1);
    parts[index] = value;
    return String.join(".", parts);
  }

  @Test
  void roundTripWithTheDocumentedFormat() {
    String wrapped = UserKeys.wrap(PK, USER, USER_KEY);
    String[] parts = wrapped.split("\\.", -1);

    assertThat(parts).hasSize(4);
    assertThat(parts[0]).isEqualTo("nbuk1");
    assertThat(parts[1]).isEqualTo(PK.id()).isEqualTo(UserKeys.platformKeyId(wrapped));
    assertThat(Base64.getUrlDecoder().decode(parts[2])).hasSize(12);
    assertThat(Base64.getUrlDecoder().decode(parts[3])).hasSize(44 + 16);
    assertThat(wrapped).doesNotContain(USER_KEY).doesNotContain(USER);
    assertThat(UserKeys.unwrap(List.of(PK), USER, wrapped)).isEqualTo(USER_KEY);
    assertThat(UserKeys.wrap(PK, USER, USER_KEY)).isNotEqualTo(wrapped); // random nonce
  }

  @Test
  void rotationUnwrapsWithWhicheverKeyMatches() {
    String underOld = UserKeys.wrap(OTHER_PK, USER, USER_KEY);

    assertThat(UserKeys.unwrap(List.of(PK, OTHER_PK), USER, underOld)).isEqualTo(USER_KEY);
  }

  @Test
  void refusesToWrapSomethingThatIsNotAFernetKey() {
    assertThatThrownBy(() -> UserKeys.wrap(PK, USER, "not-a-key"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("not-a-key");
  }

  @Test
  void wrappedKeyCopiedToAnotherUserFailsIntegrity() {
    String wrapped = UserKeys.wrap(PK, USER, USER_KEY);

    assertThat(unwrapFailure(List.of(PK), "mallory", wrapped))
        .isExactlyInstanceOf(IntegrityException.class);
  }

  @Test
  void wrongPlatformKeyIsUnknownOrFailsIntegrity() {
    String wrapped = UserKeys.wrap(PK, USER, USER_KEY);
    String forged = replacePart(UserKeys.wrap(OTHER_PK, USER, USER_KEY), 1, PK.id());

    Throwable unknown = unwrapFailure(List.of(OTHER_PK), USER, wrapped);
    assertThat(unknown).isExactlyInstanceOf(UnknownKeyException.class);
    assertThat(((UnknownKeyException) unknown).keyId()).isEqualTo(PK.id());
    assertThat(unwrapFailure(List.of(PK), USER, forged))
        .isExactlyInstanceOf(IntegrityException.class);
    assertThat(unwrapFailure(List.of(), USER, wrapped))
        .isExactlyInstanceOf(UnknownKeyException.class);
  }

  @Test
  void everyFlippedByteOfNonceAndCiphertextFailsIntegrity() {
    String wrapped = UserKeys.wrap(PK, USER, USER_KEY);
    for (int part = 2; part <= 3; part++) {
      byte[] bytes = Base64.getUrlDecoder().decode(wrapped.split("\\.")[part]);
      for (int i = 0; i < bytes.length; i++) {
        byte[] copy = bytes.clone();
        copy[i] ^= 0x01;
        String tampered =
            replacePart(
                wrapped, part, Base64.getUrlEncoder().withoutPadding().encodeToString(copy));
        assertThat(unwrapFailure(List.of(PK), USER, tampered))
            .as("part %d byte %d", part, i)
            .isExactlyInstanceOf(IntegrityException.class);
      }
    }
  }

  @Test
  void tamperedHeaderIsRefused() {
    String wrapped = UserKeys.wrap(PK, USER, USER_KEY);
    String otherId =
        PK.id().substring(0, 10) + (PK.id().charAt(10) == '0' ? '1' : '0') + PK.id().substring(11);

    assertThat(unwrapFailure(List.of(PK), USER, replacePart(wrapped, 0, "nbuk2")))
        .isExactlyInstanceOf(MalformedCiphertextException.class);
    assertThat(unwrapFailure(List.of(PK), USER, replacePart(wrapped, 1, otherId)))
        .isExactlyInstanceOf(UnknownKeyException.class);
    assertThat(unwrapFailure(List.of(PK), USER, replacePart(wrapped, 1, "pk-%%")))
        .isExactlyInstanceOf(MalformedCiphertextException.class);
  }

  @Test
  void truncatedWrappedKeysAreRejected() {
    String wrapped = UserKeys.wrap(PK, USER, USER_KEY);
    int lastPart = wrapped.lastIndexOf('.') + 1;

    for (int length = 0; length < wrapped.length(); length++) {
      Throwable thrown = unwrapFailure(List.of(PK), USER, wrapped.substring(0, length));
      if (length < lastPart) {
        assertThat(thrown)
            .as("length %d", length)
            .isExactlyInstanceOf(MalformedCiphertextException.class);
      } else {
        assertThat(thrown)
            .as("length %d", length)
            .isInstanceOfAny(MalformedCiphertextException.class, IntegrityException.class);
      }
    }
    assertThat(unwrapFailure(List.of(PK), USER, wrapped + ".x"))
        .isExactlyInstanceOf(MalformedCiphertextException.class);
  }
}
