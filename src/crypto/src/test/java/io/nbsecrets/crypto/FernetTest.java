package io.nbsecrets.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class FernetTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The typed error each official invalid vector must raise. */
  private static final Map<String, Class<? extends CryptoException>> INVALID_TYPES =
      Map.of(
          "incorrect mac", IntegrityException.class,
          "too short", MalformedCiphertextException.class,
          "invalid base64", MalformedCiphertextException.class,
          "payload size not multiple of block size", MalformedCiphertextException.class,
          "payload padding error", MalformedCiphertextException.class,
          "far-future TS (unacceptable clock skew)", TokenExpiredException.class,
          "expired TTL", TokenExpiredException.class,
          "incorrect IV (causes padding error)", MalformedCiphertextException.class);

  static List<JsonNode> vectors(String file) throws IOException {
    try (InputStream in = FernetTest.class.getResourceAsStream("/fernet/" + file)) {
      assertThat(in).as(file).isNotNull();
      List<JsonNode> list = new ArrayList<>();
      JSON.readTree(in).forEach(list::add);
      assertThat(list).as(file).isNotEmpty();
      return list;
    }
  }

  static Stream<Arguments> generateVectors() throws IOException {
    return vectors("generate.json").stream().map(Arguments::of);
  }

  static Stream<Arguments> verifyVectors() throws IOException {
    return vectors("verify.json").stream().map(Arguments::of);
  }

  static Stream<Arguments> invalidVectors() throws IOException {
    return vectors("invalid.json").stream().map(v -> Arguments.of(v.get("desc").asText(), v));
  }

  private static Instant now(JsonNode vector) {
    return OffsetDateTime.parse(vector.get("now").asText()).toInstant();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @MethodSource("generateVectors")
  void generateVectorIsReproducedByteExactly(JsonNode v) {
    byte[] iv = new byte[v.get("iv").size()];
    for (int i = 0; i < iv.length; i++) {
      iv[i] = (byte) v.get("iv").get(i).asInt();
    }
    Fernet fernet = Fernet.fromKey(v.get("secret").asText());

    String token = fernet.encrypt(utf8(v.get("src").asText()), now(v), iv);

    assertThat(token).isEqualTo(v.get("token").asText());
  }

  @ParameterizedTest
  @MethodSource("verifyVectors")
  void verifyVectorDecrypts(JsonNode v) {
    Fernet fernet = Fernet.fromKey(v.get("secret").asText());
    Duration ttl = Duration.ofSeconds(v.get("ttl_sec").asLong());

    assertThat(fernet.decrypt(v.get("token").asText(), ttl, now(v)))
        .isEqualTo(utf8(v.get("src").asText()));
    assertThat(fernet.decrypt(v.get("token").asText())).isEqualTo(utf8(v.get("src").asText()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidVectors")
  void invalidVectorIsRejectedWithTypedError(String desc, JsonNode v) {
    Fernet fernet = Fernet.fromKey(v.get("secret").asText());
    Duration ttl = Duration.ofSeconds(v.get("ttl_sec").asLong());
    assertThat(INVALID_TYPES).as("expected type known for '%s'", desc).containsKey(desc);

    Throwable thrown = catchThrowable(() -> fernet.decrypt(v.get("token").asText(), ttl, now(v)));

    assertThat(thrown).isExactlyInstanceOf(INVALID_TYPES.get(desc));
    Leaks.assertNoLeak(thrown, v.get("token").asText(), v.get("secret").asText());
  }

  @Test
  void everyInvalidVectorIsCovered() throws IOException {
    assertThat(vectors("invalid.json").stream().map(v -> v.get("desc").asText()))
        .containsExactlyInAnyOrderElementsOf(INVALID_TYPES.keySet());
  }

  @Test
  void timeIsOnlyCheckedWhenTtlIsGiven() throws IOException {
    for (JsonNode v : vectors("invalid.json")) {
      if (INVALID_TYPES.get(v.get("desc").asText()) == TokenExpiredException.class) {
        Fernet fernet = Fernet.fromKey(v.get("secret").asText());
        assertThat(fernet.decrypt(v.get("token").asText())).as(v.get("desc").asText()).isNotNull();
      }
    }
  }

  @Test
  void ttlBoundaries() {
    Fernet fernet = Fernet.fromKey(Fernet.generateKey());
    Instant t = Instant.parse("2030-01-01T00:00:00Z");
    String token = fernet.encrypt(utf8("x"), t, new byte[16]);
    Duration ttl = Duration.ofSeconds(60);

    assertThat(fernet.decrypt(token, ttl, t.plusSeconds(60))).isEqualTo(utf8("x"));
    assertThatThrownBy(() -> fernet.decrypt(token, ttl, t.plusSeconds(61)))
        .isInstanceOf(TokenExpiredException.class);
    assertThat(fernet.decrypt(token, ttl, t.minusSeconds(60))).isEqualTo(utf8("x"));
    assertThatThrownBy(() -> fernet.decrypt(token, ttl, t.minusSeconds(61)))
        .isInstanceOf(TokenExpiredException.class)
        .hasMessageContaining("future");
  }

  @Test
  void roundTripsTextEmptyLargeAndBinaryValues() {
    Fernet fernet = Fernet.fromKey(Fernet.generateKey());
    byte[] binary = new byte[256];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) i;
    }
    byte[] large = Codec.randomBytes(128 * 1024);

    for (byte[] value : List.of(utf8("päss wörd ✓"), new byte[0], large, binary)) {
      String token = fernet.encrypt(value);
      assertThat(fernet.decrypt(token)).isEqualTo(value);
      assertThat(Base64.getUrlDecoder().decode(token)[0]).isEqualTo((byte) 0x80);
    }
  }

  @Test
  void surroundingWhitespaceOfATokenIsIgnored() {
    Fernet fernet = Fernet.fromKey(Fernet.generateKey());
    String token = fernet.encrypt(utf8("v"));

    assertThat(fernet.decrypt(token + "\n")).isEqualTo(utf8("v"));
    assertThatThrownBy(() -> fernet.decrypt(token.substring(0, 20) + " " + token.substring(20)))
        .isInstanceOf(MalformedCiphertextException.class);
  }

  @Test
  void encryptionIsRandomized() {
    Fernet fernet = Fernet.fromKey(Fernet.generateKey());

    assertThat(fernet.encrypt(utf8("same"))).isNotEqualTo(fernet.encrypt(utf8("same")));
  }

  @Test
  void anotherKeyFailsIntegrity() {
    String token = Fernet.fromKey(Fernet.generateKey()).encrypt(utf8("secret-value-1"));

    Throwable thrown = catchThrowable(() -> Fernet.fromKey(Fernet.generateKey()).decrypt(token));

    assertThat(thrown).isInstanceOf(IntegrityException.class);
    Leaks.assertNoLeak(thrown, "secret-value-1", token);
  }

  @Test
  void everyFlippedByteIsDetected() {
    Fernet fernet = Fernet.fromKey(Fernet.generateKey());
    byte[] data = Base64.getUrlDecoder().decode(fernet.encrypt(utf8("flip me")));

    for (int i = 0; i < data.length; i++) {
      byte[] copy = data.clone();
      copy[i] ^= 0x01;
      String tampered = Base64.getUrlEncoder().encodeToString(copy);
      assertThatThrownBy(() -> fernet.decrypt(tampered))
          .as("byte %d", i)
          .isInstanceOf(i == 0 ? MalformedCiphertextException.class : IntegrityException.class);
    }
  }

  @Test
  void truncatedTokensAreRejected() {
    Fernet fernet = Fernet.fromKey(Fernet.generateKey());
    byte[] data = Base64.getUrlDecoder().decode(fernet.encrypt(utf8("a 20-byte plaintext!")));

    for (int length = 0; length < data.length; length++) {
      String truncated = Base64.getUrlEncoder().encodeToString(Arrays.copyOf(data, length));
      assertThatThrownBy(() -> fernet.decrypt(truncated))
          .as("length %d", length)
          .isInstanceOfAny(MalformedCiphertextException.class, IntegrityException.class);
    }
  }

  @Test
  void keysAreUrlSafeBase64Of32BytesWithPadding() {
    String key = Fernet.generateKey();

    assertThat(key).hasSize(44).endsWith("=").matches("[A-Za-z0-9_-]{43}=");
    assertThat(Base64.getUrlDecoder().decode(key)).hasSize(32);
    assertThat(Fernet.generateKey()).isNotEqualTo(key);
  }

  @Test
  void badKeysAreRefusedWithoutEchoingThem() {
    String shortKey = Base64.getUrlEncoder().encodeToString(new byte[31]);
    String notBase64 = "not*base64*" + "k".repeat(33);

    for (String bad : List.of(shortKey, notBase64, "")) {
      Throwable thrown = catchThrowable(() -> Fernet.fromKey(bad));
      assertThat(thrown).as(bad).isExactlyInstanceOf(IllegalArgumentException.class);
      if (!bad.isEmpty()) {
        Leaks.assertNoLeak(thrown, bad);
      }
    }
  }

  @Test
  void toStringShowsNoKey() {
    String key = Fernet.generateKey();

    assertThat(Fernet.fromKey(key).toString())
        .doesNotContain(key)
        .doesNotContain(key.substring(0, 8))
        .contains("redacted");
  }
}
