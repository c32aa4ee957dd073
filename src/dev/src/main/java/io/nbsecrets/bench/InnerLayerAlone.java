package io.nbsecrets.bench;

import io.nbsecrets.crypto.Fernet;
import io.nbsecrets.init.SecretFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A lower bound of the init step as a process, for {@code bench init}: it only reads the sealed
 * values of a prepared directory and removes their inner layer with the user key, with the same
 * code as the init step ({@link Fernet}, the JDK's HMAC-SHA256 and AES-CBC). It reads no list of
 * files and writes nothing. With {@value #START_ONLY} it returns at once: the JVM's start and the
 * jar's opening alone.
 */
public final class InnerLayerAlone {
  /** The argument that makes it return at once. */
  public static final String START_ONLY = "--start-only";

  private InnerLayerAlone() {}

  /** {@code DIR} (as {@code bench init} prepares it) or {@value #START_ONLY}. */
  public static void main(String[] args) throws IOException {
    if (args.length == 1 && args[0].equals(START_ONLY)) {
      return;
    }
    if (args.length != 1) {
      System.err.println("usage: InnerLayerAlone DIR | " + START_ONLY);
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    Fernet fernet =
        Fernet.fromKey(Files.readString(dir.resolve("user-key"), StandardCharsets.US_ASCII));
    int values = 0;
    long bytes = 0;
    try (DirectoryStream<Path> sealed = Files.newDirectoryStream(dir.resolve("sealed"))) {
      for (Path value : sealed) {
        if (value.getFileName().toString().equals(SecretFiles.MANIFEST_FILE)) {
          continue;
        }
        bytes +=
            fernet.decrypt(new String(Files.readAllBytes(value), StandardCharsets.US_ASCII)).length;
        values++;
      }
    }
    System.out.println("decrypted " + values + " values, " + bytes + " bytes");
  }
}
