/**
 * Cryptography of nbsecrets (see {@code docs/security.md}): {@link io.nbsecrets.crypto.Fernet} (the
 * inner layer, under each user's key), {@link io.nbsecrets.crypto.Envelope} (the outer layer, under
 * the session key pair, and the stored record format {@code nbs1}), {@link
 * io.nbsecrets.crypto.UserKeys} (users' keys at rest under the {@link
 * io.nbsecrets.crypto.PlatformKey}, format {@code nbuk1}) and {@link io.nbsecrets.crypto.RsaKeys}.
 *
 * <p>Errors are unchecked {@link io.nbsecrets.crypto.CryptoException}s whose messages never contain
 * plaintext, keys or whole ciphertexts; {@code toString()} of key holders shows ids only.
 */
package io.nbsecrets.crypto;
