package io.nbsecrets.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Session keys of every algorithm through the one interface the API and operator use: generate, the
 * PEM forms the keys Secret and ConfigMap hold, seal with the public half ({@link Envelope#seal}),
 * open with a ring ({@link Envelope#open}), and rings mixing algorithms during a migration.
 */
class SessionKeyAlgorithmTest {
  private static final byte[] INNER = "gAAAAAB-inner".getBytes(StandardCharsets.US_ASCII);

  @ParameterizedTest
  @EnumSource(
      value = SessionKeyAlgorithm.class,
      names = {"MLKEM768_X25519", "X25519", "RSA_2048"})
  void eachAlgorithmSealsItsRecordVersionAndRoundTripsThroughPem(SessionKeyAlgorithm algorithm) {
    SessionPrivateKey key = algorithm.generate();
    SessionPrivateKey reloaded = SessionPrivateKey.fromPem(key.pem());
    SessionPublicKey published = SessionPublicKey.fromPem(key.publicKey().pem());

    assertThat(reloaded).isEqualTo(key);
    assertThat(reloaded.keyId()).isEqualTo(key.keyId());
    assertThat(published).isEqualTo(key.publicKey());
    assertThat(published.algorithm()).isEqualTo(algorithm.id());
    assertThat(published.recordVersion()).isEqualTo(algorithm.recordVersion());

    String record = Envelope.seal(published, "alice", "TOKEN", INNER);
    assertThat(record).startsWith(algorithm.recordVersion() + "." + key.keyId() + ".");
    assertThat(Envelope.keyId(record)).isEqualTo(key.keyId());
    assertThat(Envelope.open(SessionKeyRing.of(List.of(reloaded)), "alice", "TOKEN", record))
        .isEqualTo(INNER);
  }

  @Test
  void theDefaultIsTheHybridPostQuantumKem() {
    assertThat(SessionKeyAlgorithm.DEFAULT.id()).isEqualTo("mlkem768-x25519");
    assertThat(SessionKeyAlgorithm.ids())
        .containsExactly("mlkem768-x25519", "x25519", "rsa-4096", "rsa-3072", "rsa-2048");
    assertThat(SessionKeyAlgorithm.of("x25519")).isEqualTo(SessionKeyAlgorithm.X25519);
    assertThatThrownBy(() -> SessionKeyAlgorithm.of("rsa-1024"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("mlkem768-x25519")
        .hasMessageContaining("got: rsa-1024");
  }

  @Test
  void aRingMixingAlgorithmsOpensEveryRecordItHoldsAKeyFor() {
    SessionPrivateKey rsa = SessionPrivateKey.of(TestKeys.A.getPrivate());
    SessionPrivateKey xwing = SessionKeyAlgorithm.MLKEM768_X25519.generate();
    SessionPrivateKey x25519 = SessionKeyAlgorithm.X25519.generate();
    SessionKeyRing ring = SessionKeyRing.of(List.of(xwing, rsa));

    String nbs1 = Envelope.seal(rsa.publicKey(), "alice", "A", INNER);
    String nbs2 = Envelope.seal(xwing.publicKey(), "alice", "B", INNER);
    String other = Envelope.seal(x25519.publicKey(), "alice", "C", INNER);

    assertThat(ring.keyIds()).containsExactly(xwing.keyId(), rsa.keyId());
    assertThat(ring.publicKeys()).containsExactly(xwing.publicKey(), rsa.publicKey());
    assertThat(Envelope.open(ring, "alice", "A", nbs1)).isEqualTo(INNER);
    assertThat(Envelope.open(ring, "alice", "B", nbs2)).isEqualTo(INNER);
    assertThatThrownBy(() -> Envelope.open(ring, "alice", "C", other))
        .isInstanceOf(UnknownKeyException.class)
        .hasMessageContaining(x25519.keyId());
    // Typed errors as for nbs1: another owner, another name, a changed record.
    assertThatThrownBy(() -> Envelope.open(ring, "bob", "B", nbs2))
        .isInstanceOf(RecordBindingException.class);
    assertThatThrownBy(() -> Envelope.open(ring, "alice", "A", nbs2))
        .isInstanceOf(RecordBindingException.class);
    // One bit of the value's ciphertext flipped (replacing the record's last two characters, as
    // this did, left them as they were once in a few hundred runs).
    String[] parts = nbs2.split("\\.");
    byte[] sealed = Codec.unb64url(parts[parts.length - 1], "ciphertext");
    sealed[sealed.length / 2] ^= 1;
    parts[parts.length - 1] = Codec.b64url(sealed);
    String changed = String.join(".", parts);
    assertThatThrownBy(() -> Envelope.open(ring, "alice", "B", changed))
        .isInstanceOf(CryptoException.class);
    // Re-sealing moves a record from RSA to the HPKE key, as rotate-keys does.
    String moved = Envelope.reseal(ring, xwing.publicKey(), "alice", "A", nbs1);
    assertThat(moved).startsWith("nbs2." + xwing.keyId() + ".");
    assertThat(Envelope.open(ring, "alice", "A", moved)).isEqualTo(INNER);
    // An HPKE key wraps no data key: asking it to is a programming error, named.
    assertThatThrownBy(() -> xwing.publicKey().wrap(new byte[32]))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("nbs2");
  }

  @ParameterizedTest
  @ValueSource(strings = {"HPKE MLKEM768-X25519 PRIVATE KEY", "HPKE X25519 PRIVATE KEY"})
  void aDamagedHpkeKeyIsRefusedWithoutShowingIt(String label) {
    byte[] raw = new byte[31];
    java.util.Arrays.fill(raw, (byte) 0x5a);
    String pem =
        "-----BEGIN "
            + label
            + "-----\n"
            + Base64.getEncoder().encodeToString(raw)
            + "\n-----END "
            + label
            + "-----\n";

    assertThatThrownBy(() -> SessionPrivateKey.fromPem(pem))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("private key")
        .hasMessageNotContaining(Base64.getEncoder().encodeToString(raw));
  }

  @Test
  void keysShowTheirIdsOnly() {
    SessionPrivateKey key = SessionKeyAlgorithm.MLKEM768_X25519.generate();
    String body = key.pem().lines().skip(1).findFirst().orElseThrow();

    assertThat(key.toString()).contains(key.keyId()).doesNotContain(body);
    assertThat(SessionKeyRing.of(List.of(key)).toString())
        .contains(key.keyId())
        .doesNotContain(body);
    assertThat(key.publicKey().toString()).contains(key.keyId());
    assertThat(key.keyId()).startsWith("xw-");
  }
}
