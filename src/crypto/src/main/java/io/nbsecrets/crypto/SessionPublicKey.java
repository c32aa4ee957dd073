package io.nbsecrets.crypto;

import java.security.PublicKey;
import java.util.Arrays;
import java.util.Objects;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;

/**
 * The public half of a session key pair and its id; the secrets API seals records with it: {@code
 * nbs2} (HPKE, {@link HpkeEnvelope}) for an X-Wing or X25519 key, {@code nbs1} ({@link Envelope})
 * for RSA. Its text form ({@link #pem()}) is SPKI PEM for RSA and the raw public key under {@code
 * HPKE <SUITE> PUBLIC KEY} for HPKE.
 */
public final class SessionPublicKey implements DataKeyWrapper {
  private final String keyId;
  private final PublicKey rsa;
  private final HpkeSuite suite;
  private final byte[] hpke;
  private final AsymmetricKeyParameter recipient;

  private SessionPublicKey(
      String keyId, PublicKey rsa, HpkeSuite suite, byte[] hpke, AsymmetricKeyParameter recipient) {
    this.keyId = keyId;
    this.rsa = rsa;
    this.suite = suite;
    this.hpke = hpke;
    this.recipient = recipient;
  }

  /**
   * An RSA public key.
   *
   * @throws IllegalArgumentException if below {@link RsaKeys#MIN_BITS} bits
   */
  public static SessionPublicKey of(PublicKey key) {
    Objects.requireNonNull(key, "key");
    RsaKeys.requireBits(RsaKeys.bits(key));
    return new SessionPublicKey(RsaKeys.keyId(key), key, null, null, null);
  }

  /**
   * An HPKE public key of {@code suite}.
   *
   * @throws IllegalArgumentException if the bytes are not a public key of the suite
   */
  public static SessionPublicKey of(HpkeSuite suite, byte[] publicKey) {
    Objects.requireNonNull(suite, "suite");
    byte[] raw = Objects.requireNonNull(publicKey, "publicKey").clone();
    AsymmetricKeyParameter recipient;
    try {
      recipient = suite.hpke().deserializePublicKey(raw);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a " + suite.id() + " public key");
    }
    return new SessionPublicKey(HpkeKeyPair.keyId(suite, raw), null, suite, raw, recipient);
  }

  /**
   * Parses the text form (either kind, by its PEM label).
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static SessionPublicKey fromPem(String pem) {
    String label = RsaKeys.pemLabel(pem).orElse("");
    for (HpkeSuite s : HpkeSuite.values()) {
      if (label.equals(SessionPrivateKey.publicLabel(s))) {
        return of(s, RsaKeys.pemBody(pem, label));
      }
    }
    return of(RsaKeys.parsePublicKey(pem));
  }

  @Override
  public String keyId() {
    return keyId;
  }

  /** {@code mlkem768-x25519}, {@code x25519} or {@code rsa-<bits>}. */
  public String algorithm() {
    return suite != null ? suite.id() : "rsa-" + RsaKeys.bits(rsa);
  }

  /** The record format this key seals: {@code nbs2} or {@code nbs1}. */
  public String recordVersion() {
    return suite != null ? HpkeEnvelope.VERSION : Envelope.VERSION;
  }

  /**
   * Seals {@code inner} for {@code owner}'s secret {@code name}: an {@code nbs2} record for an HPKE
   * key, {@code nbs1} for RSA.
   */
  public String seal(String owner, String name, byte[] inner) {
    return suite != null
        ? HpkeEnvelope.seal(suite, keyId, recipient, owner, name, inner)
        : Envelope.sealWrapped(this, owner, name, inner);
  }

  /**
   * RSA-OAEP (SHA-256, MGF1-SHA-256) of {@code dataKey} under this key ({@code nbs1}).
   *
   * @throws IllegalStateException for an HPKE key, which wraps no data key
   */
  @Override
  public byte[] wrap(byte[] dataKey) {
    if (rsa == null) {
      throw new IllegalStateException(keyId + " is an HPKE key: it seals nbs2 records");
    }
    return RsaKeys.wrap(rsa, dataKey);
  }

  /** The text form (see the class comment). */
  public String pem() {
    return rsa != null
        ? RsaKeys.publicKeyPem(rsa)
        : RsaKeys.pem(SessionPrivateKey.publicLabel(suite), hpke);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SessionPublicKey k
        && k.keyId.equals(keyId)
        && Objects.equals(k.rsa, rsa)
        && k.suite == suite
        && Arrays.equals(k.hpke, hpke);
  }

  @Override
  public int hashCode() {
    return keyId.hashCode();
  }

  @Override
  public String toString() {
    return "SessionPublicKey[keyId=" + keyId + "]";
  }
}
