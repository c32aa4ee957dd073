package io.nbsecrets.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Interoperability with Python's {@code cryptography} (the reference implementation) and with an
 * independent Python implementation of the {@code nbs1} and {@code nbuk1} formats, in both
 * directions. Skipped when python3 or cryptography is missing, except when {@code CI=true}.
 */
class PythonInteropTest {
  private static final String OWNER = "alice";
  private static final String NAME = "api-token";

  private static final KeyPair PAIR = TestKeys.A;
  private static final String PUBLIC_PEM = RsaKeys.publicKeyPem(PAIR.getPublic());
  private static final String PRIVATE_PEM = RsaKeys.privateKeyPem(PAIR.getPrivate());

  private static Optional<String> pythonProblem = Optional.empty();

  @BeforeAll
  static void probePython() {
    pythonProblem = PythonInterop.unavailability();
    if (pythonProblem.isPresent() && "true".equals(System.getenv("CI"))) {
      fail("Python interop is required in CI: " + pythonProblem.get());
    }
  }

  /** Per test, so that surefire reports each test as skipped (with the reason). */
  @BeforeEach
  void requirePython() {
    assumeTrue(pythonProblem.isEmpty(), () -> "skipping Python interop: " + pythonProblem.get());
  }

  private static List<byte[]> values() {
    byte[] binary = new byte[256];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) i;
    }
    return List.of(
        "hunter2 ✓".getBytes(StandardCharsets.UTF_8),
        new byte[0],
        binary,
        Codec.randomBytes(128 * 1024));
  }

  private static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  private static byte[] unb64(JsonNode node) {
    assertThat(node).as("expected a value, not an error").isNotNull();
    return Base64.getDecoder().decode(node.asText());
  }

  private static String error(JsonNode answer) {
    return answer.path("error").asText("(no error)");
  }

  // --- Fernet --------------------------------------------------------------------------------

  @Test
  void fernetJavaEncryptsPythonDecrypts() {
    String key = Fernet.generateKey();
    Fernet fernet = Fernet.fromKey(key);
    for (byte[] value : values()) {
      String token = fernet.encrypt(value);

      JsonNode answer = PythonInterop.call("fernet-decrypt", Map.of("key", key, "token", token));

      assertThat(unb64(answer.get("plaintext_b64"))).isEqualTo(value);
    }
  }

  @Test
  void fernetPythonEncryptsJavaDecrypts() {
    String key = Fernet.generateKey();
    Fernet fernet = Fernet.fromKey(key);
    for (byte[] value : values()) {
      JsonNode answer =
          PythonInterop.call("fernet-encrypt", Map.of("key", key, "plaintext_b64", b64(value)));
      String token = answer.get("token").asText();

      assertThat(fernet.decrypt(token)).isEqualTo(value);
      assertThat(fernet.decrypt(token, Duration.ofMinutes(5), Instant.now())).isEqualTo(value);
    }
  }

  // --- RSA-OAEP SHA-256 / MGF1-SHA-256 -------------------------------------------------------

  @Test
  void rsaJavaWrapsPythonUnwraps() {
    byte[] dataKey = Codec.randomBytes(32);
    byte[] wrapped = RsaKeys.wrap(PAIR.getPublic(), dataKey);

    JsonNode answer =
        PythonInterop.call(
            "rsa-unwrap", Map.of("private_pem", PRIVATE_PEM, "wrapped_b64", b64(wrapped)));

    assertThat(unb64(answer.get("data_b64"))).isEqualTo(dataKey);
  }

  @Test
  void rsaPythonWrapsJavaUnwraps() {
    byte[] dataKey = Codec.randomBytes(32);

    JsonNode answer =
        PythonInterop.call("rsa-wrap", Map.of("public_pem", PUBLIC_PEM, "data_b64", b64(dataKey)));

    assertThat(RsaKeys.unwrap(PAIR.getPrivate(), unb64(answer.get("wrapped_b64"))))
        .isEqualTo(dataKey);
  }

  @Test
  void pythonGeneratedKeysParseWithTheSameKeyIdAndUnwrap() {
    JsonNode generated = PythonInterop.call("rsa-generate", Map.of("bits", 2048));
    PrivateKey privateKey = RsaKeys.parsePrivateKey(generated.get("private_pem").asText());
    PublicKey publicKey = RsaKeys.parsePublicKey(generated.get("public_pem").asText());
    byte[] dataKey = Codec.randomBytes(32);

    JsonNode wrapped =
        PythonInterop.call(
            "rsa-wrap",
            Map.of("public_pem", generated.get("public_pem").asText(), "data_b64", b64(dataKey)));

    assertThat(RsaKeys.keyId(publicKey)).isEqualTo(generated.get("key_id").asText());
    assertThat(RsaKeys.publicKeyOf(privateKey)).isEqualTo(publicKey);
    assertThat(RsaKeys.unwrap(privateKey, unb64(wrapped.get("wrapped_b64")))).isEqualTo(dataKey);
    assertThat(
            PythonInterop.call("rsa-key-id", Map.of("public_pem", PUBLIC_PEM))
                .get("key_id")
                .asText())
        .isEqualTo(RsaKeys.keyId(PAIR.getPublic()));
  }

  @Test
  void javaDefaultOaepWithMgf1Sha1IsNotInteroperableWhichIsWhyWeSetItExplicitly() throws Exception {
    byte[] dataKey = Codec.randomBytes(32);
    Cipher defaults = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding");
    defaults.init(Cipher.ENCRYPT_MODE, PAIR.getPublic());
    byte[] wrappedWithSha1Mgf = defaults.doFinal(dataKey);
    OAEPParameterSpec used = defaults.getParameters().getParameterSpec(OAEPParameterSpec.class);
    assertThat(used.getMGFParameters()).isEqualTo(MGF1ParameterSpec.SHA1);

    JsonNode answer =
        PythonInterop.call(
            "rsa-unwrap",
            Map.of("private_pem", PRIVATE_PEM, "wrapped_b64", b64(wrappedWithSha1Mgf)));

    assertThat(error(answer)).isEqualTo("integrity");
    assertThatThrownBy(() -> RsaKeys.unwrap(PAIR.getPrivate(), wrappedWithSha1Mgf))
        .isInstanceOf(IntegrityException.class);
  }

  // --- nbs1 envelope -------------------------------------------------------------------------

  @Test
  void envelopeJavaSealsPythonOpens() {
    SessionPublicKey key = SessionPublicKey.of(PAIR.getPublic());
    for (byte[] value : values()) {
      String record = Envelope.seal(key, OWNER, NAME, value);

      JsonNode answer =
          PythonInterop.call(
              "nbs1-open",
              Map.of("private_pem", PRIVATE_PEM, "owner", OWNER, "name", NAME, "record", record));

      assertThat(unb64(answer.get("inner_b64"))).isEqualTo(value);
    }
    String record = Envelope.seal(key, OWNER, NAME, values().get(0));
    assertThat(
            error(
                PythonInterop.call(
                    "nbs1-open",
                    Map.of(
                        "private_pem",
                        PRIVATE_PEM,
                        "owner",
                        "bob",
                        "name",
                        NAME,
                        "record",
                        record))))
        .isEqualTo("binding");
    String rebound = record.replace(Envelope.bind(OWNER, NAME), Envelope.bind("bob", NAME));
    assertThat(
            error(
                PythonInterop.call(
                    "nbs1-open",
                    Map.of(
                        "private_pem",
                        PRIVATE_PEM,
                        "owner",
                        "bob",
                        "name",
                        NAME,
                        "record",
                        rebound))))
        .isEqualTo("integrity");
  }

  @Test
  void envelopePythonSealsJavaOpens() {
    SessionKeyRing ring = SessionKeyRing.ofRsa(List.of(PAIR.getPrivate()));
    for (byte[] value : values()) {
      JsonNode answer =
          PythonInterop.call(
              "nbs1-seal",
              Map.of(
                  "public_pem", PUBLIC_PEM, "owner", OWNER, "name", NAME, "inner_b64", b64(value)));
      String record = answer.get("record").asText();

      assertThat(Envelope.keyId(record)).isEqualTo(RsaKeys.keyId(PAIR.getPublic()));
      assertThat(Envelope.open(ring, OWNER, NAME, record)).isEqualTo(value);
      assertThatThrownBy(() -> Envelope.open(ring, "bob", NAME, record))
          .isInstanceOf(RecordBindingException.class);
      assertThatThrownBy(() -> Envelope.open(ring, OWNER, "other", record))
          .isInstanceOf(RecordBindingException.class);
    }
  }

  // --- nbs2 envelope (HPKE) ------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(HpkeSuite.class)
  void hpkeJavaSealsPythonOpensWithAJavaKey(HpkeSuite suite) {
    HpkeKeyPair key = HpkeKeyPair.generate(suite);
    Map<String, Object> open = new HashMap<>();
    open.put("suite", suite.id());
    open.put("private_b64", b64(key.privateKey()));
    open.put("owner", OWNER);
    open.put("name", NAME);
    for (byte[] value : values()) {
      open.put("record", HpkeEnvelope.seal(suite, key.publicKey(), OWNER, NAME, value));
      assertThat(unb64(PythonInterop.call("nbs2-open", open).get("inner_b64"))).isEqualTo(value);
    }
    String record = HpkeEnvelope.seal(suite, key.publicKey(), OWNER, NAME, values().get(0));
    open.put("record", record.replace(Envelope.bind(OWNER, NAME), Envelope.bind("bob", NAME)));
    open.put("owner", "bob");
    assertThat(error(PythonInterop.call("nbs2-open", open))).isEqualTo("integrity");
    open.put("record", record);
    assertThat(error(PythonInterop.call("nbs2-open", open))).isEqualTo("binding");
  }

  @ParameterizedTest
  @EnumSource(HpkeSuite.class)
  void hpkePythonSealsJavaOpensWithAPythonKey(HpkeSuite suite) {
    JsonNode generated = PythonInterop.call("hpke-generate", Map.of("suite", suite.id()));
    HpkeKeyPair key = HpkeKeyPair.fromPrivateKey(suite, unb64(generated.get("private_b64")));
    // The same public key, and the same key id, from an independent implementation.
    assertThat(key.publicKey()).isEqualTo(unb64(generated.get("public_b64")));
    assertThat(key.keyId()).isEqualTo(generated.get("key_id").asText());
    for (byte[] value : values()) {
      String record =
          PythonInterop.call(
                  "nbs2-seal",
                  Map.of(
                      "suite",
                      suite.id(),
                      "public_b64",
                      generated.get("public_b64").asText(),
                      "owner",
                      OWNER,
                      "name",
                      NAME,
                      "inner_b64",
                      b64(value)))
              .get("record")
              .asText();
      assertThat(HpkeEnvelope.open(id -> id.equals(key.keyId()) ? key : null, OWNER, NAME, record))
          .isEqualTo(value);
      assertThatThrownBy(() -> HpkeEnvelope.open(k -> key, "bob", NAME, record))
          .isInstanceOf(RecordBindingException.class);
    }
  }

  /**
   * The product's own key forms: the PEM text the operator writes into its keys Secret and
   * public-key ConfigMap, read by independent code; records through {@link Envelope}, as the API
   * and operator use it.
   */
  @ParameterizedTest
  @EnumSource(HpkeSuite.class)
  void hpkeKeysInTheirSecretAndConfigMapFormsWorkBothWays(HpkeSuite suite) {
    SessionPrivateKey key = SessionKeyAlgorithm.of(suite.id()).generate();
    SessionKeyRing ring = SessionKeyRing.of(List.of(SessionPrivateKey.fromPem(key.pem())));
    byte[] value = values().get(0);

    String fromPython =
        PythonInterop.call(
                "nbs2-seal",
                Map.of(
                    "suite",
                    suite.id(),
                    "public_pem",
                    key.publicKey().pem(),
                    "owner",
                    OWNER,
                    "name",
                    NAME,
                    "inner_b64",
                    b64(value)))
            .get("record")
            .asText();
    assertThat(Envelope.open(ring, OWNER, NAME, fromPython)).isEqualTo(value);

    Map<String, Object> open = new HashMap<>();
    open.put("suite", suite.id());
    open.put("private_pem", key.pem());
    open.put("owner", OWNER);
    open.put("name", NAME);
    open.put("record", Envelope.seal(key.publicKey(), OWNER, NAME, value));
    assertThat(unb64(PythonInterop.call("nbs2-open", open).get("inner_b64"))).isEqualTo(value);
  }

  // --- nbuk1 wrapped user keys ---------------------------------------------------------------

  @Test
  void userKeyJavaWrapsPythonUnwraps() {
    PlatformKey pk = PlatformKey.generate();
    String userKey = Fernet.generateKey();
    String wrapped = UserKeys.wrap(pk, OWNER, userKey);

    JsonNode answer =
        PythonInterop.call(
            "nbuk1-unwrap",
            Map.of("platform_keys", List.of(pk.encoded()), "user", OWNER, "wrapped", wrapped));
    JsonNode otherUser =
        PythonInterop.call(
            "nbuk1-unwrap",
            Map.of("platform_keys", List.of(pk.encoded()), "user", "bob", "wrapped", wrapped));

    assertThat(answer.get("user_key").asText()).isEqualTo(userKey);
    assertThat(error(otherUser)).isEqualTo("integrity");
    assertThat(
            PythonInterop.call("platform-key-id", Map.of("platform_key", pk.encoded()))
                .get("id")
                .asText())
        .isEqualTo(pk.id());
  }

  @Test
  void userKeyPythonWrapsJavaUnwraps() {
    PlatformKey pk = PlatformKey.generate();
    String userKey = Fernet.generateKey();

    JsonNode answer =
        PythonInterop.call(
            "nbuk1-wrap", Map.of("platform_key", pk.encoded(), "user", OWNER, "user_key", userKey));
    String wrapped = answer.get("wrapped").asText();

    assertThat(UserKeys.platformKeyId(wrapped)).isEqualTo(pk.id());
    assertThat(UserKeys.unwrap(List.of(pk), OWNER, wrapped)).isEqualTo(userKey);
    assertThatThrownBy(() -> UserKeys.unwrap(List.of(pk), "bob", wrapped))
        .isInstanceOf(IntegrityException.class);
    assertThatThrownBy(() -> UserKeys.unwrap(List.of(PlatformKey.generate()), OWNER, wrapped))
        .isInstanceOf(UnknownKeyException.class);
  }

  // --- the whole chain -----------------------------------------------------------------------

  @Test
  void pythonDoesTheApiSideJavaTheOperatorAndInitSide() {
    PlatformKey pk = PlatformKey.generate();
    String userKey = Fernet.generateKey();
    byte[] secret = "s3cret from python".getBytes(StandardCharsets.UTF_8);

    // API side, in Python: store the wrapped user key; seal Fernet(userKey, secret).
    String wrappedUserKey =
        PythonInterop.call(
                "nbuk1-wrap",
                Map.of("platform_key", pk.encoded(), "user", OWNER, "user_key", userKey))
            .get("wrapped")
            .asText();
    String token =
        PythonInterop.call("fernet-encrypt", Map.of("key", userKey, "plaintext_b64", b64(secret)))
            .get("token")
            .asText();
    String record =
        PythonInterop.call(
                "nbs1-seal",
                Map.of(
                    "public_pem",
                    PUBLIC_PEM,
                    "owner",
                    OWNER,
                    "name",
                    NAME,
                    "inner_b64",
                    b64(token.getBytes(StandardCharsets.US_ASCII))))
            .get("record")
            .asText();

    // Operator side, in Java: remove the outer layer; init side: unwrap the user key, decrypt.
    byte[] inner =
        Envelope.open(SessionKeyRing.ofRsa(List.of(PAIR.getPrivate())), OWNER, NAME, record);
    String handedToInit = UserKeys.unwrap(List.of(pk), OWNER, wrappedUserKey);

    assertThat(new String(inner, StandardCharsets.US_ASCII)).isEqualTo(token);
    assertThat(Fernet.fromKey(handedToInit).decrypt(new String(inner, StandardCharsets.US_ASCII)))
        .isEqualTo(secret);
  }
}
