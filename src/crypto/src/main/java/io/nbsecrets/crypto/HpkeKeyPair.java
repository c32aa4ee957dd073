package io.nbsecrets.crypto;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.hpke.HPKE;

/**
 * A session key pair of an {@link HpkeSuite}, as raw bytes: the private key is X25519's 32-byte
 * scalar, or X-Wing's 32-byte seed; the public key is 32 bytes (X25519) or 1,216 (X-Wing). {@link
 * #toString()} never shows the private key.
 */
public final class HpkeKeyPair {
  private final HpkeSuite suite;
  private final byte[] privateKey;
  private final byte[] publicKey;
  private final String keyId;
  private volatile AsymmetricCipherKeyPair bcPair;

  private HpkeKeyPair(HpkeSuite suite, byte[] privateKey, byte[] publicKey) {
    this.suite = suite;
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    this.keyId = keyId(suite, publicKey);
  }

  /** A new random key pair. */
  public static HpkeKeyPair generate(HpkeSuite suite) {
    HPKE hpke = suite.hpke();
    AsymmetricCipherKeyPair pair = hpke.generatePrivateKey();
    return new HpkeKeyPair(
        suite,
        hpke.serializePrivateKey(pair.getPrivate()),
        hpke.serializePublicKey(pair.getPublic()));
  }

  /**
   * The key pair of {@code privateKey} (its public key is derived, so the two cannot disagree).
   *
   * @throws MalformedCiphertextException when the bytes are not a private key of the suite
   */
  public static HpkeKeyPair fromPrivateKey(HpkeSuite suite, byte[] privateKey) {
    Objects.requireNonNull(privateKey, "privateKey");
    HPKE hpke = suite.hpke();
    try {
      AsymmetricCipherKeyPair pair = hpke.deserializePrivateKey(privateKey.clone(), null);
      return new HpkeKeyPair(
          suite,
          hpke.serializePrivateKey(pair.getPrivate()),
          hpke.serializePublicKey(pair.getPublic()));
    } catch (RuntimeException e) {
      throw new MalformedCiphertextException("not a " + suite.id() + " private key");
    }
  }

  /** The id records name the key by: the suite's prefix + 16 hex of SHA-256 of the public key. */
  public static String keyId(HpkeSuite suite, byte[] publicKey) {
    return suite.keyIdPrefix()
        + "-"
        + Codec.hexPrefix(
            Codec.sha256(Codec.lengthPrefixed("nbsecrets hpke key id", suite.id()), publicKey), 16);
  }

  public HpkeSuite suite() {
    return suite;
  }

  public String keyId() {
    return keyId;
  }

  /** A copy of the public key. */
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /** A copy of the private key: for storing it in the key Secret, nowhere else. */
  public byte[] privateKey() {
    return privateKey.clone();
  }

  /**
   * BouncyCastle's form of the pair, made once: expanding an X-Wing seed into its ML-KEM key costs
   * more than a decapsulation. BouncyCastle's key parameters are immutable and its decapsulation
   * keeps no state in them, so threads share it.
   */
  AsymmetricCipherKeyPair bcKeyPair() {
    AsymmetricCipherKeyPair pair = bcPair;
    if (pair == null) {
      pair = suite.hpke().deserializePrivateKey(privateKey.clone(), publicKey.clone());
      bcPair = pair;
    }
    return pair;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HpkeKeyPair k
        && k.suite == suite
        && MessageDigest.isEqual(k.privateKey, privateKey)
        && Arrays.equals(k.publicKey, publicKey);
  }

  @Override
  public int hashCode() {
    return keyId.hashCode();
  }

  @Override
  public String toString() {
    return "HpkeKeyPair{" + suite.id() + ", " + keyId + "}";
  }
}
