package io.nbsecrets.crypto;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Fernet symmetric encryption, as specified at <a
 * href="https://github.com/fernet/spec/blob/master/Spec.md">github.com/fernet/spec</a> and
 * implemented by Python's {@code cryptography.fernet}; tokens are interchangeable with it.
 *
 * <p>Key: 32 bytes, URL-safe base64 with padding; the first 16 bytes are the HMAC-SHA256 signing
 * key, the last 16 the AES-128 encryption key. Token (URL-safe base64 with padding) of:
 *
 * <pre>
 * version (1 byte, 0x80) || timestamp (8 bytes, big-endian seconds since the epoch)
 *   || IV (16 bytes) || AES-128-CBC-PKCS7(plaintext) || HMAC-SHA256(everything before it)
 * </pre>
 *
 * <p>Decryption checks the structure, then the HMAC (in constant time), then (when a TTL is given)
 * the timestamp, and only then decrypts. The spec checks the TTL before the HMAC; checking the HMAC
 * first accepts and rejects exactly the same tokens, but never acts on an unauthenticated
 * timestamp. Instances are immutable and thread-safe.
 */
public final class Fernet {
  /** Tokens more than this far in the future are refused when a TTL is checked (spec). */
  public static final Duration MAX_CLOCK_SKEW = Duration.ofSeconds(60);

  private static final byte VERSION = (byte) 0x80;
  private static final int KEY_BYTES = 32;
  private static final int HALF_KEY_BYTES = 16;
  private static final int IV_BYTES = 16;
  private static final int BLOCK_BYTES = 16;
  private static final int HMAC_BYTES = 32;
  private static final int HEADER_BYTES = 1 + 8 + IV_BYTES;
  private static final int MIN_TOKEN_BYTES = HEADER_BYTES + BLOCK_BYTES + HMAC_BYTES;

  private final SecretKeySpec signingKey;
  private final SecretKeySpec encryptionKey;

  private Fernet(byte[] key) {
    this.signingKey = new SecretKeySpec(key, 0, HALF_KEY_BYTES, "HmacSHA256");
    this.encryptionKey = new SecretKeySpec(key, HALF_KEY_BYTES, HALF_KEY_BYTES, "AES");
  }

