package io.nbsecrets.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class RsaKeysTest {
  private static final KeyPair PAIR = TestKeys.A;

  @Test
  void pemRoundTripsAndHas64CharacterLines() {
    String publicPem = RsaKeys.publicKeyPem(PAIR.getPublic());
    String privatePem = RsaKeys.privateKeyPem(PAIR.getPrivate());

    assertThat(publicPem)
        .startsWith("-----BEGIN PUBLIC KEY-----\n")
        .endsWith("-----END PUBLIC KEY-----\n");
    assertThat(privatePem)
        .startsWith("-----BEGIN PRIVATE KEY-----\n")
        .endsWith("-----END PRIVATE KEY-----\n");
    for (String pem : List.of(publicPem, privatePem)) {
      String[] lines = pem.split("\n");
      for (int i = 1; i < lines.length - 2; i++) {
        assertThat(lines[i]).hasSize(64);
      }
      assertThat(lines[lines.length - 2].length()).isBetween(1, 64);
    }
    assertThat(RsaKeys.parsePublicKey(publicPem)).isEqualTo(PAIR.getPublic());
    assertThat(RsaKeys.parsePrivateKey(privatePem)).isEqualTo(PAIR.getPrivate());
    // CRLF line ends and surrounding text are accepted.
    assertThat(RsaKeys.parsePublicKey("# session key\r\n" + publicPem.replace("\n", "\r\n")))
        .isEqualTo(PAIR.getPublic());
  }

  @Test
  void keyIdIsStableAndDerivedFromSpki() throws Exception {
    String id = RsaKeys.keyId(PAIR.getPublic());

    assertThat(id).matches("rsa-[0-9a-f]{16}");
    assertThat(RsaKeys.keyId(RsaKeys.parsePublicKey(RsaKeys.publicKeyPem(PAIR.getPublic()))))
        .isEqualTo(id);
    assertThat(RsaKeys.keyId(RsaKeys.publicKeyOf(PAIR.getPrivate()))).isEqualTo(id);
    byte[] sha = MessageDigest.getInstance("SHA-256").digest(PAIR.getPublic().getEncoded());
    assertThat(id).isEqualTo("rsa-" + HexFormat.of().formatHex(sha, 0, 8));
    assertThat(RsaKeys.keyId(TestKeys.B.getPublic())).isNotEqualTo(id);
  }

  @Test
  void publicKeyOfPrivateKeyIsItsPublicHalf() {
    assertThat(RsaKeys.publicKeyOf(PAIR.getPrivate())).isEqualTo(PAIR.getPublic());
  }

  @Test
  void generatesRequestedSizeAndRefusesSmallKeys() {
    assertThat(((RSAPublicKey) PAIR.getPublic()).getModulus().bitLength()).isEqualTo(2048);
    assertThat(((RSAPublicKey) PAIR.getPublic()).getPublicExponent().intValue()).isEqualTo(65537);
    assertThatThrownBy(() -> RsaKeys.generate(1024))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2048");
    assertThat(RsaKeys.DEFAULT_BITS).isEqualTo(4096);
  }

  @Test
  void refuses1024BitKeysWhenParsing() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(1024);
    KeyPair small = generator.generateKeyPair();
    String publicPem = RsaKeys.publicKeyPem(small.getPublic());
    String privatePem = RsaKeys.privateKeyPem(small.getPrivate());

    assertThatThrownBy(() -> RsaKeys.parsePublicKey(publicPem))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 2048 bits");
    assertThatThrownBy(() -> RsaKeys.parsePrivateKey(privatePem))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 2048 bits");
    assertThatThrownBy(() -> SessionPublicKey.of(small.getPublic()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SessionKeyRing.ofRsa(List.of(small.getPrivate())))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refusesPkcs1PrivateKeyWithConversionHint() {
    String body = Base64.getMimeEncoder().encodeToString(pkcs1Of(PAIR));
    String pkcs1 = "-----BEGIN RSA PRIVATE KEY-----\n" + body + "\n-----END RSA PRIVATE KEY-----\n";

    Throwable thrown = catchThrowable(() -> RsaKeys.parsePrivateKey(pkcs1));

    assertThat(thrown)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PKCS#1")
        .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");
    Leaks.assertNoLeak(thrown, body.substring(0, 40));
  }

  @Test
  void refusesOtherWrongInputsWithoutEchoingThem() {
    String publicPem = RsaKeys.publicKeyPem(PAIR.getPublic());
    String privatePem = RsaKeys.privateKeyPem(PAIR.getPrivate());
    String privateBody = privatePem.split("\n")[1];
    String corrupt = privatePem.replace(privateBody, privateBody.substring(0, 60) + "!!!!");
    String truncated = privatePem.replace(privateBody, privateBody.substring(0, 20));

    assertThatThrownBy(() -> RsaKeys.parsePrivateKey(publicPem))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected -----BEGIN PRIVATE KEY-----");
    assertThatThrownBy(() -> RsaKeys.parsePublicKey(privatePem))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected -----BEGIN PUBLIC KEY-----");
    assertThatThrownBy(() -> RsaKeys.parsePublicKey("no pem here"))
        .isInstanceOf(IllegalArgumentException.class);
    for (String bad : List.of(corrupt, truncated)) {
      Throwable thrown = catchThrowable(() -> RsaKeys.parsePrivateKey(bad));
      assertThat(thrown).isInstanceOf(IllegalArgumentException.class);
      Leaks.assertNoLeak(thrown, privateBody.substring(0, 16), privateBody.substring(30, 50));
    }
    assertThatThrownBy(
            () ->
                RsaKeys.parsePrivateKey(
                    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----"))
        .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");
  }

  @Test
  void wrapUnwrapRoundTrip() {
    byte[] dataKey = Codec.randomBytes(32);

    byte[] wrapped = RsaKeys.wrap(PAIR.getPublic(), dataKey);

    assertThat(wrapped).hasSize(256);
    assertThat(RsaKeys.unwrap(PAIR.getPrivate(), wrapped)).isEqualTo(dataKey);
    assertThat(RsaKeys.wrap(PAIR.getPublic(), dataKey)).isNotEqualTo(wrapped); // randomized
  }

  @Test
  void wrapAndEnvelopeWith4096BitKey() {
    KeyPair big = RsaKeys.generate(RsaKeys.DEFAULT_BITS);
    byte[] dataKey = Codec.randomBytes(32);
    assertThat(((RSAPrivateCrtKey) big.getPrivate()).getModulus().bitLength()).isEqualTo(4096);

    byte[] wrapped = RsaKeys.wrap(big.getPublic(), dataKey);
    String record =
        Envelope.seal(
            SessionPublicKey.of(big.getPublic()), "u", "n", "v".getBytes(StandardCharsets.UTF_8));

    assertThat(wrapped).hasSize(512);
    assertThat(RsaKeys.unwrap(big.getPrivate(), wrapped)).isEqualTo(dataKey);
    assertThat(Envelope.open(SessionKeyRing.ofRsa(List.of(big.getPrivate())), "u", "n", record))
        .isEqualTo("v".getBytes(StandardCharsets.UTF_8));
    assertThat(RsaKeys.parsePrivateKey(RsaKeys.privateKeyPem(big.getPrivate())))
        .isEqualTo(big.getPrivate());
  }

  @Test
  void unwrapWithWrongKeyOrTamperedDataFailsIntegrity() {
    byte[] wrapped = RsaKeys.wrap(PAIR.getPublic(), Codec.randomBytes(32));
    byte[] tampered = wrapped.clone();
    tampered[100] ^= 0x01;

    assertThatThrownBy(() -> RsaKeys.unwrap(TestKeys.B.getPrivate(), wrapped))
        .isInstanceOf(IntegrityException.class);
    assertThatThrownBy(() -> RsaKeys.unwrap(PAIR.getPrivate(), tampered))
        .isInstanceOf(IntegrityException.class);
    assertThatThrownBy(() -> RsaKeys.unwrap(PAIR.getPrivate(), Arrays.copyOf(wrapped, 200)))
        .isInstanceOf(IntegrityException.class);
  }

  @Test
  void refusesDataKeysTooLongForOaep() {
    assertThat(RsaKeys.wrap(PAIR.getPublic(), new byte[190])).hasSize(256);
    assertThatThrownBy(() -> RsaKeys.wrap(PAIR.getPublic(), new byte[191]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void sessionPublicKeyDerivesItsIdAndHidesTheKey() {
    SessionPublicKey key = SessionPublicKey.of(PAIR.getPublic());
    String modulusHex = ((RSAPublicKey) PAIR.getPublic()).getModulus().toString(16);

    assertThat(key.keyId()).isEqualTo(RsaKeys.keyId(PAIR.getPublic()));
    assertThat(key.toString()).contains(key.keyId()).doesNotContain(modulusHex.substring(0, 16));
    assertThat(RsaKeys.parsePublicKey(key.pem())).isEqualTo(PAIR.getPublic());
    assertThat(SessionPublicKey.fromPem(key.pem())).isEqualTo(key);
    assertThat(key.algorithm()).isEqualTo("rsa-" + RsaKeys.bits(PAIR.getPublic()));
    assertThat(key.recordVersion()).isEqualTo(Envelope.VERSION);
    assertThat(SessionPublicKey.of(TestKeys.B.getPublic())).isNotEqualTo(key);
  }

  /** Extracts the PKCS#1 RSAPrivateKey from the key's PKCS#8 PrivateKeyInfo DER. */
  static byte[] pkcs1Of(KeyPair pair) {
    byte[] der = pair.getPrivate().getEncoded();
    int[] pos = {0};
    expectTag(der, pos, 0x30);
    readLength(der, pos);
    expectTag(der, pos, 0x02); // version
    skip(der, pos);
    expectTag(der, pos, 0x30); // algorithm
    skip(der, pos);
    expectTag(der, pos, 0x04); // privateKey
    int length = readLength(der, pos);
    return Arrays.copyOfRange(der, pos[0], pos[0] + length);
  }

  private static void expectTag(byte[] der, int[] pos, int tag) {
    assertThat(der[pos[0]++] & 0xff).isEqualTo(tag);
  }

  private static void skip(byte[] der, int[] pos) {
    int length = readLength(der, pos);
    pos[0] += length;
  }

  private static int readLength(byte[] der, int[] pos) {
    int first = der[pos[0]++] & 0xff;
    if (first < 0x80) {
      return first;
    }
    int length = 0;
    for (int i = 0; i < (first & 0x7f); i++) {
      length = (length << 8) | (der[pos[0]++] & 0xff);
    }
    return length;
  }
}
