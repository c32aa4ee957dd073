package io.nbsecrets.crypto;

import java.util.Arrays;
import java.util.Objects;

/**
 * The outer encryption layer and the stored record format {@code nbs1}. The secrets API seals the
 * inner value (a Fernet token under the user's key) with the session public key; only the operator,
 * holding the private key, opens it.
 *
 * <p>A record is six ASCII fields joined by {@code '.'}:
 *
 * <pre>
 * nbs1.&lt;keyId&gt;.&lt;bind&gt;.&lt;b64u(wrappedDataKey)&gt;.&lt;b64u(nonce)&gt;.&lt;b64u(ciphertext || tag)&gt;
 * </pre>
 *
 * <ul>
 *   <li>{@code b64u} is base64url without padding, in its canonical form (no stray bits).
 *   <li>{@code keyId}: the wrapping key's id: {@link RsaKeys#keyId} of the session public key
 *       ({@code rsa-} + 16 hex), or a Vault Transit key's ({@code vt-} + 16 hex, see {@code
 *       io.nbsecrets.store.VaultTransit}).
 *   <li>{@code bind}: the first 16 characters of {@code b64u(SHA-256(LP(owner, name)))}.
 *   <li>{@code dataKey}: 32 fresh random bytes per record; {@code wrappedDataKey} = RSA-OAEP
 *       (SHA-256, MGF1-SHA-256, empty label) of it under the session public key ({@link
 *       RsaKeys#wrap}), as long as the modulus; or, with Vault Transit, the UTF-8 of Transit's
 *       ciphertext ({@code vault:v<n>:...}).
 *   <li>{@code nonce}: 12 random bytes; {@code ciphertext || tag} = AES-256-GCM under {@code
 *       dataKey}, 128-bit tag, with AAD {@code LP("nbs1", keyId, owner, name)}.
 *   <li>{@code LP(f1, f2, ...)}: for each field, its UTF-8 length as a 4-byte big-endian integer,
 *       then its UTF-8 bytes.
 * </ul>
 *
 * <p>{@link #open} checks, in this order: the syntax ({@link MalformedCiphertextException}), the
 * binding ({@link RecordBindingException}: the record was copied to another owner or name), the key
 * id ({@link UnknownKeyException}), the lengths of the nonce and ciphertext ({@link
 * MalformedCiphertextException}), then unwraps the data key (the unwrapper checks the wrapped key's
 * form: {@link MalformedCiphertextException}) and decrypts ({@link IntegrityException} on any
 * change of the header, owner, name, wrapped key, nonce or ciphertext). It returns the whole
 * plaintext or throws.
 */
public final class Envelope {
  /** The version field of records in this format. */
  public static final String VERSION = "nbs1";

  static final int BIND_CHARS = 16;
  private static final int PARTS = 6;

  private Envelope() {}

  /**
   * Seals {@code inner} for {@code owner}'s secret {@code name} under {@code key}: a session public
   * key seals in its own format ({@code nbs2} for HPKE keys, see {@link HpkeEnvelope}), any other
   * wrapper (RSA, Vault Transit) in {@code nbs1}.
   *
   * @return the record
   */
  public static String seal(DataKeyWrapper key, String owner, String name, byte[] inner) {
    Objects.requireNonNull(key, "key");
    if (key instanceof SessionPublicKey sessionKey) {
      return sessionKey.seal(owner, name, inner);
    }
    return sealWrapped(key, owner, name, inner);
  }

