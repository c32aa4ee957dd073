package io.nbsecrets.crypto;

import java.util.Optional;
import org.bouncycastle.crypto.hpke.HPKE;

/**
 * The HPKE (RFC 9180) suites of the outer layer, base mode, each with HKDF-SHA256 and AES-256-GCM:
 * the KEM is what differs. The primitives are BouncyCastle's ({@link HPKE}); nothing here combines
 * keys by hand.
 */
public enum HpkeSuite {
  /**
   * The hybrid post-quantum KEM ML-KEM-768 + X25519 (X-Wing, KEM id {@code 0x647a}): secure while
   * either holds. Python's {@code cryptography} calls it {@code KEM.MLKEM768_X25519}.
   */
  MLKEM768_X25519("mlkem768-x25519", "xw", HPKE.kem_MLKEM768_X25519),
  /** DHKEM(X25519, HKDF-SHA256), KEM id {@code 0x0020}. */
  X25519("x25519", "x2", HPKE.kem_X25519_SHA256);

  private final String id;
  private final String keyIdPrefix;
  private final short kem;

  HpkeSuite(String id, String keyIdPrefix, short kem) {
    this.id = id;
    this.keyIdPrefix = keyIdPrefix;
    this.kem = kem;
  }

  /** The name settings use: {@code mlkem768-x25519} or {@code x25519}. */
  public String id() {
    return id;
  }

  /** The start of its keys' ids ({@code xw-} or {@code x2-} + 16 hex characters). */
  String keyIdPrefix() {
    return keyIdPrefix;
  }

  /** The RFC 9180 KEM id. */
  public int kemId() {
    return kem & 0xffff;
  }

  /** A new BouncyCastle HPKE context for this suite (not thread-safe: one per call). */
  HPKE hpke() {
    return new HPKE(HPKE.mode_base, kem, HPKE.kdf_HKDF_SHA256, HPKE.aead_AES_GCM256);
  }

  /** The suite of a key id, by its prefix. */
  static Optional<HpkeSuite> ofKeyId(String keyId) {
    for (HpkeSuite s : values()) {
      if (keyId.startsWith(s.keyIdPrefix + "-")) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }
}
