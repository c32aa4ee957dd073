package io.nbsecrets.util;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Byte encodings shared by the crypto formats, the stores and content hashes. */
public final class Bytes {
  private Bytes() {}

  /**
   * The length-prefixed encoding of {@code fields}: for each, its UTF-8 length as a 4-byte
   * big-endian unsigned integer, then its UTF-8 bytes. Unambiguous: distinct lists never collide.
   *
   * @throws IllegalArgumentException for a string with an unpaired surrogate
   */
  public static byte[] lengthPrefixed(String... fields) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String field : fields) {
      byte[] utf8 = strictUtf8(field);
      out.writeBytes(ByteBuffer.allocate(4).putInt(utf8.length).array());
      out.writeBytes(utf8);
    }
    return out.toByteArray();
  }

  /**
   * UTF-8 that refuses unpaired surrogates instead of replacing them with '?'.
   *
   * @throws IllegalArgumentException for a string with an unpaired surrogate
   */
  public static byte[] strictUtf8(String text) {
    try {
      ByteBuffer buffer =
          StandardCharsets.UTF_8
              .newEncoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .encode(CharBuffer.wrap(text));
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("text is not well-formed Unicode (unpaired surrogate)");
    }
  }

  /**
   * Decodes UTF-8, refusing malformed input instead of replacing it with U+FFFD.
   *
   * @throws IllegalArgumentException for bytes that are not well-formed UTF-8
   */
  public static String decodeStrictUtf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("bytes are not well-formed UTF-8");
    }
  }

  /** SHA-256 of the concatenated {@code parts}. */
  public static byte[] sha256(byte[]... parts) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (byte[] part : parts) {
        digest.update(part);
      }
      return digest.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
