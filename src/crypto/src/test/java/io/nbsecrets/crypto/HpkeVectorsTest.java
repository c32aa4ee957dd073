package io.nbsecrets.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.HexFormat;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.hpke.HPKE;
import org.bouncycastle.crypto.hpke.HPKEContext;
import org.bouncycastle.crypto.hpke.HPKEContextWithEncapsulation;
import org.junit.jupiter.api.Test;

/**
 * The official test vectors of the suites' KEMs, through the same HPKE contexts {@link
 * HpkeSuite#hpke()} makes: RFC 9180's for DHKEM(X25519)/HKDF-SHA256/AES-256-GCM (key derivation,
 * encapsulation with the vector's ephemeral key, seal and open), and the hpke-pq draft's for
 * ML-KEM-768 + X25519 (X-Wing; that vector's AEAD is ChaCha20-Poly1305, so the KEM and key schedule
 * are checked with it, and {@link HpkeKeyPair#fromPrivateKey} must derive its public key).
 */
class HpkeVectorsTest {
  private static final HexFormat HEX = HexFormat.of();

  private static JsonNode vectors() throws Exception {
    try (InputStream in = HpkeVectorsTest.class.getResourceAsStream("/hpke/vectors.json")) {
      return new ObjectMapper().readTree(in);
    }
  }

  private static byte[] hex(JsonNode v, String field) {
    return HEX.parseHex(v.path(field).asText());
  }

  @Test
  void rfc9180X25519HkdfSha256Aes256Gcm() throws Exception {
    JsonNode v = vectors().path("x25519");
    assertThat(v.path("kem_id").asInt()).isEqualTo(HpkeSuite.X25519.kemId());
    assertThat(v.path("aead_id").asInt()).isEqualTo(2);
    HPKE hpke = HpkeSuite.X25519.hpke();

    AsymmetricCipherKeyPair recipient = hpke.deriveKeyPair(hex(v, "ikmR"));
    assertThat(hpke.serializePublicKey(recipient.getPublic())).isEqualTo(hex(v, "pkRm"));
    HpkeKeyPair restored = HpkeKeyPair.fromPrivateKey(HpkeSuite.X25519, hex(v, "skRm"));
    assertThat(restored.publicKey()).isEqualTo(hex(v, "pkRm"));

    AsymmetricCipherKeyPair ephemeral = hpke.deriveKeyPair(hex(v, "ikmE"));
    HPKEContextWithEncapsulation sender =
        hpke.setupBaseS(hpke.deserializePublicKey(hex(v, "pkRm")), hex(v, "info"), ephemeral);
    assertThat(sender.getEncapsulation()).isEqualTo(hex(v, "enc"));
    HPKEContext receiver = hpke.setupBaseR(hex(v, "enc"), restored.bcKeyPair(), hex(v, "info"));
    checkEncryptions(v, sender, receiver);
    JsonNode first = v.path("encryptions").get(0);
    assertThat(
            hpke.open(
                hex(v, "enc"),
                restored.bcKeyPair(),
                hex(v, "info"),
                hex(first, "aad"),
                hex(first, "ct"),
                null,
                null,
                null))
        .isEqualTo(hex(first, "pt"));
  }

  @Test
  void hpkePqMlkem768X25519() throws Exception {
    JsonNode v = vectors().path("xwing");
    assertThat(v.path("kem_id").asInt()).isEqualTo(HpkeSuite.MLKEM768_X25519.kemId());
    HPKE hpke =
        new HPKE(
            HPKE.mode_base,
            (short) v.path("kem_id").asInt(),
            (short) v.path("kdf_id").asInt(),
            (short) v.path("aead_id").asInt());
    HpkeKeyPair restored = HpkeKeyPair.fromPrivateKey(HpkeSuite.MLKEM768_X25519, hex(v, "skRm"));
    assertThat(restored.publicKey()).isEqualTo(hex(v, "pkRm"));

    HPKEContextWithEncapsulation sender =
        hpke.setupBaseS(hpke.deserializePublicKey(hex(v, "pkRm")), hex(v, "info"), hex(v, "ikmE"));
    assertThat(sender.getEncapsulation()).isEqualTo(hex(v, "enc"));
    HPKEContext receiver = hpke.setupBaseR(hex(v, "enc"), restored.bcKeyPair(), hex(v, "info"));
    checkEncryptions(v, sender, receiver);
  }

  private static void checkEncryptions(JsonNode v, HPKEContext sender, HPKEContext receiver)
      throws Exception {
    int n = 0;
    for (JsonNode e : v.path("encryptions")) {
      assertThat(sender.seal(hex(e, "aad"), hex(e, "pt")))
          .as("seal #%d", n)
          .isEqualTo(hex(e, "ct"));
      assertThat(receiver.open(hex(e, "aad"), hex(e, "ct")))
          .as("open #%d", n)
          .isEqualTo(hex(e, "pt"));
      n++;
    }
    assertThat(n).isEqualTo(3);
  }
}
