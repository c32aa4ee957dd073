package io.nbsecrets.model;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.time.Instant;
import java.util.Base64;
import java.util.OptionalLong;

/**
 * The {@code exp} claim of a token shaped as a JWT (service-account and most OIDC tokens): when it
 * stops being valid. The signature is not checked here: the secrets API reads it only after the API
 * server accepted the token, to cache that answer no longer than the token lives; the init step
 * reads it to say "expired" rather than the API's bare 401. An opaque token, or one without a
 * numeric {@code exp} (a NumericDate, whose fraction is dropped), has none. Read with
 * jackson-core's streaming parser only, which the init step loads anyway (not databind).
 */
public final class TokenExpiry {
  private static final JsonFactory JSON = new JsonFactory();

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
    byte[] payload;
    try {
      payload = Base64.getUrlDecoder().decode(token.substring(first + 1, second));
    } catch (IllegalArgumentException e) {
      return OptionalLong.empty();
    }
    try (JsonParser p = JSON.createParser(payload)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return OptionalLong.empty();
      }
      for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if ("exp".equals(name)) {
          return value == JsonToken.VALUE_NUMBER_INT || value == JsonToken.VALUE_NUMBER_FLOAT
              ? OptionalLong.of(p.getValueAsLong())
              : OptionalLong.empty();
        }
        p.skipChildren();
      }
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
    return OptionalLong.empty();
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
