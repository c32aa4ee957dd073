package io.nbsecrets.crypto;

import io.nbsecrets.util.Bytes;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** Shared encodings and primitives of the package. Never puts input values into messages. */
final class Codec {
  /**
   * The one source of randomness, made on first use (a holder class): seeding it costs tens of
   * milliseconds, and the init step, which only decrypts, never needs it.
   */
  static SecureRandom random() {
    return RandomHolder.RANDOM;
  }

  private static final class RandomHolder {
    static final SecureRandom RANDOM = new SecureRandom();
  }

  static final int AES256_KEY_BYTES = 32;
  static final int GCM_NONCE_BYTES = 12;
  static final int GCM_TAG_BITS = 128;
  static final int GCM_TAG_BYTES = GCM_TAG_BITS / 8;

  /** Characters allowed in the key-id field of a header. */
  static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64URL_DECODER = Base64.getUrlDecoder();

  private Codec() {}

  static byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    random().nextBytes(bytes);
    return bytes;
  }

  /** Base64url without padding. */
  static String b64url(byte[] bytes) {
    return B64URL.encodeToString(bytes);
  }

  /**
   * Strict base64url without padding: only the URL-safe alphabet, and the canonical encoding (no
   * stray trailing bits), so that every change of a character changes the decoded bytes.
   */
  static byte[] unb64url(String text, String what) {
    // The decoder refuses characters outside the URL-safe alphabet; re-encoding refuses padding
    // and stray trailing bits. (No separate scan of the text: it costs more than decoding it.)
    byte[] bytes;
    try {
      bytes = B64URL_DECODER.decode(text);
    } catch (IllegalArgumentException e) {
      throw new MalformedCiphertextException(what + " is not unpadded base64url");
    }
    if (!B64URL.encodeToString(bytes).equals(text)) {
      throw new MalformedCiphertextException(what + " is not canonical base64url");
    }
    return bytes;
  }

  static byte[] lengthPrefixed(String... fields) {
    return Bytes.lengthPrefixed(fields);
  }

  static byte[] strictUtf8(String text) {
    return Bytes.strictUtf8(text);
  }

  static String strictUtf8(byte[] bytes, String what) {
    try {
      return Bytes.decodeStrictUtf8(bytes);
    } catch (IllegalArgumentException e) {
      throw new MalformedCiphertextException(what + " is not valid UTF-8");
    }
  }

  static byte[] sha256(byte[]... parts) {
    return Bytes.sha256(parts);
  }

  /** The first {@code chars} lowercase hex characters of {@code bytes}. */
  static String hexPrefix(byte[] bytes, int chars) {
    return HexFormat.of().formatHex(bytes).substring(0, chars);
  }

  /** AES-256-GCM encryption with a 128-bit tag; returns ciphertext || tag. */
  static byte[] gcmEncrypt(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) {
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(
          Cipher.ENCRYPT_MODE,
          new SecretKeySpec(key, "AES"),
          new GCMParameterSpec(GCM_TAG_BITS, nonce));
      cipher.updateAAD(aad);
      return cipher.doFinal(plaintext);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available: " + e.getClass().getName());
    }
  }

  /**
   * AES-256-GCM decryption of ciphertext || tag. The JCA releases no plaintext before the tag is
   * verified, so a failure never yields partial plaintext.
   */
  static byte[] gcmDecrypt(byte[] key, byte[] nonce, byte[] aad, byte[] ciphertextAndTag) {
    Cipher cipher;
    try {
      cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(
          Cipher.DECRYPT_MODE,
          new SecretKeySpec(key, "AES"),
          new GCMParameterSpec(GCM_TAG_BITS, nonce));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available: " + e.getClass().getName());
    }
    try {
      cipher.updateAAD(aad);
      return cipher.doFinal(ciphertextAndTag);
    } catch (GeneralSecurityException e) {
      throw new IntegrityException("authentication failed: tampered data or wrong key", e);
    }
  }

  /**
   * A GCM nonce and ciphertext (tag included), decoded from their base64url fields and checked for
   * length.
   */
  record GcmBox(byte[] nonce, byte[] ciphertext) {
    /**
     * @throws MalformedCiphertextException if a field is not base64url or has the wrong length
     */
    static GcmBox decode(String nonce, String ciphertext) {
      GcmBox box = new GcmBox(unb64url(nonce, "nonce"), unb64url(ciphertext, "ciphertext"));
      if (box.nonce.length != GCM_NONCE_BYTES) {
        throw new MalformedCiphertextException("nonce has the wrong length");
      }
      if (box.ciphertext.length < GCM_TAG_BYTES) {
        throw new MalformedCiphertextException("ciphertext is shorter than its tag");
      }
      return box;
    }

    /** {@link #gcmDecrypt} of this box. */
    byte[] decrypt(byte[] key, byte[] aad) {
      return gcmDecrypt(key, nonce, aad, ciphertext);
    }
  }
}
