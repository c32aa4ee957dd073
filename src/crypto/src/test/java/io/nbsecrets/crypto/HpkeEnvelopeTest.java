package io.nbsecrets.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The nbs2 record: round trips, and every change or misuse refused with its typed error. */
class HpkeEnvelopeTest {
  private static final byte[] INNER =
      "gAAAAABinner-fernet-token".getBytes(StandardCharsets.US_ASCII);

  private static Function<String, HpkeKeyPair> ring(HpkeKeyPair... keys) {
    Map<String, HpkeKeyPair> byId = new java.util.HashMap<>();
    for (HpkeKeyPair k : keys) {
      byId.put(k.keyId(), k);
    }
    return byId::get;
  }

  @ParameterizedTest
  @EnumSource(HpkeSuite.class)
  void aRecordOpensForItsOwnerAndNameWithTheKeyItNames(HpkeSuite suite) {
    HpkeKeyPair key = HpkeKeyPair.generate(suite);
    String record = HpkeEnvelope.seal(suite, key.publicKey(), "alice", "TOKEN", INNER);

    assertThat(record).startsWith("nbs2." + key.keyId() + ".");
    assertThat(record.split("\\.")).hasSize(7);
    assertThat(key.keyId()).matches(suite.keyIdPrefix() + "-[0-9a-f]{16}");
    assertThat(HpkeEnvelope.open(ring(key), "alice", "TOKEN", record)).isEqualTo(INNER);
    // Each seal has its own encapsulation: the same value never gives the same record.
    assertThat(HpkeEnvelope.seal(suite, key.publicKey(), "alice", "TOKEN", INNER))
        .isNotEqualTo(record);
  }

  @ParameterizedTest
  @EnumSource(HpkeSuite.class)
  void aPrivateKeyRestoredFromItsBytesIsTheSameKey(HpkeSuite suite) {
    HpkeKeyPair key = HpkeKeyPair.generate(suite);
    HpkeKeyPair restored = HpkeKeyPair.fromPrivateKey(suite, key.privateKey());
    assertThat(restored).isEqualTo(key);
    assertThat(restored.keyId()).isEqualTo(key.keyId());
    assertThat(restored.toString()).doesNotContain(Codec.b64url(key.privateKey()));
    String record = HpkeEnvelope.seal(suite, key.publicKey(), "alice", "TOKEN", INNER);
    assertThat(HpkeEnvelope.open(ring(restored), "alice", "TOKEN", record)).isEqualTo(INNER);
    assertThat(key.publicKey()).hasSize(suite == HpkeSuite.X25519 ? 32 : 1216);
  }

  @ParameterizedTest
  @EnumSource(HpkeSuite.class)
  void anotherOwnerOrNameIsRefusedEvenWithAForgedBinding(HpkeSuite suite) {
    HpkeKeyPair key = HpkeKeyPair.generate(suite);
    String record = HpkeEnvelope.seal(suite, key.publicKey(), "alice", "TOKEN", INNER);

    assertThatThrownBy(() -> HpkeEnvelope.open(ring(key), "bob", "TOKEN", record))
        .isInstanceOf(RecordBindingException.class);
    assertThatThrownBy(() -> HpkeEnvelope.open(ring(key), "alice", "OTHER", record))
        .isInstanceOf(RecordBindingException.class);
    // The binding field rewritten for bob: owner and name are in the info and the AAD, so it
    // still does not open.
    String[] parts = record.split("\\.");
    parts[2] = Envelope.bind("bob", "TOKEN");
    String forged = String.join(".", parts);
    assertThatThrownBy(() -> HpkeEnvelope.open(ring(key), "bob", "TOKEN", forged))
        .isInstanceOf(IntegrityException.class);
  }

  @ParameterizedTest
  @EnumSource(HpkeSuite.class)
  void aChangedFieldOrAnotherKeyFailsItsIntegrityCheck(HpkeSuite suite) {
    HpkeKeyPair key = HpkeKeyPair.generate(suite);
    String record = HpkeEnvelope.seal(suite, key.publicKey(), "alice", "TOKEN", INNER);
    // enc, the sealed data key, the nonce, the value's ciphertext
    for (int field : new int[] {3, 4, 5, 6}) {
      String[] parts = record.split("\\.");
      byte[] bytes = Codec.unb64url(parts[field], "field");
      bytes[bytes.length / 2] ^= 1;
      parts[field] = Codec.b64url(bytes);
      String changed = String.join(".", parts);
      assertThatThrownBy(() -> HpkeEnvelope.open(ring(key), "alice", "TOKEN", changed))
          .as("field %d changed", field)
          .isInstanceOf(IntegrityException.class);
    }
    HpkeKeyPair other = HpkeKeyPair.generate(suite);
    assertThatThrownBy(
            () ->
                HpkeEnvelope.open(
                    id -> id.equals(key.keyId()) ? other : null, "alice", "TOKEN", record))
        .isInstanceOf(IntegrityException.class);
  }

  @ParameterizedTest
  @EnumSource(HpkeSuite.class)
  void anUnknownKeyIdIsNamedAndBadSyntaxIsMalformed(HpkeSuite suite) {
    HpkeKeyPair key = HpkeKeyPair.generate(suite);
    String record = HpkeEnvelope.seal(suite, key.publicKey(), "alice", "TOKEN", INNER);
    assertThatThrownBy(() -> HpkeEnvelope.open(ring(), "alice", "TOKEN", record))
        .isInstanceOf(UnknownKeyException.class)
        .hasMessageContaining(key.keyId());
    String[] parts = record.split("\\.");
    String shortEnc = with(parts, 3, Codec.b64url(new byte[7]));
    String shortKey = with(parts, 4, Codec.b64url(new byte[47]));
    String shortNonce = with(parts, 5, Codec.b64url(new byte[11]));
    String shortCiphertext = with(parts, 6, Codec.b64url(new byte[15]));
    for (String bad :
        new String[] {
          "",
          "nbs1.x.y",
          record + ".extra",
          record.replace("nbs2.", "nbs3."),
          shortEnc,
          shortKey,
          shortNonce,
          shortCiphertext,
          with(parts, 3, parts[3] + "*"),
          with(parts, 6, parts[6] + "=")
        }) {
      assertThatThrownBy(() -> HpkeEnvelope.open(ring(key), "alice", "TOKEN", bad))
          .as(bad.length() > 40 ? bad.substring(0, 40) : bad)
          .isInstanceOf(MalformedCiphertextException.class);
    }
    assertThatThrownBy(() -> HpkeKeyPair.fromPrivateKey(suite, new byte[5]))
        .isInstanceOf(MalformedCiphertextException.class);
  }

  private static String with(String[] parts, int field, String value) {
    String[] copy = parts.clone();
    copy[field] = value;
    return String.join(".", copy);
  }
}
