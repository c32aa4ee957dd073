package io.nbsecrets.crypto;

import java.security.PrivateKey;
import java.util.Arrays;
import java.util.Objects;

/**
 * One session private key: an RSA key (records {@code nbs1}) or an HPKE key pair ({@code nbs2}).
 * Its text form is PEM: PKCS#8 ({@code PRIVATE KEY}) for RSA; for HPKE, the suite's raw private key
 * (X25519's scalar, X-Wing's 32-byte seed) under the label {@code HPKE X25519 PRIVATE KEY} or
 * {@code HPKE MLKEM768-X25519 PRIVATE KEY}, as no standard PKCS#8 form of X-Wing exists yet. The
 * operator's keys Secret and mounted key files hold that form. {@link #toString()} shows the id.
 */
public final class SessionPrivateKey {
  private final PrivateKey rsa;
  private final HpkeKeyPair hpke;
  private final SessionPublicKey publicKey;

  private SessionPrivateKey(PrivateKey rsa, HpkeKeyPair hpke) {
    this.rsa = rsa;
    this.hpke = hpke;
    this.publicKey =
        rsa != null
            ? SessionPublicKey.of(RsaKeys.publicKeyOf(rsa))
            : SessionPublicKey.of(hpke.suite(), hpke.publicKey());
  }

  /**
   * An RSA private key with CRT parameters.
   *
   * @throws IllegalArgumentException if it is not one, or below {@link RsaKeys#MIN_BITS} bits
   */
  public static SessionPrivateKey of(PrivateKey rsa) {
    return new SessionPrivateKey(Objects.requireNonNull(rsa, "rsa"), null);
  }

  public static SessionPrivateKey of(HpkeKeyPair hpke) {
    return new SessionPrivateKey(null, Objects.requireNonNull(hpke, "hpke"));
  }

  /**
   * Parses the PEM form (either kind, by its label).
   *
   * @throws IllegalArgumentException naming what is wrong (never showing the input)
   */
  public static SessionPrivateKey fromPem(String pem) {
    String label = RsaKeys.pemLabel(pem).orElse("");
    for (HpkeSuite suite : HpkeSuite.values()) {
      if (label.equals(privateLabel(suite))) {
        byte[] raw = RsaKeys.pemBody(pem, label);
        try {
          return of(HpkeKeyPair.fromPrivateKey(suite, raw));
        } catch (MalformedCiphertextException e) {
          throw new IllegalArgumentException(e.getMessage());
        } finally {
          Arrays.fill(raw, (byte) 0);
        }
      }
    }
    return of(RsaKeys.parsePrivateKey(pem));
  }

  /** The PEM form (see the class comment): key material, for the keys Secret only. */
  public String pem() {
    if (rsa != null) {
      return RsaKeys.privateKeyPem(rsa);
    }
    byte[] raw = hpke.privateKey();
    try {
      return RsaKeys.pem(privateLabel(hpke.suite()), raw);
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
  }

  public String keyId() {
    return publicKey.keyId();
  }

  public SessionPublicKey publicKey() {
    return publicKey;
  }

  /** The RSA key, or null for an HPKE key. */
  PrivateKey rsa() {
    return rsa;
  }

  /** The HPKE key pair, or null for an RSA key. */
  HpkeKeyPair hpke() {
    return hpke;
  }

  static String privateLabel(HpkeSuite suite) {
    return "HPKE " + suite.id().toUpperCase(java.util.Locale.ROOT) + " PRIVATE KEY";
  }

  static String publicLabel(HpkeSuite suite) {
    return "HPKE " + suite.id().toUpperCase(java.util.Locale.ROOT) + " PUBLIC KEY";
  }

  /** Keys are equal when they are the same key (their ids name their public halves). */
  @Override
  public boolean equals(Object o) {
    return o instanceof SessionPrivateKey k && k.keyId().equals(keyId());
  }

  @Override
  public int hashCode() {
    return keyId().hashCode();
  }

  @Override
  public String toString() {
    return "SessionPrivateKey[" + keyId() + "]";
  }
}
