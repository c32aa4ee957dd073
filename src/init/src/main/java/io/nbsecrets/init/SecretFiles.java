package io.nbsecrets.init;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.nbsecrets.crypto.CryptoException;
import io.nbsecrets.model.FlatJson;
import io.nbsecrets.model.SecretNames;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Removes the inner layer and writes one file per secret. Everything is decrypted and checked
 * before the first file is written, so a failure leaves no partial set of files.
 */
public final class SecretFiles {
  /** A temporary file's mode until its final mode is set: its owner's alone. */
  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  private static final Set<OpenOption> CREATE_NEW_FOR_WRITING =
      Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);

  /**
   * The key of the session Secret, and so the file of the sealed directory, that holds the list of
   * files to write (the manifest: names, file names and versions as JSON). It travels in the Secret
   * rather than in an environment variable or an annotation, whose limits (128 KiB for one
   * environment string, 256 KiB for all annotations) a session of 1,000 secrets with long names
   * passes; the Secret's own limit is checked by the operator before it writes anything.
   *
   * <p>It is a valid Secret key (at most 253 of letters, digits, '.', '_' and '-') longer than any
   * secret name may be ({@link SecretNames#MAX_LENGTH}), so no secret can have it.
   */
  public static final String MANIFEST_FILE =
      "nbsecrets.io-manifest.json-the-names-files-and-versions-of-this-snapshot"
          + "-under-a-key-longer-than-any-secret-name-so-that-no-secret-can-have-it";

  /** The environment variable that carried the manifest before it moved into the Secret. */
  public static final String LEGACY_MANIFEST_ENV = "NBSECRETS_FILES";

  /**
   * One file to write: the secret's name (its key in the sealed directory), the file name, and the
   * environment variable it is also exported as (null: none).
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record FileSpec(
      String name, String file, @JsonInclude(JsonInclude.Include.NON_NULL) String env) {
    public FileSpec(String name, String file) {
      this(name, file, null);
    }
  }

  private SecretFiles() {}

  /**
   * The files to write: from {@link #MANIFEST_FILE} in the sealed directory, or, for a snapshot
   * taken by an operator before the manifest moved into the Secret (whose pod keeps its template,
   * environment and all), from {@code legacyEnv} ({@value #LEGACY_MANIFEST_ENV}). Neither is an
   * error: a pod whose Secret lacks its manifest would otherwise start with no files, silently.
   */
  public static List<FileSpec> readManifest(Path sealedDir, String legacyEnv) throws InitException {
    Path file = sealedDir.resolve(MANIFEST_FILE);
    String json;
    try {
      json = Files.readString(file);
    } catch (NoSuchFileException e) {
      if (legacyEnv == null) {
        throw new InitException(
            "InvalidManifest",
            "the session Secret mounted at "
                + sealedDir
                + " has no list of files (key "
                + MANIFEST_FILE
                + ") and "
                + LEGACY_MANIFEST_ENV
                + " is not set");
      }
      return parseManifest(legacyEnv, LEGACY_MANIFEST_ENV);
    } catch (IOException e) {
      throw new InitException("cannot read the list of files " + file + ": " + e.getMessage());
    }
    return parseManifest(json, "the session Secret's key " + MANIFEST_FILE);
  }

  /** Parses a manifest; {@code where} names its source in the error. */
  public static List<FileSpec> parseManifest(String json, String where) throws InitException {
    if (json == null || json.isBlank()) {
      return List.of();
    }
    try {
      List<FileSpec> files = new ArrayList<>();
      for (Map<String, String> entry : FlatJson.arrayOfObjects(json)) {
        files.add(new FileSpec(entry.get("name"), entry.get("file"), entry.get("env")));
      }
      return files;
    } catch (IOException e) {
      throw new InitException(
          "InvalidManifest", "the list of files (" + where + ") is not valid JSON");
    }
  }

  /** Parses a manifest from the legacy environment variable. */
  public static List<FileSpec> parseManifest(String json) throws InitException {
    return parseManifest(json, LEGACY_MANIFEST_ENV);
  }

  /**
   * Decrypts each sealed value in {@code sealedDir} with the user key and writes it to {@code
   * targetDir/<file>} with {@code mode} (e.g. "r--------"), atomically (temp file, then rename).
   */
  public static List<Path> write(
      List<FileSpec> files, Path sealedDir, String userKey, Path targetDir, String mode)
      throws InitException {
    return write(files, sealedDir, userKey, targetDir, mode, null);
  }

  /**
   * As {@link #write(List, Path, String, Path, String)}, and also writes {@code envFile} (when not
   * null; mode {@code mode}, atomically) with the secrets whose manifest entry names an environment
   * variable, as {@link EnvFile} renders them — an empty file when none does. Every value is
   * checked first, variables included: a value that cannot be an environment string fails the step
   * before any file is written.
   */
  public static List<Path> write(
      List<FileSpec> files,
      Path sealedDir,
      String userKey,
      Path targetDir,
      String mode,
      Path envFile)
      throws InitException {
    InnerLayer innerLayer;
    try {
      innerLayer = InnerLayer.forKey(userKey);
    } catch (IllegalArgumentException e) {
      throw new InitException("DecryptFailed", "the secrets API returned a malformed user key");
    }
    Path target = targetDir.toAbsolutePath().normalize();
    Map<Path, byte[]> plain = new LinkedHashMap<>();
    List<EnvFile.Variable> variables = new ArrayList<>();
    Set<String> envNames = new HashSet<>();
    for (FileSpec f : files) {
      check(f.name(), "secret name");
      check(f.file(), "file name");
      Path out = target.resolve(f.file()).normalize();
      if (!out.getParent().equals(target)) {
        throw new InitException(
            "InvalidManifest", "file " + f.file() + " would be written outside " + target);
      }
      if (plain.containsKey(out)) {
        throw new InitException(
            "InvalidManifest", "two secrets would be written to file " + f.file());
      }
      byte[] text;
      try {
        text = readSealed(sealedDir.resolve(f.name()));
      } catch (NoSuchFileException e) {
        throw new InitException(
            "SecretMissing", "secret " + f.name() + " is missing from " + sealedDir);
      } catch (IOException e) {
        throw new InitException("cannot read secret " + f.name() + ": " + e.getMessage());
      }
      byte[] value;
      try {
        value = innerLayer.open(text);
      } catch (IllegalArgumentException e) {
        throw new InitException("cannot read secret " + f.name() + ": " + e.getMessage());
      } catch (CryptoException e) {
        throw new InitException(
            "DecryptFailed",
            "secret "
                + f.name()
                + " cannot be decrypted with the user's key ("
                + e.getMessage()
                + ")");
      }
      plain.put(out, value);
      if (f.env() != null) {
        if (!envNames.add(f.env())) {
          throw new InitException(
              "InvalidManifest",
              "two secrets would be exported as environment variable " + f.env());
        }
        variables.add(new EnvFile.Variable(f.env(), f.name(), value));
      }
    }
    byte[] envText = envFile == null ? null : EnvFile.render(variables);
    List<Path> written = new ArrayList<>();
    Set<PosixFilePermission> finalMode = PosixFilePermissions.fromString(mode);
    for (Map.Entry<Path, byte[]> e : plain.entrySet()) {
      written.add(writeAtomically(e.getKey(), e.getValue(), finalMode));
    }
    if (envFile != null) {
      writeEnvFile(envFile, envText, mode);
    }
    return written;
  }

  /** Writes the environment file {@code text} (from {@link EnvFile#render}) atomically. */
  public static void writeEnvFile(Path envFile, byte[] text, String mode) throws InitException {
    writeAtomically(
        envFile.toAbsolutePath().normalize(), text, PosixFilePermissions.fromString(mode));
  }

  /**
   * A sealed value's file. Read with {@link FileInputStream} (two native calls in a cold JVM, where
   * NIO's channel runs several times more interpreted code per file); on any failure read again
   * with {@link Files#readAllBytes}, whose exception names the problem.
   */
  private static byte[] readSealed(Path file) throws IOException {
    try (FileInputStream in = new FileInputStream(file.toString())) {
      return in.readAllBytes();
    } catch (IOException e) {
      return Files.readAllBytes(file);
    }
  }

  private static void check(String name, String what) throws InitException {
    var problem = SecretNames.problem(name);
    if (problem.isPresent()) {
      throw new InitException(
          "InvalidManifest", "invalid " + what + " in the manifest: " + problem.get());
    }
  }

  private static Path writeAtomically(Path out, byte[] value, Set<PosixFilePermission> mode)
      throws InitException {
    // A name no secret can have (names never begin with ".."), so a secret called ".token.tmp"
    // beside one called "token" is not overwritten by the other's temporary file.
    Path tmp = out.resolveSibling(".." + out.getFileName() + ".tmp");
    if (NativeFiles.writeNew(tmp, out, value, mode)) {
      return out;
    }
    boolean moved = false;
    try {
      // Created writable by its owner only, written through the same descriptor: no other open.
      try (SeekableByteChannel channel = createTemporary(tmp)) {
        ByteBuffer buffer = ByteBuffer.wrap(value);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
      }
      // On the file just created, never through a link put in its place.
      Files.getFileAttributeView(tmp, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .setPermissions(mode);
      try {
        Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
      }
      moved = true;
      return out;
    } catch (FileAlreadyExistsException e) {
      throw new InitException("WriteFailed", "cannot create a temporary file beside " + out);
    } catch (IOException e) {
      throw new InitException("WriteFailed", "cannot write " + out + ": " + e.getMessage());
    } finally {
      if (!moved) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // best effort: the volume is in memory and dies with the pod
        }
      }
    }
  }

  /**
   * A new temporary file, writable by its owner only; one left by an earlier run that stopped
   * between create and rename (a refresh) is replaced.
   */
  private static SeekableByteChannel createTemporary(Path tmp) throws IOException {
    try {
      return Files.newByteChannel(tmp, CREATE_NEW_FOR_WRITING, OWNER_ONLY);
    } catch (FileAlreadyExistsException e) {
      Files.delete(tmp);
      return Files.newByteChannel(tmp, CREATE_NEW_FOR_WRITING, OWNER_ONLY);
    }
  }
}