  /** An {@code nbs1} record: {@code inner} under a fresh data key wrapped by {@code key}. */
  static String sealWrapped(DataKeyWrapper key, String owner, String name, byte[] inner) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(inner, "inner");
    byte[] aad = Codec.lengthPrefixed(VERSION, key.keyId(), owner, name);
    String bind = bind(owner, name);
    byte[] dataKey = Codec.randomBytes(Codec.AES256_KEY_BYTES);
    try {
      byte[] nonce = Codec.randomBytes(Codec.GCM_NONCE_BYTES);
      byte[] ciphertext = Codec.gcmEncrypt(dataKey, nonce, aad, inner);
      byte[] wrapped = key.wrap(dataKey);
      return String.join(
          ".",
          VERSION,
          key.keyId(),
          bind,
          Codec.b64url(wrapped),
          Codec.b64url(nonce),
          Codec.b64url(ciphertext));
    } finally {
      Arrays.fill(dataKey, (byte) 0);
    }
  }

  /**
   * Opens a record sealed for {@code owner}'s secret {@code name}: {@code nbs1}, or {@code nbs2}
   * with an HPKE key of {@code ring} ({@link DataKeyUnwrapper#hpkeKey}).
   *
   * @return the inner value
   * @throws MalformedCiphertextException if the record cannot be parsed
   * @throws RecordBindingException if it is bound to another owner or name
   * @throws UnknownKeyException if its key id is not in {@code ring}
   * @throws IntegrityException if it was changed or sealed under another key
   */
  public static byte[] open(DataKeyUnwrapper ring, String owner, String name, String record) {
    Objects.requireNonNull(ring, "ring");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(name, "name");
    if (HpkeEnvelope.isRecord(record)) {
      return HpkeEnvelope.open(ring::hpkeKey, owner, name, record);
    }
    String[] parts = split(record);
    byte[] wrapped = Codec.unb64url(parts[3], "wrapped data key");
    Codec.GcmBox box = Codec.GcmBox.decode(parts[4], parts[5]);
    if (!parts[2].equals(bind(owner, name))) {
      throw new RecordBindingException("record is bound to another owner or secret name");
    }
    String keyId = parts[1];
    if (!ring.holds(keyId)) {
      throw new UnknownKeyException(keyId);
    }
    byte[] dataKey = ring.unwrap(keyId, wrapped);
    try {
      if (dataKey.length != Codec.AES256_KEY_BYTES) {
        throw new IntegrityException("unwrapped data key has the wrong length");
      }
      byte[] aad = Codec.lengthPrefixed(VERSION, keyId, owner, name);
      return box.decrypt(dataKey, aad);
    } finally {
      Arrays.fill(dataKey, (byte) 0);
    }
  }

  /**
   * Re-seals a record under {@code key} (a key rotation): opens it with {@code ring} and seals the
   * inner value again with a fresh data key. The inner value (still encrypted with the user's key)
   * is zeroed afterwards and never leaves this method.
   *
   * @throws CryptoException as {@link #open} does
   */
  public static String reseal(
      DataKeyUnwrapper ring, DataKeyWrapper key, String owner, String name, String record) {
    byte[] inner = open(ring, owner, name, record);
    try {
      return seal(key, owner, name, inner);
    } finally {
      Arrays.fill(inner, (byte) 0);
    }
  }

  /**
   * The wrapped data key of an {@code nbs1} record, as stored (for a key service that re-wraps it
   * in place).
   *
   * @throws MalformedCiphertextException if the record cannot be parsed
   */
  public static byte[] wrappedKey(String record) {
    return Codec.unb64url(split(record)[3], "wrapped data key");
  }

  /**
   * The record with another wrapping of the same data key under the same key id (Vault Transit's
   * rewrap to a newer key version). The wrapped key is not part of the AAD, so the ciphertext stays
   * valid; a wrapping of another data key makes {@link #open} fail its integrity check.
   *
   * @throws MalformedCiphertextException if the record cannot be parsed
   */
  public static String withWrappedKey(String record, byte[] wrapped) {
    String[] parts = split(record);
    parts[3] = Codec.b64url(wrapped);
    return String.join(".", parts);
  }

  /**
   * The key id in a record's header ({@code nbs1} or {@code nbs2}), without decrypting (to find
   * records to re-seal after a key rotation).
   *
   * @throws MalformedCiphertextException if the record cannot be parsed
   */
  public static String keyId(String record) {
    if (HpkeEnvelope.isRecord(record)) {
      return HpkeEnvelope.keyId(record);
    }
    return split(record)[1];
  }

  /** The binding field for {@code owner} and {@code name}. */
  static String bind(String owner, String name) {
    return Codec.b64url(Codec.sha256(Codec.lengthPrefixed(owner, name))).substring(0, BIND_CHARS);
  }

  /** Splits a record and checks its version, key id and binding syntax. */
  private static String[] split(String record) {
    Objects.requireNonNull(record, "record");
    String[] parts = record.split("\\.", -1);
    if (parts.length != PARTS) {
      if (parts.length > 0 && !parts[0].equals(VERSION)) {
        throw new MalformedCiphertextException("not an nbs1 record");
      }
      throw new MalformedCiphertextException(
          "record has " + parts.length + " fields instead of " + PARTS);
    }
    if (!parts[0].equals(VERSION)) {
      throw new MalformedCiphertextException("not an nbs1 record (unknown version)");
    }
    if (!Codec.KEY_ID.matcher(parts[1]).matches()) {
      throw new MalformedCiphertextException("record's key id is malformed");
    }
    if (parts[2].length() != BIND_CHARS) {
      throw new MalformedCiphertextException("record's binding field is malformed");
    }
    Codec.unb64url(parts[2], "binding field");
    return parts;
  }
}
