package io.nbsecrets.api;

import static io.nbsecrets.api.SecretsApiTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.nbsecrets.api.ApiFixture.Reply;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bodies are taken exactly as documented or refused (issue 10, row 8 and item 4): UTF-8 without
 * overlong forms, base64 with its padding, and {@code Content-Type: application/json}.
 */
class StrictInputTest {
  static ApiFixture f;

  @BeforeAll
  static void start() {
    f = new ApiFixture();
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  private static Reply putBytes(String user, String name, byte[] body, String contentType) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(f.uri("/api/v1/secrets/" + name))
            .header("Authorization", "Bearer " + f.userToken(user))
            .PUT(HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    return f.send(b.build());
  }

  /** {@code {"value":"<prefix><raw bytes><suffix>"}} with the bytes given in hex. */
  private static byte[] bodyWithRawBytes(String hex) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes("{\"value\":\"A".getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(HexFormat.of().parseHex(hex));
    out.writeBytes("B\"}".getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  @ParameterizedTest(name = "bytes {0}")
  @ValueSource(
      strings = {
        "c0af", // overlong '/': decoded leniently it would store "A/B"
        "e080af", // overlong '/' in three bytes
        "f08080af", // overlong '/' in four bytes
        "c1bf", // overlong
        "eda080", // a UTF-16 surrogate encoded as UTF-8 (CESU)
        "f4908080", // past U+10FFFF
        "ff", // never valid
        "80", // a continuation byte alone
        "e282" // cut short
      })
  void malformedUtf8IsRefusedNotRepaired(String hex) {
    String user = "utf8-" + hex;
    Reply r = putBytes(user, "v", bodyWithRawBytes(hex), "application/json");
    assertError(r, 400, "invalid_utf8", "not valid UTF-8");
    assertThat(f.store.list(user)).isEmpty();
  }

  @Test
  void wellFormedUtf8IsStoredByteForByte() {
    // U+2F ('/') and U+10FFFF, the last code point, in their shortest forms.
    Reply r = putBytes("utf8-ok", "v", bodyWithRawBytes("2ff48fbfbf"), "application/json");
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    assertThat(f.decryptStored("utf8-ok", "v"))
        .isEqualTo(HexFormat.of().parseHex("412ff48fbfbf42"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "YQ      | unpadded (one byte)",
        "YWI     | unpadded (two bytes)",
        "YQ=     | padding too short",
        "YQ===   | padding too long",
        "YR==    | non-canonical: stray bits in the last group",
        "YW Jj   | a space inside",
        "YW\tJj  | a tab inside",
        "YW-j    | the URL-safe alphabet",
        "=YWJj   | padding first",
      })
  void base64IsTakenOnlyAsDocumented(String value, String what) {
    String user = "b64-" + Math.abs(what.hashCode());
    String body = "{\"value\":\"" + value.replace("\t", "\\t") + "\",\"encoding\":\"base64\"}";
    Reply r = f.call("PUT", "/api/v1/secrets/v", f.userToken(user), body);
    assertError(r, 400, "invalid_base64", "'=' padding");
    assertThat(f.store.list(user)).isEmpty();
  }

  @Test
  void paddedAndLineWrappedBase64IsAccepted() {
    for (String value : new String[] {"YQ==", "YWI=", "YWJj", "YWJj\\nZGVm", "YWJj\\r\\nZGVm"}) {
      String body = "{\"value\":\"" + value + "\",\"encoding\":\"base64\"}";
      Reply r = f.call("PUT", "/api/v1/secrets/v", f.userToken("b64-ok"), body);
      assertThat(r.status()).as(value + ": " + r.body()).isIn(200, 201);
    }
    assertThat(f.decryptStored("b64-ok", "v")).isEqualTo("abcdef".getBytes(StandardCharsets.UTF_8));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      nullValues = "none",
      value = {
        "none                             | no Content-Type",
        "text/plain                       | must be sent as",
        "application/x-www-form-urlencoded | must be sent as",
        "application/json; charset=latin1 | must be UTF-8",
      })
  void jsonBodiesNeedTheJsonContentType(String contentType, String message) {
    byte[] body = "{\"value\":\"v\"}".getBytes(StandardCharsets.UTF_8);
    Reply r = putBytes("ctype", "v", body, contentType);
    assertError(r, 415, "unsupported_media_type", message);
    assertThat(f.store.list("ctype")).isEmpty();
  }

  @Test
  void jsonContentTypeIsMatchedAsMediaTypes() {
    byte[] body = "{\"value\":\"v\"}".getBytes(StandardCharsets.UTF_8);
    assertThat(putBytes("ctype-ok", "a", body, "application/json").status()).isEqualTo(201);
    assertThat(putBytes("ctype-ok", "b", body, "Application/JSON; charset=UTF-8").status())
        .isEqualTo(201);
  }
}
