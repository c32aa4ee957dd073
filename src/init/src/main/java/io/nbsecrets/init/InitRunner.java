package io.nbsecrets.init;

import io.nbsecrets.model.TokenExpiry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;

/**
 * The init step of a session pod: obtain the user key with the pod's own token, decrypt the
 * once-encrypted values, write the files. The same code runs in the init container and in the dev
 * mode's kubelet stand-in.
 */
public final class InitRunner {
  /** Where the kubelet reads a container's termination message unless the pod says otherwise. */
  public static final String TERMINATION_LOG = "/dev/termination-log";

  /** A termination message stays short (the kubelet keeps 4 KiB of it). */
  static final int MAX_TERMINATION_MESSAGE = 1024;

  private InitRunner() {}

  /**
   * Where things are, as the operator lays out the pod. {@code legacyManifestJson} is the
   * environment variable {@value SecretFiles#LEGACY_MANIFEST_ENV}, set only in pods of snapshots
   * taken before the list of files moved into the session Secret (null otherwise). {@code envFile}
   * is where the variables go ({@link EnvFile}), in the pods of sessions that export some; null in
   * others. {@code userKeyFile}: the user key read from a file instead of the API (benchmarks and
   * platforms that deliver it themselves); null in the pods the operator makes.
   */
  public record Options(
      String apiUrl,
      Path sealedDir,
      Path tokenFile,
      Path mountPath,
      String legacyManifestJson,
      String mode,
      ApiTrust trust,
      Path envFile,
      Path userKeyFile) {

    /** Options of a pod step that fetches the user key from the API. */
    public Options(
        String apiUrl,
        Path sealedDir,
        Path tokenFile,
        Path mountPath,
        String legacyManifestJson,
        String mode,
        ApiTrust trust,
        Path envFile) {
      this(apiUrl, sealedDir, tokenFile, mountPath, legacyManifestJson, mode, trust, envFile, null);
    }
  }

  /**
   * Runs the step; returns the files written. Throws with a clear message and a reason on any
   * failure (see {@link InitException#reason()}).
   */
  public static List<Path> run(Options o) throws InitException {
    if (!Files.isDirectory(o.mountPath())) {
      throw new InitException("WriteFailed", "mount path " + o.mountPath() + " is not a directory");
    }
    List<SecretFiles.FileSpec> files =
        SecretFiles.readManifest(o.sealedDir(), o.legacyManifestJson());
    if (files.isEmpty()) {
      if (o.envFile() != null) {
        // The launcher sources the file: an empty selection is an empty file, not a missing one.
        SecretFiles.writeEnvFile(o.envFile(), new byte[0], o.mode());
      }
      return List.of();
    }
    return SecretFiles.write(
        files, o.sealedDir(), userKey(o), o.mountPath(), o.mode(), o.envFile());
  }

  /**
   * The user's key, from the secrets API, for the pod's token in {@code o.tokenFile()} (read afresh
   * each time: the kubelet renews it).
   */
  static String userKey(Options o) throws InitException {
    if (o.userKeyFile() != null) {
      try {
        String key = Files.readString(o.userKeyFile(), StandardCharsets.US_ASCII).trim();
        if (key.isEmpty()) {
          throw new InitException(
              "NoUserKey", "the user key file " + o.userKeyFile() + " is empty");
        }
        return key;
      } catch (IOException e) {
        throw new InitException(
            "NoUserKey", "cannot read the user key file " + o.userKeyFile() + ": " + e);
      }
    }
    String token;
    try {
      token = Files.readString(o.tokenFile()).trim();
    } catch (NoSuchFileException e) {
      throw new InitException("NoToken", "no service-account token at " + o.tokenFile());
    } catch (IOException e) {
      throw new InitException(
          "NoToken", "cannot read the token " + o.tokenFile() + ": " + e.getMessage());
    }
    if (token.isEmpty()) {
      throw new InitException(
          "NoToken", "the service-account token at " + o.tokenFile() + " is empty");
    }
    requireNotExpired(token, o.tokenFile(), Instant.now());
    return new UserKeyClient(o.apiUrl(), o.trust(), 5, Duration.ofMillis(500)).fetch(token).key();
  }

  /**
   * Refuses a token that has expired, by its own {@code exp} claim, so that the failure says
   * "expired" rather than the API's bare 401 (a token review does not say why it refused). The
   * signature is not checked here (the API does that); a token whose claims cannot be read is left
   * to the API to judge.
   */
  static void requireNotExpired(String token, Path where, Instant now) throws InitException {
    OptionalLong read = TokenExpiry.epochSeconds(token);
    if (read.isEmpty()) {
      return;
    }
    long exp = read.getAsLong();
    if (now.getEpochSecond() >= exp) {
      throw new InitException(
          "TokenExpired",
          "the pod's service-account token at "
              + where
              + " expired at "
              + Instant.ofEpochSecond(exp)
              + " ("
              + Duration.ofSeconds(now.getEpochSecond() - exp).toSeconds()
              + " s ago): the kubelet renews it while the pod runs; restart the pod");
    }
  }

  /**
   * Writes a failure's reason and message where the kubelet reads a container's termination message
   * ({@code terminationMessagePath}, by default {@value #TERMINATION_LOG}), so that the pod's
   * status carries it and the operator can show it on the session. The message holds no value; it
   * is cut to {@value #MAX_TERMINATION_MESSAGE} characters (the kubelet keeps 4 KiB). Best effort:
   * outside a container the file may not exist.
   */
  public static void writeTerminationMessage(Path file, InitException e) {
    String text = terminationMessage(e);
    try {
      // Never created: the kubelet provides the file; elsewhere (a stand-in, a shell) there is
      // none.
      Files.writeString(
          file,
          text,
          StandardCharsets.UTF_8,
          StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING);
    } catch (IOException | RuntimeException ignored) {
      // not in a container, or a read-only path: the log line says the same
    }
  }

  /** {@code <Reason>: <message>}, as the operator parses it back. */
  public static String terminationMessage(InitException e) {
    String text = e.reason() + ": " + e.getMessage();
    return text.length() <= MAX_TERMINATION_MESSAGE
        ? text
        : text.substring(0, MAX_TERMINATION_MESSAGE - 1) + "…";
  }
}
