package io.nbsecrets.crypto;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.Function;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.hpke.HPKE;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;

/**
 * The outer layer on HPKE (RFC 9180, base mode, single shot): the record format {@code nbs2}, next
 * to {@link Envelope}'s {@code nbs1}. HPKE takes the place of RSA-OAEP: it seals each record's
 * fresh data key to the session public key, and the value is encrypted under that data key with the
 * JDK's AES-256-GCM (hardware-accelerated; BouncyCastle's, inside its HPKE, is software and ten
 * times slower on a 5,000-character value).
 *
 * <p>A record is seven ASCII fields joined by {@code '.'}:
 *
 * <pre>
 * nbs2.&lt;keyId&gt;.&lt;bind&gt;.&lt;b64u(enc)&gt;.&lt;b64u(sealedDataKey)&gt;.&lt;b64u(nonce)&gt;.&lt;b64u(ciphertext || tag)&gt;
 * </pre>
 *
 * <ul>
 *   <li>{@code keyId}: {@link HpkeKeyPair#keyId} ({@code xw-} or {@code x2-} + 16 hex); its prefix
 *       names the suite ({@link HpkeSuite}).
 *   <li>{@code bind}: as in {@code nbs1}, the first 16 characters of {@code b64u(SHA-256(LP(owner,
 *       name)))}: a quick, readable refusal of a record copied elsewhere.
 *   <li>{@code enc}, {@code sealedDataKey}: HPKE {@code Seal} of the 32-byte data key to the public
 *       key, with {@code info = LP("nbs2", keyId, owner, name)} and an empty {@code aad}.
 *   <li>{@code nonce}: 12 random bytes; {@code ciphertext || tag}: AES-256-GCM of the inner value
 *       under the data key, 128-bit tag, with AAD {@code LP("nbs2", keyId, owner, name)}.
 * </ul>
 *
 * <p>Owner and name are bound twice: in {@code info}, which keys the HPKE context, and in the
 * value's AAD; any change of the header, owner, name, or of a field fails the open.
 *
 * <p>{@link #open} checks, in this order: the syntax, with the lengths of the nonce and the
 * ciphertext ({@link MalformedCiphertextException}), the binding ({@link RecordBindingException}),
 * the key id ({@link UnknownKeyException}), the lengths of {@code enc} and the sealed key ({@link
 * MalformedCiphertextException}), then opens ({@link IntegrityException} on any change, or a record
 * sealed to another key).
 */
public final class HpkeEnvelope {
  /** The version field of records in this format. */
  public static final String VERSION = "nbs2";

  private static final int PARTS = 7;
  private static final int SEALED_KEY_BYTES = Codec.AES256_KEY_BYTES + Codec.GCM_TAG_BYTES;

  private HpkeEnvelope() {}

  /** Seals {@code inner} for {@code owner}'s secret {@code name} to the public key of a suite. */
  public static String seal(
      HpkeSuite suite, byte[] publicKey, String owner, String name, byte[] inner) {
    Objects.requireNonNull(suite, "suite");
    Objects.requireNonNull(publicKey, "publicKey");
    AsymmetricKeyParameter recipient;
    try {
      recipient = suite.hpke().deserializePublicKey(publicKey);
    } catch (RuntimeException e) {
      throw new MalformedCiphertextException("not a " + suite.id() + " public key");
    }
    return seal(suite, HpkeKeyPair.keyId(suite, publicKey), recipient, owner, name, inner);
  }

