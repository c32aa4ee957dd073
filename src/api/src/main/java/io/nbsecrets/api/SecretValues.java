package io.nbsecrets.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;

/**
 * The value of a {@code PUT /api/v1/secrets/{name}} body, read strictly: nothing is repaired or
 * guessed, so the stored bytes are exactly the bytes the user meant.
 *
 * <ul>
 *   <li>The body is UTF-8 (RFC 3629): overlong forms, surrogates and bytes past U+10FFFF are
 *       refused, never decoded to something else ({@code A\xc0\xafB} is not {@code A/B}).
 *   <li>It is one JSON object with {@code "value"} and, optionally, {@code "encoding"}; duplicate
 *       or unknown fields and trailing data are refused.
 *   <li>{@code "encoding": "base64"}: the standard alphabet of RFC 4648 §4 with its {@code =}
 *       padding, in canonical form (unused bits zero); line breaks (CR, LF) are ignored, as {@code
 *       base64} wraps its output; anything else is refused.
 * </ul>
 *
 * <p>Errors never quote the body.
 */
final class SecretValues {
  /**
   * Strings as long as the largest body any configuration reads: Jackson's default cap (20 million
   * characters) refused base64 values of a 16 MiB limit.
   */
  private static final ObjectMapper READER =
      JsonMapper.builder(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder()
                          .maxStringLength(ApiConfig.maxBodyBytesFor(ApiConfig.MAX_VALUE_BYTES))
                          .build())
                  .build())
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private SecretValues() {}

  /** The value's bytes (UTF-8 for text, decoded for base64); the caller zeroes them after use. */
  static byte[] parse(byte[] body) {
    requireUtf8(body);
    JsonNode root;
    try {
      root = READER.readTree(body);
    } catch (JacksonException e) {
      throw ApiException.badRequest("invalid_json", "the request body is not valid JSON");
    } catch (IOException e) {
      throw ApiException.badRequest("invalid_json", "the request body could not be read as JSON");
    }
    if (root == null || root.isMissingNode() || !root.isObject()) {
      throw ApiException.badRequest(
          "invalid_json", "the request body must be a JSON object such as {\"value\": \"...\"}");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!field.equals("value") && !field.equals("encoding")) {
        throw ApiException.badRequest(
            "invalid_request", "unknown field in the body; allowed are \"value\" and \"encoding\"");
      }
    }
    JsonNode valueNode = root.get("value");
    if (valueNode == null || valueNode.isNull()) {
      throw ApiException.badRequest("invalid_value", "the body has no \"value\"");
    }
    if (!valueNode.isTextual()) {
      throw ApiException.badRequest("invalid_value", "\"value\" must be a JSON string");
    }
    String value = valueNode.textValue();
    JsonNode encodingNode = root.get("encoding");
    String encoding =
        encodingNode == null || encodingNode.isNull()
            ? "text"
            : encodingNode.isTextual() ? encodingNode.textValue() : "";
    byte[] bytes =
        switch (encoding) {
          case "text" -> utf8(value);
          case "base64" -> base64(value);
          default ->
              throw ApiException.badRequest(
                  "unknown_encoding",
                  "unknown \"encoding\"; use \"base64\" for binary values, or leave it out for text");
        };
    if (bytes.length == 0) {
      throw ApiException.badRequest("invalid_value", "value must not be empty");
    }
    return bytes;
  }

  /** Refuses a body that is not well-formed UTF-8 (the JDK's decoder refuses overlong forms). */
  private static void requireUtf8(byte[] body) {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    CharBuffer chars = null;
    try {
      chars = decoder.decode(ByteBuffer.wrap(body));
    } catch (CharacterCodingException e) {
      throw ApiException.badRequest(
          "invalid_utf8",
          "the request body is not valid UTF-8 (overlong forms, surrogates and stray bytes are"
              + " refused; send binary values as base64)");
    } finally {
      if (chars != null && chars.hasArray()) {
        Arrays.fill(chars.array(), '\0');
      }
    }
  }

  private static byte[] utf8(String text) {
    CharsetEncoder encoder =
        StandardCharsets.UTF_8
            .newEncoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      ByteBuffer buffer = encoder.encode(CharBuffer.wrap(text));
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      if (buffer.hasArray()) {
        Arrays.fill(buffer.array(), (byte) 0);
      }
      return bytes;
    } catch (CharacterCodingException e) {
      throw ApiException.badRequest(
          "invalid_value", "value is not valid Unicode text (it has an unpaired surrogate)");
    }
  }

  private static byte[] base64(String text) {
    ByteArrayOutputStream compact = new ByteArrayOutputStream(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\n' || c == '\r') {
        continue;
      }
      if (c > 0x7f) {
        throw invalidBase64();
      }
      compact.write(c);
    }
    byte[] ascii = compact.toByteArray();
    byte[] decoded = null;
    byte[] again = null;
    try {
      if (ascii.length % 4 != 0) {
        throw invalidBase64();
      }
      decoded = Base64.getDecoder().decode(ascii);
      // Canonical: encoding again gives the same characters (no stray bits in the last group).
      again = Base64.getEncoder().encode(decoded);
      if (!Arrays.equals(again, ascii)) {
        Arrays.fill(decoded, (byte) 0);
        throw invalidBase64();
      }
      return decoded;
    } catch (IllegalArgumentException e) {
      throw invalidBase64();
    } finally {
      Arrays.fill(ascii, (byte) 0);
      if (again != null) {
        Arrays.fill(again, (byte) 0);
      }
    }
  }

  private static ApiException invalidBase64() {
    return ApiException.badRequest(
        "invalid_base64",
        "value is not valid base64: use the standard alphabet (A-Z a-z 0-9 + /) with '=' padding"
            + " to a multiple of 4 characters; only line breaks may be added");
  }

  /** Decodes %XX escapes of a path segment (strictly: a broken escape is an invalid name). */
  static String percentDecode(String raw) {
    if (raw.indexOf('%') < 0) {
      return raw;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c != '%') {
        out.write(c > 0x7f ? '?' : c);
        continue;
      }
      if (i + 2 >= raw.length()
          || Character.digit(raw.charAt(i + 1), 16) < 0
          || Character.digit(raw.charAt(i + 2), 16) < 0) {
        throw ApiException.badRequest("invalid_name", "the name is not correctly percent-encoded");
      }
      out.write(
          Character.digit(raw.charAt(i + 1), 16) * 16 + Character.digit(raw.charAt(i + 2), 16));
      i += 2;
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
