package io.nbsecrets.crypto;

import java.util.Arrays;
import java.util.List;

/**
 * The algorithm of a session key pair, the outer layer's: a setting ({@code keys.algorithm}) and
 * the {@code --key-algorithm} of {@code rotate-keys}. The HPKE suites seal {@code nbs2} records;
 * RSA-OAEP, kept for sites that need FIPS-approved algorithms, seals {@code nbs1}.
 */
public enum SessionKeyAlgorithm {
  /** HPKE with X-Wing (ML-KEM-768 + X25519): post-quantum and classical at once. The default. */
  MLKEM768_X25519(HpkeSuite.MLKEM768_X25519, 0),
  /** HPKE with DHKEM(X25519). */
  X25519(HpkeSuite.X25519, 0),
  RSA_4096(null, 4096),
  RSA_3072(null, 3072),
  RSA_2048(null, 2048);

  /** The algorithm of keys the operator generates unless configured otherwise. */
  public static final SessionKeyAlgorithm DEFAULT = MLKEM768_X25519;

  private final HpkeSuite suite;
  private final int rsaBits;

  SessionKeyAlgorithm(HpkeSuite suite, int rsaBits) {
    this.suite = suite;
    this.rsaBits = rsaBits;
  }

  /** The name settings use: {@code mlkem768-x25519}, {@code x25519}, {@code rsa-4096}, ... */
  public String id() {
    return suite != null ? suite.id() : "rsa-" + rsaBits;
  }

  /** Every name, default first (for messages and schemas). */
  public static List<String> ids() {
    return Arrays.stream(values()).map(SessionKeyAlgorithm::id).toList();
  }

  /**
   * The algorithm named {@code id}.
   *
   * @throws IllegalArgumentException naming the allowed values
   */
  public static SessionKeyAlgorithm of(String id) {
    for (SessionKeyAlgorithm a : values()) {
      if (a.id().equals(id)) {
        return a;
      }
    }
    throw new IllegalArgumentException(
        "session key algorithm must be one of " + ids() + ", got: " + id);
  }

  /** The record format its keys seal: {@code nbs2} (HPKE) or {@code nbs1} (RSA-OAEP). */
  public String recordVersion() {
    return suite != null ? HpkeEnvelope.VERSION : Envelope.VERSION;
  }

  /** A new random key pair. */
  public SessionPrivateKey generate() {
    return suite != null
        ? SessionPrivateKey.of(HpkeKeyPair.generate(suite))
        : SessionPrivateKey.of(RsaKeys.generate(rsaBits).getPrivate());
  }

  @Override
  public String toString() {
    return id();
  }
}
