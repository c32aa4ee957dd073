/**
 * Cryptography of nbsecrets (see {@code docs/security.md}): {@link io.nbsecrets.crypto.Fernet} (the
 * inner layer, under each user's key), {@link io.nbsecrets.crypto.Envelope} (the outer layer, under
 * the session key pair: it seals and opens both stored record formats, {@code nbs1} with RSA-OAEP
 * and {@code nbs2} with HPKE, {@link io.nbsecrets.crypto.HpkeEnvelope}), the session keys of each
 * {@link io.nbsecrets.crypto.SessionKeyAlgorithm} ({@link io.nbsecrets.crypto.SessionKeyRing}), and
 * {@link io.nbsecrets.crypto.UserKeys} (users' keys at rest under the {@link
 * io.nbsecrets.crypto.PlatformKey}, format {@code nbuk1}).
 *
 * <p>Errors are unchecked {@link io.nbsecrets.crypto.CryptoException}s whose messages never contain
 * plaintext, keys or whole ciphertexts; {@code toString()} of key holders shows ids only.
 */
package io.nbsecrets.crypto;
