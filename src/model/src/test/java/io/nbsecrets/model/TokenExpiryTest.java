package io.nbsecrets.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class TokenExpiryTest {
  private static String jwt(String claims) {
    return jwt(claims.getBytes(StandardCharsets.UTF_8));
  }

  private static String jwt(byte[] claims) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return b64.encodeToString("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8))
        + "."
        + b64.encodeToString(claims)
        + ".c2lnbmF0dXJl";
  }

  @Test
  void readsANumericExpAndDropsItsFraction() {
    assertThat(TokenExpiry.epochSeconds(jwt("{\"sub\":\"a\",\"exp\":1764590000}")))
        .hasValue(1764590000L);
    assertThat(TokenExpiry.epochSeconds(jwt("{\"exp\":1700.9}"))).hasValue(1700L);
    assertThat(TokenExpiry.epochSeconds(jwt("{\"exp\":1.7E3}"))).hasValue(1700L);
    assertThat(TokenExpiry.epochSeconds(jwt("{\"exp\":-5}"))).hasValue(-5L);
    // Of two claims of a name, the last (RFC 7519, section 4).
    assertThat(TokenExpiry.epochSeconds(jwt("{\"exp\":\"x\",\"exp\":1800}"))).hasValue(1800L);
    // Nested claims of the same name are not the token's.
    assertThat(TokenExpiry.epochSeconds(jwt("{\"kubernetes.io\":{\"exp\":5},\"exp\":6}")))
        .hasValue(6L);
  }

  @Test
  void hasNoneWithoutANumericExpThatFitsALong() {
    for (String claims :
        new String[] {
          "{}",
          "{\"exp\":\"1700\"}",
          "{\"exp\":null}",
          "{\"exp\":true}",
          "{\"exp\":[1700]}",
          "{\"kubernetes.io\":{\"exp\":5}}",
          "{\"exp\":99999999999999999999}",
          "{\"exp\":1e300}",
          "[{\"exp\":1700}]",
          "{\"exp\":1700",
          "{\"exp\":01700}",
          "{\"exp\":1700,\"exp\":\"x\"}"
        }) {
      assertThat(TokenExpiry.epochSeconds(jwt(claims))).as(claims).isEmpty();
    }
    assertThat(
            TokenExpiry.epochSeconds(jwt(new byte[] {'{', '"', (byte) 0xC3, '"', ':', '1', '}'})))
        .as("claims that are not UTF-8")
        .isEmpty();
    assertThat(TokenExpiry.epochSeconds("an-opaque-token")).isEmpty();
    assertThat(TokenExpiry.epochSeconds("a.!!!.c")).isEmpty();
    assertThat(TokenExpiry.epochSeconds("a." + "e".repeat(20_000) + ".c")).isEmpty();
  }

  @Test
  void nanosLeftCountsFromNowAndNeverGoesBelowZero() {
    String token = jwt("{\"exp\":1800}");
    assertThat(TokenExpiry.nanosLeft(token, Instant.ofEpochSecond(1700)))
        .hasValue(100_000_000_000L);
    assertThat(TokenExpiry.nanosLeft(token, Instant.ofEpochSecond(1900))).hasValue(0L);
    assertThat(TokenExpiry.nanosLeft(jwt("{\"exp\":9223372036854775807}"), Instant.now()))
        .isEmpty();
  }
}