  /** A new random key: 32 bytes from a {@code SecureRandom}, URL-safe base64 with padding. */
  public static String generateKey() {
    byte[] key = Codec.randomBytes(KEY_BYTES);
    try {
      return Base64.getUrlEncoder().encodeToString(key);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /**
   * The Fernet for {@code urlSafeBase64Key} (as made by {@link #generateKey()} or Python's {@code
   * Fernet.generate_key()}; surrounding whitespace is ignored).
   *
   * @throws IllegalArgumentException if it is not URL-safe base64 of 32 bytes (the message does not
   *     contain the key)
   */
  public static Fernet fromKey(String urlSafeBase64Key) {
    Objects.requireNonNull(urlSafeBase64Key, "key");
    byte[] key;
    try {
      key = Base64.getUrlDecoder().decode(urlSafeBase64Key.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Fernet key is not URL-safe base64");
    }
    try {
      if (key.length != KEY_BYTES) {
        throw new IllegalArgumentException(
            "Fernet key must be 32 bytes of URL-safe base64, got " + key.length + " bytes");
      }
      return new Fernet(key);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /** Encrypts {@code plaintext} with the current time and a random IV. */
  public String encrypt(byte[] plaintext) {
    return encrypt(plaintext, Instant.now(), Codec.randomBytes(IV_BYTES));
  }

  /**
   * Encrypts {@code plaintext} with the given timestamp and IV. Only for test vectors: a repeated
   * IV leaks information, so use {@link #encrypt(byte[])}.
   */
  public String encrypt(byte[] plaintext, Instant now, byte[] iv) {
    Objects.requireNonNull(plaintext, "plaintext");
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(iv, "iv");
    if (iv.length != IV_BYTES) {
      throw new IllegalArgumentException("IV must be 16 bytes");
    }
    if (now.getEpochSecond() < 0) {
      throw new IllegalArgumentException("timestamp must not be before 1970");
    }
    byte[] ciphertext;
    try {
      Cipher cipher = Cipher.getInstance("AES/CBC/PKCS5Padding");
      cipher.init(Cipher.ENCRYPT_MODE, encryptionKey, new IvParameterSpec(iv));
      ciphertext = cipher.doFinal(plaintext);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CBC is not available: " + e.getClass().getName());
    }
    ByteBuffer token = ByteBuffer.allocate(HEADER_BYTES + ciphertext.length + HMAC_BYTES);
    token.put(VERSION).putLong(now.getEpochSecond()).put(iv).put(ciphertext);
    token.put(hmac(token.array(), token.position()));
    return Base64.getUrlEncoder().encodeToString(token.array());
  }

  /**
   * Decrypts {@code token} (surrounding whitespace is ignored) without a time limit (nbsecrets'
   * tokens do not expire).
   *
   * @throws MalformedCiphertextException if the token cannot be parsed or its padding is wrong
   * @throws IntegrityException if the HMAC does not match (tampered or another key)
   */
  public byte[] decrypt(String token) {
    return decryptChecked(token, null, null);
  }

  /**
   * Decrypts {@code token} if it is at most {@code ttl} old at {@code now} and its timestamp is not
   * more than {@link #MAX_CLOCK_SKEW} after {@code now}.
   *
   * @throws TokenExpiredException if it is too old or too far in the future
   * @throws MalformedCiphertextException if the token cannot be parsed or its padding is wrong
   * @throws IntegrityException if the HMAC does not match (tampered or another key)
   */
  public byte[] decrypt(String token, Duration ttl, Instant now) {
    Objects.requireNonNull(ttl, "ttl");
    Objects.requireNonNull(now, "now");
    if (ttl.isNegative()) {
      throw new IllegalArgumentException("ttl must not be negative");
    }
    return decryptChecked(token, ttl, now);
  }

  /**
   * The bytes of {@code token} (surrounding whitespace is ignored), once its structure is checked:
   * URL-safe base64, long enough, version {@code 0x80}, whole cipher blocks.
   *
   * @throws MalformedCiphertextException if the token cannot be parsed
   */
  private static byte[] tokenBytes(String token) {
    Objects.requireNonNull(token, "token");
    byte[] data;
    try {
      data = Base64.getUrlDecoder().decode(token.strip());
    } catch (IllegalArgumentException e) {
      throw new MalformedCiphertextException("Fernet token is not URL-safe base64");
    }
    if (data.length < MIN_TOKEN_BYTES) {
      throw new MalformedCiphertextException("Fernet token is too short");
    }
    if (data[0] != VERSION) {
      throw new MalformedCiphertextException("Fernet token has an unknown version");
    }
    if ((data.length - HEADER_BYTES - HMAC_BYTES) % BLOCK_BYTES != 0) {
      throw new MalformedCiphertextException(
          "Fernet token's ciphertext is not a multiple of the block size");
    }
    return data;
  }

  /** The failure of a token whose HMAC does not match, whichever implementation found it. */
  public static IntegrityException hmacMismatch() {
    return new IntegrityException("Fernet token's HMAC does not match: tampered or wrong key");
  }

  /** The failure of a token whose plaintext padding is wrong, whichever implementation found it. */
  public static MalformedCiphertextException badPadding() {
    return new MalformedCiphertextException("Fernet token's plaintext padding is invalid");
  }

  /** Decrypts; checks the time only when {@code ttl} is not null. */
  private byte[] decryptChecked(String token, Duration ttl, Instant now) {
    byte[] data = tokenBytes(token);
    int ciphertextLength = data.length - HEADER_BYTES - HMAC_BYTES;
    int macOffset = data.length - HMAC_BYTES;
    byte[] expected = hmac(data, macOffset);
    byte[] actual = Arrays.copyOfRange(data, macOffset, data.length);
    if (!MessageDigest.isEqual(expected, actual)) {
      throw hmacMismatch();
    }
    if (ttl != null) {
      checkTime(ByteBuffer.wrap(data, 1, 8).getLong(), ttl, now);
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/CBC/PKCS5Padding");
      cipher.init(Cipher.DECRYPT_MODE, encryptionKey, new IvParameterSpec(data, 1 + 8, IV_BYTES));
      return cipher.doFinal(data, HEADER_BYTES, ciphertextLength);
    } catch (BadPaddingException e) {
      throw badPadding();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CBC is not available: " + e.getClass().getName());
    }
  }

  private static void checkTime(long timestamp, Duration ttl, Instant now) {
    long current = now.getEpochSecond();
    // A timestamp with the top bit set reads as negative: it lies beyond any plausible future.
    if (timestamp < 0 || timestamp > current + MAX_CLOCK_SKEW.getSeconds()) {
      throw new TokenExpiredException(
          "Fernet token's timestamp is more than "
              + MAX_CLOCK_SKEW.getSeconds()
              + " s in the future (clock skew)");
    }
    if (current - timestamp > ttl.getSeconds()) {
      throw new TokenExpiredException(
          "Fernet token has expired: older than " + ttl.getSeconds() + " s");
    }
  }

  private byte[] hmac(byte[] data, int length) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(signingKey);
      mac.update(data, 0, length);
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available: " + e.getClass().getName());
    }
  }

  /** Never shows the key. */
  @Override
  public String toString() {
    return "Fernet[key=<redacted>]";
  }
}
