package io.nbsecrets.crypto;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * RSA session keys: generation, PEM (SPKI public keys, unencrypted PKCS#8 private keys), key ids,
 * and RSA-OAEP with SHA-256 and MGF1-SHA-256 (empty label) to wrap data keys. Messages never
 * contain key material.
 */
public final class RsaKeys {
  public static final int DEFAULT_BITS = 4096;
  public static final int MIN_BITS = 2048;

  /**
   * Explicit, because {@code OAEPWithSHA-256AndMGF1Padding} alone would use MGF1 with SHA-1 in the
   * JCA, which other libraries (Python's {@code cryptography} with {@code MGF1(SHA256())}) reject.
   */
  private static final OAEPParameterSpec OAEP_SHA256 =
      new OAEPParameterSpec(
          "SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);

  private static final Pattern PEM =
      Pattern.compile("-----BEGIN ([A-Z0-9 -]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);
  private static final Pattern PEM_BEGIN = Pattern.compile("-----BEGIN ([A-Z0-9 -]+)-----");

  private RsaKeys() {}

  /**
   * A new RSA key pair with public exponent 65537.
   *
   * @throws IllegalArgumentException if {@code bits} is below {@link #MIN_BITS}
   */
  public static KeyPair generate(int bits) {
    requireBits(bits);
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(
          new RSAKeyGenParameterSpec(bits, RSAKeyGenParameterSpec.F4), Codec.random());
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA is not available: " + e.getClass().getName());
    }
  }

  /** {@code key} as SPKI PEM ({@code -----BEGIN PUBLIC KEY-----}), 64-character lines. */
  public static String publicKeyPem(PublicKey key) {
    Objects.requireNonNull(key, "key");
    if (!"X.509".equals(key.getFormat())) {
      throw new IllegalArgumentException("public key has no SPKI (X.509) encoding");
    }
    return pem("PUBLIC KEY", key.getEncoded());
  }

  /** {@code key} as unencrypted PKCS#8 PEM ({@code -----BEGIN PRIVATE KEY-----}), 64-char lines. */
  public static String privateKeyPem(PrivateKey key) {
    Objects.requireNonNull(key, "key");
    if (!"PKCS#8".equals(key.getFormat())) {
      throw new IllegalArgumentException("private key has no PKCS#8 encoding");
    }
    return pem("PRIVATE KEY", key.getEncoded());
  }

  /**
   * Parses an SPKI PEM RSA public key of at least {@link #MIN_BITS} bits.
   *
   * @throws IllegalArgumentException if it is not one (the message does not contain the input)
   */
  public static PublicKey parsePublicKey(String pem) {
    byte[] der = pemBody(pem, "PUBLIC KEY");
    PublicKey key;
    try {
      key = rsaFactory().generatePublic(new X509EncodedKeySpec(der));
    } catch (InvalidKeySpecException e) {
      throw new IllegalArgumentException(
          "not an RSA public key in SPKI encoding (" + e.getClass().getSimpleName() + ")");
    }
    requireBits(bits(key));
    return key;
  }

  /**
   * Parses an unencrypted PKCS#8 PEM RSA private key of at least {@link #MIN_BITS} bits.
   *
   * @throws IllegalArgumentException if it is not one, with a hint for PKCS#1 ({@code BEGIN RSA
   *     PRIVATE KEY}) and encrypted keys (the message does not contain the input)
   */
  public static PrivateKey parsePrivateKey(String pem) {
    byte[] der = pemBody(pem, "PRIVATE KEY");
    PrivateKey key;
    try {
      key = rsaFactory().generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (InvalidKeySpecException e) {
      throw new IllegalArgumentException(
          "not an RSA private key in PKCS#8 encoding (" + e.getClass().getSimpleName() + ")");
    } finally {
      Arrays.fill(der, (byte) 0);
    }
    if (!(key instanceof RSAPrivateCrtKey)) {
      throw new IllegalArgumentException(
          "RSA private key lacks its CRT parameters and public exponent");
    }
    requireBits(bits(key));
    return key;
  }

  /** The public half of an RSA private key (its modulus and public exponent). */
  public static PublicKey publicKeyOf(PrivateKey key) {
    Objects.requireNonNull(key, "key");
    if (!(key instanceof RSAPrivateCrtKey crt)) {
      throw new IllegalArgumentException(
          "need an RSA private key with CRT parameters (as parsed from PKCS#8)");
    }
    BigInteger exponent = crt.getPublicExponent();
    if (exponent == null || exponent.signum() <= 0) {
      throw new IllegalArgumentException("RSA private key lacks its public exponent");
    }
    try {
      return rsaFactory().generatePublic(new RSAPublicKeySpec(crt.getModulus(), exponent));
    } catch (InvalidKeySpecException e) {
      throw new IllegalArgumentException("invalid RSA private key");
    }
  }

  /**
   * {@code "rsa-"} followed by the first 16 lowercase hex characters of SHA-256 over the key's SPKI
   * DER encoding. Stable across PEM round trips and libraries.
   */
  public static String keyId(PublicKey key) {
    Objects.requireNonNull(key, "key");
    if (!"X.509".equals(key.getFormat())) {
      throw new IllegalArgumentException("public key has no SPKI (X.509) encoding");
    }
    return "rsa-" + Codec.hexPrefix(Codec.sha256(key.getEncoded()), 16);
  }

  /**
   * RSA-OAEP (SHA-256, MGF1-SHA-256, empty label) encryption of {@code dataKey}; the result is as
   * long as the modulus.
   */
  public static byte[] wrap(PublicKey key, byte[] dataKey) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(dataKey, "dataKey");
    int max = (bits(key) + 7) / 8 - 2 * 32 - 2;
    if (dataKey.length > max) {
      throw new IllegalArgumentException(
          "data key of " + dataKey.length + " bytes exceeds the " + max + " bytes this key wraps");
    }
    try {
      Cipher cipher = Cipher.getInstance("RSA/ECB/OAEPPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, OAEP_SHA256, Codec.random());
      return cipher.doFinal(dataKey);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA-OAEP failed: " + e.getClass().getName());
    }
  }

  /**
   * Reverses {@link #wrap}.
   *
   * @throws IntegrityException if it fails: another key, or the wrapped bytes were changed
   */
  public static byte[] unwrap(PrivateKey key, byte[] wrapped) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(wrapped, "wrapped");
    Cipher cipher;
    try {
      cipher = Cipher.getInstance("RSA/ECB/OAEPPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, OAEP_SHA256);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA-OAEP is not available: " + e.getClass().getName());
    }
    try {
      return cipher.doFinal(wrapped);
    } catch (GeneralSecurityException e) {
      throw new IntegrityException("could not unwrap the data key: tampered or wrong key");
    }
  }

  /** The modulus length in bits of an RSA key. */
  static int bits(Key key) {
    if (!(key instanceof RSAKey rsa)) {
      throw new IllegalArgumentException("not an RSA key");
    }
    return rsa.getModulus().bitLength();
  }

  /** The modulus length in bytes (the length of a wrapped key). */
  static int modulusBytes(Key key) {
    return (bits(key) + 7) / 8;
  }

  public static void requireBits(int bits) {
    if (bits < MIN_BITS) {
      throw new IllegalArgumentException(
          "RSA keys must have at least " + MIN_BITS + " bits, got " + bits);
    }
  }

  private static KeyFactory rsaFactory() {
    try {
      return KeyFactory.getInstance("RSA");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA is not available", e);
    }
  }

  static String pem(String label, byte[] der) {
    String body =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
  }

  /** The label of the first PEM block in {@code pem} ({@code PRIVATE KEY}, ...), if any. */
  static java.util.Optional<String> pemLabel(String pem) {
    Matcher begin = PEM_BEGIN.matcher(Objects.requireNonNull(pem, "pem"));
    return begin.find() ? java.util.Optional.of(begin.group(1)) : java.util.Optional.empty();
  }

  static byte[] pemBody(String pem, String expected) {
    Objects.requireNonNull(pem, "pem");
    Matcher begin = PEM_BEGIN.matcher(pem);
    if (!begin.find()) {
      throw new IllegalArgumentException(
          "not a PEM key: expected -----BEGIN " + expected + "-----");
    }
    String label = begin.group(1);
    if (label.equals("RSA PRIVATE KEY")) {
      throw new IllegalArgumentException(
          "this is a PKCS#1 RSA private key (BEGIN RSA PRIVATE KEY); convert it to PKCS#8 with:"
              + " openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-pkcs8.pem");
    }
    if (label.equals("ENCRYPTED PRIVATE KEY")) {
      throw new IllegalArgumentException(
          "encrypted private keys are not supported; store it unencrypted in PKCS#8 with:"
              + " openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-pkcs8.pem");
    }
    if (label.equals("RSA PUBLIC KEY")) {
      throw new IllegalArgumentException(
          "this is a PKCS#1 RSA public key (BEGIN RSA PUBLIC KEY); convert it to SPKI with:"
              + " openssl rsa -RSAPublicKey_in -in key.pem -pubout -out key-spki.pem");
    }
    if (!label.equals(expected)) {
      throw new IllegalArgumentException(
          "expected -----BEGIN " + expected + "-----, found -----BEGIN " + label + "-----");
    }
    Matcher block = PEM.matcher(pem);
    if (!block.find(begin.start())) {
      throw new IllegalArgumentException("PEM block has no matching -----END " + label + "-----");
    }
    String body = block.group(2).replaceAll("\\s+", "");
    try {
      return Base64.getDecoder().decode(body);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("PEM body is not valid base64");
    }
  }
}
