package io.nbsecrets.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.OptionalLong;

/**
 * The {@code exp} claim of a token shaped as a JWT (service-account and most OIDC tokens): when it
 * stops being valid. The signature is not checked here: the secrets API reads it only after the API
 * server accepted the token, to cache that answer no longer than the token lives; the init step
 * reads it to say "expired" rather than the API's bare 401. An opaque token, one whose claims are
 * not a JSON object in UTF-8, or one without a numeric {@code exp} (a NumericDate, whose fraction
 * is dropped) or with one beyond a long, has none. Read with {@link FlatJson}, which costs the init
 * step's cold JVM far less than a general JSON library's set-up.
 */
public final class TokenExpiry {
  /** Payloads larger than this are not read (a token is at most 16 KiB). */
  private static final int MAX_PAYLOAD_CHARS = 16 * 1024;

  private TokenExpiry() {}

  /** The token's expiry in epoch seconds, when it is a JWT with a numeric {@code exp}. */
  public static OptionalLong epochSeconds(String token) {
    int first = token.indexOf('.');
    int second = first < 0 ? -1 : token.indexOf('.', first + 1);
    if (first <= 0 || second < 0 || second - first - 1 > MAX_PAYLOAD_CHARS) {
      return OptionalLong.empty();
    }
    String exp;
    try {
      byte[] payload = Base64.getUrlDecoder().decode(token.substring(first + 1, second));
      String claims =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(payload))
              .toString();
      exp = FlatJson.numbers(claims).get("exp");
    } catch (IllegalArgumentException | IOException e) {
      return OptionalLong
          .empty(); // not base64url, not UTF-8 (a CharacterCodingException), not JSON
    }
    return exp == null ? OptionalLong.empty() : seconds(exp);
  }

  /** A JSON number's whole seconds, when they fit a long. */
  private static OptionalLong seconds(String number) {
    try {
      if (number.indexOf('.') < 0 && number.indexOf('e') < 0 && number.indexOf('E') < 0) {
        return OptionalLong.of(Long.parseLong(number));
      }
      double value = Double.parseDouble(number);
      return value >= -0x1p63 && value < 0x1p63
          ? OptionalLong.of((long) value)
          : OptionalLong.empty();
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  /** Nanoseconds from {@code now} until the token expires; empty when it has no expiry. */
  public static OptionalLong nanosLeft(String token, Instant now) {
    OptionalLong exp = epochSeconds(token);
    if (exp.isEmpty()) {
      return OptionalLong.empty();
    }
    try {
      long millis =
          Math.subtractExact(Math.multiplyExact(exp.getAsLong(), 1000L), now.toEpochMilli());
      return OptionalLong.of(Math.multiplyExact(Math.max(millis, 0), 1_000_000L));
    } catch (ArithmeticException e) {
      return OptionalLong.empty(); // an expiry beyond any cache's horizon
    }
  }
}
