package io.nbsecrets.init;

import io.nbsecrets.crypto.Fernet;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;

/**
 * Fernet decryption through OpenSSL's libcrypto, for the init step: a process that lives a tenth of
 * a second spends most of it in the JDK's crypto set-up and in HMAC and AES code that the JIT has
 * not compiled yet (docs/benchmarks.md). The token's decoding, the HMAC check (constant time) and
 * the decryption are libcrypto's, called through a small JNI library ({@code
 * src/init/src/main/c/nbsecrets_fernet.c}). A token in any other form than the canonical one Fernet
 * writes is left alone ({@link #decryptText} is empty), for {@link InnerLayer} to give to the JDK's
 * {@link Fernet}, which names what is wrong with it. An HMAC that does not match and a wrong
 * padding fail with the same typed exceptions and messages as {@link Fernet#decrypt(String)}'s.
 *
 * <p>Used only when the system property {@value #LIBRARY_PROPERTY} names the library (the image
 * sets it) and the library loads and passes a known answer; otherwise the init step decrypts with
 * the JDK ({@link #problem()} says why).
 */
public final class NativeFernet {
  /** The system property that names the JNI library's path. */
  public static final String LIBRARY_PROPERTY = "nbsecrets.init.native";

  private static final int HMAC_MISMATCH = -1;
  private static final int BAD_PADDING = -2;

  // The Fernet specification's test vector (fernet/spec, generate.json).
  private static final String KNOWN_KEY = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
  private static final String KNOWN_TOKEN =
      "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==";

  private static final Optional<String> PROBLEM = load(System.getProperty(LIBRARY_PROPERTY));

  private final byte[] key;

  private NativeFernet(byte[] key) {
    this.key = key;
  }

  /** Whether the library named by {@value #LIBRARY_PROPERTY} is loaded and gave a known answer. */
  static boolean available() {
    return PROBLEM.isEmpty();
  }

  /**
   * Why the JDK decrypts instead: the property unset, or the library not loadable (the path and the
   * loader's message, never a key), or a wrong known answer. Empty when the library is used.
   */
  static Optional<String> problem() {
    return PROBLEM;
  }

  /**
   * The warning a pod step prints once at its start when the image names a library that cannot be
   * used (the step then decrypts with the JDK: slower, the same files); empty otherwise.
   */
  public static Optional<String> warning() {
    if (System.getProperty(LIBRARY_PROPERTY) == null || available()) {
      return Optional.empty();
    }
    return Optional.of("WARNING: decrypting with the JDK, not libcrypto: " + PROBLEM.get());
  }

  /**
   * The Fernet of {@code urlSafeBase64Key}, when {@link #available()}.
   *
   * @throws IllegalArgumentException as {@link Fernet#fromKey(String)} does
   * @throws IllegalStateException when the library is not available
   */
  static NativeFernet fromKey(String urlSafeBase64Key) {
    if (!available()) {
      throw new IllegalStateException("libcrypto's Fernet is not available: " + PROBLEM.get());
    }
    Fernet.fromKey(urlSafeBase64Key); // the same checks and messages
    return new NativeFernet(Base64.getUrlDecoder().decode(urlSafeBase64Key.strip()));
  }

  /**
   * The token as its file holds it (URL-safe base64 as Fernet writes it, with padding, maybe with
   * bytes up to {@code 0x20} around it, which the init step trims) decoded and opened by libcrypto.
   * Empty when the text is not in that form, the token is not well formed, or libcrypto fails
   * otherwise: the JDK's {@link Fernet} then decrypts it or names the problem.
   *
   * @throws io.nbsecrets.crypto.IntegrityException if the HMAC does not match
   * @throws io.nbsecrets.crypto.MalformedCiphertextException if the padding is wrong
   */
  Optional<byte[]> decryptText(byte[] text) {
    int[] status = new int[1];
    byte[] plain = openText1(key, text, status);
    if (status[0] == HMAC_MISMATCH) {
      throw Fernet.hmacMismatch();
    }
    if (status[0] == BAD_PADDING) {
      throw Fernet.badPadding();
    }
    return Optional.ofNullable(plain);
  }

  /** Never shows the key. */
  @Override
  public String toString() {
    return "NativeFernet[key=<redacted>]";
  }

  /**
   * The plaintext in a new array of its length, or null with {@code status[0]} set (the library's
   * codes; any other than {@link #HMAC_MISMATCH} and {@link #BAD_PADDING} leaves the token to the
   * JDK). No spare array to wipe on this side: the library cleanses its own buffer.
   */
  private static native byte[] openText1(byte[] key, byte[] text, int[] status);

  /** Loads {@code library} and checks its known answer; why it cannot be used, or empty. */
  static Optional<String> load(String library) {
    if (library == null || library.isBlank()) {
      return Optional.of("the system property " + LIBRARY_PROPERTY + " is not set");
    }
    Path path = Path.of(library).toAbsolutePath();
    if (!Files.isRegularFile(path)) {
      return Optional.of(path + " does not exist");
    }
    try {
      System.load(path.toString());
      Optional<byte[]> known =
          new NativeFernet(Base64.getUrlDecoder().decode(KNOWN_KEY))
              .decryptText(KNOWN_TOKEN.getBytes(StandardCharsets.US_ASCII));
      if (known.isEmpty()
          || !Arrays.equals(known.get(), "hello".getBytes(StandardCharsets.US_ASCII))) {
        return Optional.of(path + " gave a wrong answer for the Fernet specification's vector");
      }
      if (!NativeFiles.linked()) {
        return Optional.of(path + " does not write files (a library of an earlier version)");
      }
      return Optional.empty();
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      return Optional.of(path + " cannot be used: " + e.getMessage());
    }
  }
}
