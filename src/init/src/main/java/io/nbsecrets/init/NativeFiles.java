package io.nbsecrets.init;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * The init step's file writes through the JNI library that {@link NativeFernet} loads and checks
 * ({@code src/init/src/main/c/nbsecrets_files.c}): a new temporary file (never through a link),
 * written, its final mode set on the same descriptor, renamed over the secret's file. The JDK's NIO
 * makes the same system calls, but in a JVM that lives a tenth of a second its code runs
 * interpreted, at several times their cost per file (docs/benchmarks.md).
 *
 * <p>{@link #writeNew} only says whether it worked: on any failure the caller writes the file with
 * the JDK, which names the problem, so a failure reads the same with or without the library.
 */
final class NativeFiles {
  private NativeFiles() {}

  /**
   * Writes {@code value} to the new file {@code tmp} with {@code mode}, then renames it to {@code
   * out}. False when anything failed, with {@code tmp} removed if this call created it, or when the
   * library is not loaded or a path is not plain ASCII (then nothing is tried): the JDK's way then
   * writes the file or says why it cannot.
   */
  static boolean writeNew(Path tmp, Path out, byte[] value, Set<PosixFilePermission> mode) {
    if (!NativeFernet.available()) {
      return false;
    }
    byte[] tmpPath = ascii(tmp);
    byte[] outPath = ascii(out);
    return tmpPath != null
        && outPath != null
        && writeNew0(tmpPath, outPath, value, bits(mode)) == 0;
  }

  /**
   * Whether the loaded library has the file writes (one of an earlier version does not): a call
   * that the library refuses at once, or an {@link UnsatisfiedLinkError}.
   */
  static boolean linked() {
    try {
      return writeNew0(null, null, null, 0) == -1;
    } catch (UnsatisfiedLinkError e) {
      return false;
    }
  }

  /** The mode as chmod(2) takes it (PosixFilePermission's order is owner, group, others; r w x). */
  static int bits(Set<PosixFilePermission> mode) {
    int bits = 0;
    for (PosixFilePermission p : mode) {
      bits |= 0400 >> p.ordinal();
    }
    return bits;
  }

  /**
   * The path's bytes when it is plain ASCII (the same bytes whatever the JVM's encoding), else
   * null.
   */
  private static byte[] ascii(Path path) {
    String text = path.toString();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == 0 || c >= 0x80) {
        return null;
      }
    }
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  private static native int writeNew0(byte[] tmp, byte[] out, byte[] value, int mode);
}