  /**
   * As {@link #seal(HpkeSuite, byte[], String, String, byte[])}, with the key's id and
   * BouncyCastle's form of it made once ({@link SessionPublicKey} keeps them: the API seals every
   * record with the same key).
   */
  static String seal(
      HpkeSuite suite,
      String keyId,
      AsymmetricKeyParameter recipient,
      String owner,
      String name,
      byte[] inner) {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(inner, "inner");
    HPKE hpke = suite.hpke();
    byte[] context = context(keyId, owner, name);
    byte[] dataKey = Codec.randomBytes(Codec.AES256_KEY_BYTES);
    try {
      byte[][] sealed;
      try {
        sealed = hpke.seal(recipient, context, new byte[0], dataKey, null, null, null);
      } catch (InvalidCipherTextException e) {
        throw new IntegrityException("HPKE seal failed");
      }
      byte[] nonce = Codec.randomBytes(Codec.GCM_NONCE_BYTES);
      byte[] ciphertext = Codec.gcmEncrypt(dataKey, nonce, context, inner);
      // BouncyCastle answers {ciphertext, enc}.
      return String.join(
          ".",
          VERSION,
          keyId,
          Envelope.bind(owner, name),
          Codec.b64url(sealed[1]),
          Codec.b64url(sealed[0]),
          Codec.b64url(nonce),
          Codec.b64url(ciphertext));
    } finally {
      Arrays.fill(dataKey, (byte) 0);
    }
  }

  /**
   * Opens a record sealed for {@code owner}'s secret {@code name}.
   *
   * @param keys the private key of a key id, or null when not held
   * @throws MalformedCiphertextException if the record cannot be parsed
   * @throws RecordBindingException if it is bound to another owner or name
   * @throws UnknownKeyException if its key is not held
   * @throws IntegrityException if it was changed or sealed to another key
   */
  public static byte[] open(
      Function<String, HpkeKeyPair> keys, String owner, String name, String record) {
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(name, "name");
    String[] parts = split(record);
    byte[] enc = Codec.unb64url(parts[3], "encapsulated key");
    byte[] sealedKey = Codec.unb64url(parts[4], "sealed data key");
    Codec.GcmBox box = Codec.GcmBox.decode(parts[5], parts[6]);
    if (!parts[2].equals(Envelope.bind(owner, name))) {
      throw new RecordBindingException("record is bound to another owner or secret name");
    }
    String keyId = parts[1];
    HpkeKeyPair key = HpkeSuite.ofKeyId(keyId).isPresent() ? keys.apply(keyId) : null;
    if (key == null) {
      throw new UnknownKeyException(keyId);
    }
    HPKE hpke = key.suite().hpke();
    if (enc.length != hpke.getEncSize()) {
      throw new MalformedCiphertextException(
          "encapsulated key is " + enc.length + " bytes, not " + hpke.getEncSize());
    }
    if (sealedKey.length != SEALED_KEY_BYTES) {
      throw new MalformedCiphertextException("sealed data key has the wrong length");
    }
    byte[] context = context(keyId, owner, name);
    byte[] dataKey;
    try {
      dataKey = hpke.open(enc, key.bcKeyPair(), context, new byte[0], sealedKey, null, null, null);
    } catch (InvalidCipherTextException | RuntimeException e) {
      throw new IntegrityException("record does not open: changed, or sealed to another key");
    }
    try {
      return box.decrypt(dataKey, context);
    } finally {
      Arrays.fill(dataKey, (byte) 0);
    }
  }

  /**
   * The key id in a record's header, without opening it.
   *
   * @throws MalformedCiphertextException if the record cannot be parsed
   */
  public static String keyId(String record) {
    return split(record)[1];
  }

  /** Whether {@code record} is in this format (by its version field). */
  public static boolean isRecord(String record) {
    return record != null && record.startsWith(VERSION + ".");
  }

  /** HPKE's {@code info} and the value's AAD: {@code LP("nbs2", keyId, owner, name)}. */
  static byte[] context(String keyId, String owner, String name) {
    return Codec.lengthPrefixed(VERSION, keyId, owner, name);
  }

  private static String[] split(String record) {
    if (record == null) {
      throw new MalformedCiphertextException("record is missing");
    }
    String[] parts = record.split("\\.", -1);
    if (parts.length != PARTS || !VERSION.equals(parts[0])) {
      throw new MalformedCiphertextException(
          "record is not " + VERSION + " (" + PARTS + " fields joined by '.')");
    }
    if (!Codec.KEY_ID.matcher(parts[1]).matches()) {
      throw new MalformedCiphertextException("record has an invalid key id");
    }
    if (parts[2].length() != Envelope.BIND_CHARS) {
      throw new MalformedCiphertextException("record has an invalid binding field");
    }
    Codec.unb64url(parts[2], "binding field");
    return Arrays.copyOf(parts, PARTS);
  }
}
