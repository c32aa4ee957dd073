package io.nbsecrets.init;

import io.nbsecrets.crypto.Fernet;
import io.nbsecrets.util.Bytes;
import java.util.Optional;

/**
 * Removes the inner layer of a sealed value as its file holds it (a Fernet token, maybe with
 * whitespace around it): with OpenSSL's libcrypto ({@link NativeFernet}) when the image provides
 * it, else, and for any token libcrypto leaves alone, with the JDK's {@link Fernet} on the file's
 * text, trimmed. Either way the same plaintext, or the same typed failure with the same message.
 */
final class InnerLayer {
  private final Fernet jdk;
  private final NativeFernet libcrypto; // null: the JDK's alone

  private InnerLayer(Fernet jdk, NativeFernet libcrypto) {
    this.jdk = jdk;
    this.libcrypto = libcrypto;
  }

  /**
   * The inner layer of the user key {@code urlSafeBase64Key}.
   *
   * @throws IllegalArgumentException as {@link Fernet#fromKey(String)} does
   */
  static InnerLayer forKey(String urlSafeBase64Key) {
    Fernet jdk = Fernet.fromKey(urlSafeBase64Key);
    return new InnerLayer(
        jdk, NativeFernet.available() ? NativeFernet.fromKey(urlSafeBase64Key) : null);
  }

  /**
   * The plaintext of the token file {@code text}.
   *
   * @throws io.nbsecrets.crypto.CryptoException if the token is malformed, tampered or of another
   *     key
   * @throws IllegalArgumentException if the file is not UTF-8 text
   */
  byte[] open(byte[] text) {
    Optional<byte[]> opened = libcrypto == null ? Optional.empty() : libcrypto.decryptText(text);
    return opened.isPresent() ? opened.get() : jdk.decrypt(Bytes.decodeStrictUtf8(text).trim());
  }
}
