package io.nbsecrets.init;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nbsecrets.crypto.Fernet;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Random;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The init step's libcrypto Fernet against the JDK's ({@link Fernet}, itself checked against the
 * specification's vectors and Python's {@code cryptography}): the same plaintexts, and the same
 * typed failures with the same messages, on the official vectors and on many random and damaged
 * tokens. Runs where the build made the library (OpenSSL's headers present: the profile {@code
 * native} of src/init/pom.xml sets {@value NativeFernet#LIBRARY_PROPERTY}).
 */
class NativeFernetTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void libraryBuilt() {
    assumeTrue(
        System.getProperty(NativeFernet.LIBRARY_PROPERTY) != null,
        "no libcrypto library built here (Debian: apt-get install gcc libssl-dev)");
    assertThat(NativeFernet.problem()).as("why the library is not used").isEmpty();
    assertThat(NativeFernet.available()).isTrue();
    assertThat(NativeFernet.warning()).isEmpty();
  }

  @Test
  void theSpecificationsVectorsDecryptAlike() throws IOException {
    for (JsonNode v : vectors("verify.json")) {
      String key = v.get("secret").asText();
      String token = v.get("token").asText();
      assertThat(NativeFernet.fromKey(key).decryptText(bytes(token)))
          .get()
          .isEqualTo(v.get("src").asText().getBytes(StandardCharsets.UTF_8))
          .isEqualTo(Fernet.fromKey(key).decrypt(token));
    }
  }

  @Test
  void theSpecificationsInvalidVectorsFailAlike() throws IOException {
    int compared = 0;
    for (JsonNode v : vectors("invalid.json")) {
      // Without a TTL: nbsecrets' tokens do not expire, so the time vectors decrypt in both.
      assertSameOutcome(v.get("secret").asText(), v.get("token").asText());
      compared++;
    }
    assertThat(compared).isGreaterThanOrEqualTo(8);
  }

  @Test
  void randomTokensOfEveryLengthDecryptAlike() {
    Random random = new Random(20261203L);
    for (int i = 0; i < 600; i++) {
      String key = Fernet.generateKey();
      byte[] plain = new byte[i < 100 ? i : random.nextInt(70_000)];
      random.nextBytes(plain);
      String token = Fernet.fromKey(key).encrypt(plain);

      assertThat(NativeFernet.fromKey(key).decryptText(bytes(token))).hasValue(plain);
    }
  }

  @Test
  void damagedTokensFailAlike() {
    Random random = new Random(7L);
    String key = Fernet.generateKey();
    for (int i = 0; i < 400; i++) {
      byte[] plain = new byte[random.nextInt(200)];
      random.nextBytes(plain);
      byte[] token = Base64.getUrlDecoder().decode(Fernet.fromKey(key).encrypt(plain));
      byte[] damaged = token.clone();
      switch (i % 4) {
        case 0 -> damaged[random.nextInt(damaged.length)] ^= (byte) (1 << random.nextInt(8));
        case 1 -> damaged = Arrays.copyOf(damaged, damaged.length - 1 - random.nextInt(40));
        case 2 -> damaged = Arrays.copyOf(damaged, damaged.length + 1 + random.nextInt(40));
        default -> damaged[0] = (byte) random.nextInt(256);
      }
      assertSameOutcome(key, Base64.getUrlEncoder().encodeToString(damaged));
      assertSameOutcome(Fernet.generateKey(), Base64.getUrlEncoder().encodeToString(token));
    }
  }

  /**
   * Tokens whose HMAC is right but whose last block is random: libcrypto's padding check must
   * refuse what the JDK's refuses (and accept the rare random block that happens to be padded).
   */
  @Test
  void authenticTokensWithBadPaddingFailAlike() throws GeneralSecurityException {
    Random random = new Random(11L);
    String key = Fernet.generateKey();
    byte[] rawKey = Base64.getUrlDecoder().decode(key);
    int refused = 0;
    for (int i = 0; i < 300; i++) {
      byte[] plain = new byte[random.nextInt(100)];
      random.nextBytes(plain);
      byte[] token = Base64.getUrlDecoder().decode(Fernet.fromKey(key).encrypt(plain));
      int macOffset = token.length - 32;
      byte[] block = new byte[16];
      random.nextBytes(block);
      System.arraycopy(block, 0, token, macOffset - 16, 16);
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(rawKey, 0, 16, "HmacSHA256"));
      mac.update(token, 0, macOffset);
      System.arraycopy(mac.doFinal(), 0, token, macOffset, 32);

      if (assertSameOutcome(key, Base64.getUrlEncoder().encodeToString(token)) != null) {
        refused++;
      }
    }
    assertThat(refused).as("random last blocks refused for their padding").isGreaterThan(250);
  }

  @Test
  void aTokenAsItsFileHoldsItOpensInLibcrypto() {
    Random random = new Random(3L);
    for (int i = 0; i < 300; i++) {
      String key = Fernet.generateKey();
      byte[] plain = new byte[random.nextInt(9_000)];
      random.nextBytes(plain);
      String token = Fernet.fromKey(key).encrypt(plain);
      String[] around = {"", "\n", " \t", "\r\n"};
      String text = around[i % 4] + token + around[(i / 4) % 4];

      assertThat(NativeFernet.fromKey(key).decryptText(text.getBytes(StandardCharsets.US_ASCII)))
          .as("token %d", i)
          .hasValue(plain);
    }
  }

  @Test
  void aTextThatIsNotCanonicalIsLeftToTheJdksWay() {
    String key = Fernet.generateKey();
    String token = Fernet.fromKey(key).encrypt(new byte[] {9, 8, 7, 6});
    NativeFernet fernet = NativeFernet.fromKey(key);
    String unpadded = token.replace("=", "");
    String standardAlphabet = token.replace('-', '+').replace('_', '/');
    String[] unusual = {
      unpadded.equals(token) ? token + "A" : unpadded,
      token.substring(0, 20) + "\n" + token.substring(20),
      token.substring(0, 8) + "=" + token.substring(9),
      "",
      "====",
      token + "\u00a0",
      standardAlphabet.equals(token) ? "+" + token.substring(1) : standardAlphabet,
    };
    // Control characters around the token, which the init step has always trimmed (trim(), not
    // strip()): libcrypto trims them too.
    for (String edge : new String[] {"\u0001" + token, token + "\u001b", "\u0000" + token}) {
      assertSameOutcome(key, edge);
    }
    for (String text : unusual) {
      assertThat(fernet.decryptText(text.getBytes(StandardCharsets.UTF_8))).as(text).isEmpty();
      assertSameOutcome(key, text);
    }
    // Well-formed base64, but not a token: too short, or another version.
    byte[] raw = Base64.getUrlDecoder().decode(token);
    raw[0] = (byte) 0x81;
    for (String text :
        new String[] {
          Base64.getUrlEncoder().encodeToString(Arrays.copyOf(raw, 56)),
          Base64.getUrlEncoder().encodeToString(raw)
        }) {
      assertThat(fernet.decryptText(text.getBytes(StandardCharsets.US_ASCII))).as(text).isEmpty();
    }
  }

  @Test
  void aKeyOrAPlaintextNeverShowsInAFailure() {
    String key = Fernet.generateKey();
    String token = Fernet.fromKey(key).encrypt("s3cr3t-value".getBytes(StandardCharsets.UTF_8));
    String damaged =
        token.substring(0, 40) + (token.charAt(40) == 'A' ? 'B' : 'A') + token.substring(41);

    Throwable thrown = catchThrowable(() -> InnerLayer.forKey(key).open(bytes(damaged)));

    Throwable thrownFromText =
        catchThrowable(
            () ->
                NativeFernet.fromKey(key).decryptText(damaged.getBytes(StandardCharsets.US_ASCII)));

    assertThat(thrown).isNotNull();
    assertThat(thrown.toString()).doesNotContain(key).doesNotContain("s3cr3t");
    assertThat(thrownFromText).isNotNull();
    assertThat(thrownFromText.toString()).doesNotContain(key).doesNotContain("s3cr3t");
    assertThat(NativeFernet.fromKey(key).toString()).doesNotContain(key);
  }

  @Test
  void aMalformedKeyFailsAsTheJdksFernetDoes() {
    for (String bad :
        new String[] {"", "not base64 !", Base64.getUrlEncoder().encodeToString(new byte[31])}) {
      Throwable expected = catchThrowable(() -> Fernet.fromKey(bad));
      Throwable actual = catchThrowable(() -> NativeFernet.fromKey(bad));
      assertThat(actual).isExactlyInstanceOf(expected.getClass()).hasMessage(expected.getMessage());
      Throwable layer = catchThrowable(() -> InnerLayer.forKey(bad));
      assertThat(layer).isExactlyInstanceOf(expected.getClass()).hasMessage(expected.getMessage());
    }
  }

  @Test
  void aFileThatIsNotUtf8IsRefusedAsText() {
    byte[] notUtf8 = {(byte) 0xc3, (byte) 0x28, 'A', 'B'};

    Throwable thrown = catchThrowable(() -> InnerLayer.forKey(Fernet.generateKey()).open(notUtf8));

    assertThat(thrown).isExactlyInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aLibraryThatCannotBeUsedIsToldWithItsPath(@TempDir Path dir) throws IOException {
    Path notALibrary = Files.writeString(dir.resolve("libnot.so"), "not an ELF file");

    assertThat(NativeFernet.load(null)).get().asString().contains(NativeFernet.LIBRARY_PROPERTY);
    assertThat(NativeFernet.load(dir.resolve("missing.so").toString()))
        .get()
        .asString()
        .contains("missing.so")
        .contains("does not exist");
    assertThat(NativeFernet.load(notALibrary.toString()))
        .get()
        .asString()
        .contains(notALibrary.toString())
        .contains("cannot be used");
    // The library already loaded stays in use.
    assertThat(NativeFernet.available()).isTrue();
  }

  @Test
  void aTimestampIsNotChecked() {
    String key = Fernet.generateKey();
    byte[] iv = new byte[16];
    String old = Fernet.fromKey(key).encrypt(new byte[] {1, 2, 3}, Instant.ofEpochSecond(0), iv);
    ByteBuffer.wrap(Base64.getUrlDecoder().decode(old)); // a token of 1970

    assertThat(NativeFernet.fromKey(key).decryptText(bytes(old)))
        .get()
        .isEqualTo(new byte[] {1, 2, 3});
  }

  /**
   * The init step's inner layer ({@link InnerLayer}: libcrypto, else the JDK) and the JDK's Fernet
   * on the file's text trimmed (what the step did before libcrypto) give the same bytes, or fail
   * with the same type and message (returned); libcrypto's own answer, when it gives one, is that
   * plaintext.
   */
  private static Throwable assertSameOutcome(String key, String token) {
    Fernet jdk;
    try {
      jdk = Fernet.fromKey(key);
    } catch (IllegalArgumentException e) {
      return e;
    }
    byte[][] expected = new byte[1][];
    Throwable expectedFailure = catchThrowable(() -> expected[0] = jdk.decrypt(token.trim()));
    byte[] text = bytes(token);
    byte[][] actual = new byte[1][];
    Throwable actualFailure = catchThrowable(() -> actual[0] = InnerLayer.forKey(key).open(text));
    if (expectedFailure == null) {
      assertThat(actualFailure).as("the inner layer's failure").isNull();
      assertThat(actual[0]).isEqualTo(expected[0]);
    } else {
      assertThat(actualFailure)
          .as("the inner layer's failure")
          .isExactlyInstanceOf(expectedFailure.getClass())
          .hasMessage(expectedFailure.getMessage());
    }
    byte[][] opened = new byte[1][];
    Throwable libcryptoFailure =
        catchThrowable(() -> opened[0] = NativeFernet.fromKey(key).decryptText(text).orElse(null));
    if (libcryptoFailure == null && opened[0] != null) {
      assertThat(opened[0]).as("libcrypto's plaintext").isEqualTo(expected[0]);
    } else if (libcryptoFailure != null) {
      assertThat(expectedFailure).as("the JDK's failure").isNotNull();
      assertThat(libcryptoFailure)
          .as("libcrypto's failure")
          .isExactlyInstanceOf(expectedFailure.getClass())
          .hasMessage(expectedFailure.getMessage());
    }
    return expectedFailure;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static Iterable<JsonNode> vectors(String file) throws IOException {
    try (InputStream in = NativeFernetTest.class.getResourceAsStream("/fernet/" + file)) {
      assertThat(in).as(file).isNotNull();
      return JSON.readTree(in);
    }
  }
}
