package io.nbsecrets.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class EnvelopeTest {
  private static final String OWNER = "alice-owner-7f3a";
  private static final String NAME = "db-password";
  private static final String PLAINTEXT = "pl4intext-value-XYZ";
  private static final byte[] INNER = PLAINTEXT.getBytes(StandardCharsets.UTF_8);

  private static final SessionPublicKey KEY_A = SessionPublicKey.of(TestKeys.A.getPublic());
  private static final SessionPublicKey KEY_B = SessionPublicKey.of(TestKeys.B.getPublic());
  private static final SessionKeyRing RING_A =
      SessionKeyRing.ofRsa(List.of(TestKeys.A.getPrivate()));

  private static String seal() {
    return Envelope.seal(KEY_A, OWNER, NAME, INNER);
  }

  /**
   * Asserts the exception and its causes reveal neither the plaintext, the owner, the record nor
   * its wrapped key or ciphertext.
   */
  private static void assertNoLeak(Throwable thrown, String record) {
    List<String> forbidden = new ArrayList<>(List.of(PLAINTEXT, OWNER));
    for (String part : record.split("\\.")) {
      if (part.length() > 20) {
        forbidden.add(part);
      }
    }
    if (record.length() > 20) {
      forbidden.add(record);
    }
    Leaks.assertNoLeak(thrown, forbidden.toArray(String[]::new));
  }

  private static Throwable openFailure(SessionKeyRing ring, String owner, String name, String rec) {
    Throwable thrown = catchThrowable(() -> Envelope.open(ring, owner, name, rec));
    assertThat(thrown).isInstanceOf(CryptoException.class);
    assertNoLeak(thrown, rec);
    return thrown;
  }

  private static String replacePart(String record, int index, String value) {
    String[] parts = record.split("\\.", -1);
    parts[index] = value;
    return String.join(".", parts);
  }

  private static String flipChar(String text, int index) {
    char replacement = text.charAt(index) == 'A' ? 'B' : 'A';
    return text.substring(0, index) + replacement + text.substring(index + 1);
  }

  @Test
  void roundTripsTextEmptyLargeAndBinaryValues() {
    byte[] binary = new byte[256];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) i;
    }
    for (byte[] value : List.of(INNER, new byte[0], Codec.randomBytes(128 * 1024), binary)) {
      String record = Envelope.seal(KEY_A, OWNER, NAME, value);
      assertThat(Envelope.open(RING_A, OWNER, NAME, record)).isEqualTo(value);
    }
  }

  @Test
  void recordHasTheDocumentedFormat() throws Exception {
    String record = seal();
    String[] parts = record.split("\\.", -1);

    assertThat(parts).hasSize(6);
    assertThat(parts[0]).isEqualTo("nbs1");
    assertThat(parts[1]).isEqualTo(KEY_A.keyId()).isEqualTo(Envelope.keyId(record));
    assertThat(parts[3]).matches("[A-Za-z0-9_-]{342}"); // 256 bytes, unpadded
    assertThat(parts[4]).matches("[A-Za-z0-9_-]{16}"); // 12 bytes
    assertThat(Base64.getUrlDecoder().decode(parts[5])).hasSize(INNER.length + 16);
    // bind = first 16 chars of b64url(SHA-256(len(owner) || owner || len(name) || name))
    byte[] owner = OWNER.getBytes(StandardCharsets.UTF_8);
    byte[] name = NAME.getBytes(StandardCharsets.UTF_8);
    ByteBuffer lp = ByteBuffer.allocate(8 + owner.length + name.length);
    lp.putInt(owner.length).put(owner).putInt(name.length).put(name);
    byte[] hash = MessageDigest.getInstance("SHA-256").digest(lp.array());
    assertThat(parts[2])
        .isEqualTo(Base64.getUrlEncoder().withoutPadding().encodeToString(hash).substring(0, 16));
  }

  @Test
  void sealingIsRandomized() {
    String first = seal();
    String second = seal();

    assertThat(first.split("\\.")[3]).isNotEqualTo(second.split("\\.")[3]);
    assertThat(first.split("\\.")[4]).isNotEqualTo(second.split("\\.")[4]);
    assertThat(first.split("\\.")[5]).isNotEqualTo(second.split("\\.")[5]);
  }

  @Test
  void bindingIsUnambiguous() {
    assertThat(Envelope.bind("ab", "c")).isNotEqualTo(Envelope.bind("a", "bc"));
    assertThat(Envelope.bind("a.b", "c")).isNotEqualTo(Envelope.bind("a", "b.c"));
  }

  @Test
  void unusualOwnersAndNamesRoundTrip() {
    for (String owner : List.of("user.with.dots@example.org", "ünïcødé", "")) {
      String record = Envelope.seal(KEY_A, owner, "n.a-m_e", INNER);
      assertThat(Envelope.open(RING_A, owner, "n.a-m_e", record)).isEqualTo(INNER);
    }
  }

  @Test
  void tamperedVersionIsMalformed() {
    String record = seal();

    for (String version : List.of("nbs2", "nbs0", "", "NBS1")) {
      assertThat(openFailure(RING_A, OWNER, NAME, replacePart(record, 0, version)))
          .isExactlyInstanceOf(MalformedCiphertextException.class);
    }
  }

  @Test
  void tamperedKeyIdIsUnknown() {
    String record = seal();
    String tampered = replacePart(record, 1, flipChar(KEY_A.keyId(), 10));

    Throwable thrown = openFailure(RING_A, OWNER, NAME, tampered);

    assertThat(thrown).isExactlyInstanceOf(UnknownKeyException.class);
    assertThat(((UnknownKeyException) thrown).keyId()).isEqualTo(flipChar(KEY_A.keyId(), 10));
  }

  @Test
  void tamperedBindingIsRefused() {
    String record = seal();
    String bind = record.split("\\.")[2];

    for (int i = 0; i < bind.length(); i++) {
      assertThat(openFailure(RING_A, OWNER, NAME, replacePart(record, 2, flipChar(bind, i))))
          .isExactlyInstanceOf(RecordBindingException.class);
    }
  }

  @Test
  void everyFlippedByteOfWrappedKeyNonceAndCiphertextFailsIntegrity() {
    String record = seal();
    for (int part = 3; part <= 5; part++) {
      byte[] bytes = Base64.getUrlDecoder().decode(record.split("\\.")[part]);
      for (int i = 0; i < bytes.length; i++) {
        byte[] copy = bytes.clone();
        copy[i] ^= 0x01;
        String tampered =
            replacePart(record, part, Base64.getUrlEncoder().withoutPadding().encodeToString(copy));
        assertThat(openFailure(RING_A, OWNER, NAME, tampered))
            .as("part %d byte %d", part, i)
            .isExactlyInstanceOf(IntegrityException.class);
      }
    }
  }

  @Test
  void flippedCharacterInEachBase64PartIsDetected() {
    String record = seal();
    for (int part = 3; part <= 5; part++) {
      String text = record.split("\\.")[part];
      assertThat(openFailure(RING_A, OWNER, NAME, replacePart(record, part, flipChar(text, 5))))
          .isExactlyInstanceOf(IntegrityException.class);
    }
  }

  @Test
  void nonCanonicalOrInvalidBase64IsMalformed() {
    String record = seal();
    String ciphertext = record.split("\\.")[5]; // 35 bytes: 47 chars, last one has 2 unused bits
    assertThat(ciphertext).hasSize(47);
    char last = ciphertext.charAt(46);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char sibling = alphabet.charAt(alphabet.indexOf(last) ^ 1); // differs in an unused bit
    String nonCanonical = ciphertext.substring(0, 46) + sibling;

    for (String bad : List.of(nonCanonical, ciphertext + "=", ciphertext.replace(last, '+'))) {
      if (!bad.equals(ciphertext)) {
        assertThat(openFailure(RING_A, OWNER, NAME, replacePart(record, 5, bad)))
            .isExactlyInstanceOf(MalformedCiphertextException.class);
      }
    }
    assertThat(openFailure(RING_A, OWNER, NAME, replacePart(record, 4, "AAAA")))
        .isExactlyInstanceOf(MalformedCiphertextException.class);
    assertThat(openFailure(RING_A, OWNER, NAME, replacePart(record, 5, "AAAA")))
        .isExactlyInstanceOf(MalformedCiphertextException.class);
    assertThat(openFailure(RING_A, OWNER, NAME, record + ".extra"))
        .isExactlyInstanceOf(MalformedCiphertextException.class);
  }

  @Test
  void truncatedRecordsAreRejected() {
    String record = seal();
    int lastPart = record.lastIndexOf('.') + 1;

    for (int length = 0; length < record.length(); length++) {
      Throwable thrown = openFailure(RING_A, OWNER, NAME, record.substring(0, length));
      if (length < lastPart) {
        assertThat(thrown)
            .as("length %d", length)
            .isExactlyInstanceOf(MalformedCiphertextException.class);
      } else {
        // Only the ciphertext is shorter: either no longer parseable or its tag fails.
        assertThat(thrown)
            .as("length %d", length)
            .isInstanceOfAny(MalformedCiphertextException.class, IntegrityException.class);
      }
    }
  }

  @Test
  void anotherKeyPairForgedUnderTheSameIdFailsIntegrity() {
    String sealedUnderB = Envelope.seal(KEY_B, OWNER, NAME, INNER);
    String forged = replacePart(sealedUnderB, 1, KEY_A.keyId());

    assertThat(openFailure(RING_A, OWNER, NAME, forged))
        .isExactlyInstanceOf(IntegrityException.class);
  }

  @Test
  void unknownKeyIdIsReportedWithTheId() {
    String sealedUnderB = Envelope.seal(KEY_B, OWNER, NAME, INNER);

    Throwable thrown = openFailure(RING_A, OWNER, NAME, sealedUnderB);

    assertThat(thrown).isExactlyInstanceOf(UnknownKeyException.class);
    assertThat(((UnknownKeyException) thrown).keyId()).isEqualTo(KEY_B.keyId());
    assertThat(thrown).hasMessageContaining(KEY_B.keyId());
  }

  @Test
  void wrongOwnerOrNameIsABindingError() {
    String record = seal();

    assertThat(openFailure(RING_A, "mallory", NAME, record))
        .isExactlyInstanceOf(RecordBindingException.class);
    assertThat(openFailure(RING_A, OWNER, "other-name", record))
        .isExactlyInstanceOf(RecordBindingException.class);
    assertThat(openFailure(RING_A, OWNER + " ", NAME, record))
        .isExactlyInstanceOf(RecordBindingException.class);
  }

  @Test
  void recomputedBindingForAnotherOwnerStillFailsIntegrity() {
    String copied = replacePart(seal(), 2, Envelope.bind("mallory", NAME));

    assertThat(openFailure(RING_A, "mallory", NAME, copied))
        .isExactlyInstanceOf(IntegrityException.class);
  }

  @Test
  void rotatedRingOpensRecordsUnderEveryKey() {
    SessionKeyRing ring =
        SessionKeyRing.ofRsa(List.of(TestKeys.B.getPrivate(), TestKeys.A.getPrivate()));
    String underA = seal();
    String underB = Envelope.seal(KEY_B, OWNER, NAME, INNER);

    assertThat(Envelope.keyId(underA)).isEqualTo(KEY_A.keyId());
    assertThat(Envelope.keyId(underB)).isEqualTo(KEY_B.keyId());
    assertThat(Envelope.open(ring, OWNER, NAME, underA)).isEqualTo(INNER);
    assertThat(Envelope.open(ring, OWNER, NAME, underB)).isEqualTo(INNER);
  }

  @Test
  void keyIdOfGarbageIsMalformed() {
    for (String bad : List.of("", "nbs1", "nbs1.x", "nbs2.rsa-0.AAAAAAAAAAAAAAAA.A.A.A", "....."))
      assertThatThrownBy(() -> Envelope.keyId(bad))
          .as(bad)
          .isExactlyInstanceOf(MalformedCiphertextException.class);
    assertThatThrownBy(() -> Envelope.keyId("nbs1.rsa-1*2.AAAAAAAAAAAAAAAA.AA.AA.AA"))
        .isExactlyInstanceOf(MalformedCiphertextException.class);
  }
}
