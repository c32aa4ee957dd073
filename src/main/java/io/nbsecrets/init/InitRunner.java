package io.nbsecrets.init;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The init step of a session pod: obtain the user key with the pod's own token, decrypt the
 * once-encrypted values, write the files. The same code runs in the init container and in the dev
 * mode's kubelet stand-in.
 */
public final class InitRunner {
  private InitRunner() {}

  /** Where things are, as the operator lays out the pod. */
  public record Options(
      String apiUrl,
      Path sealedDir,
      Path tokenFile,
      Path mountPath,
      String manifestJson,
      String mode,
      ApiTrust trust) {}

  /** Runs the step; returns the files written. Throws with a clear message on any failure. */
  public static List<Path> run(Options o) throws InitException {
    List<SecretFiles.FileSpec> files = SecretFiles.parseManifest(o.manifestJson());
    if (!Files.isDirectory(o.mountPath())) {
      throw new InitException("mount path " + o.mountPath() + " is not a directory");
    }
    if (files.isEmpty()) {
      return List.of();
    }
    String token;
    try {
      token = Files.readString(o.tokenFile()).trim();
    } catch (NoSuchFileException e) {
      throw new InitException("no service-account token at " + o.tokenFile());
    } catch (IOException e) {
      throw new InitException("cannot read the token " + o.tokenFile() + ": " + e.getMessage());
    }
    if (token.isEmpty()) {
      throw new InitException("the service-account token at " + o.tokenFile() + " is empty");
    }
    UserKeyClient.UserKey key =
        new UserKeyClient(o.apiUrl(), o.trust(), 5, Duration.ofMillis(500)).fetch(token);
    return SecretFiles.write(files, o.sealedDir(), key.key(), o.mountPath(), o.mode());
  }
}
