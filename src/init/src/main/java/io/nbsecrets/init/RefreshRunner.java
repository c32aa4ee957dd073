package io.nbsecrets.init;

import io.nbsecrets.util.Hashes;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The refresh step of a session whose secrets are {@code refresh: Live}: it runs beside the session
 * (a native sidecar) and keeps its files equal to the mounted session Secret, which the operator
 * updates in place when the store changes and the kubelet updates in the volume. Each {@link
 * #refreshIfChanged()} reads the Secret's list of files; when it changed since the last pass that
 * went through, it fetches the user key with the pod's token (as the init step does, read afresh:
 * the kubelet renews it), decrypts every value, and only then replaces each file atomically (a
 * reader sees the old value or the new one, never a mix), then removes the files of secrets no
 * longer listed. Environment variables are rewritten too, for a restart of the container; the
 * running process keeps the ones it started with.
 *
 * <p>The first pass always runs, so a change between the init step and the sidecar's start is not
 * missed. A failed pass changes no file and is tried again on the next one.
 */
public final class RefreshRunner {
  /** What a pass did. */
  public record Outcome(boolean changed, int written, int removed) {
    static final Outcome UNCHANGED = new Outcome(false, 0, 0);
  }

  private final InitRunner.Options options;
  private byte[] applied;

  public RefreshRunner(InitRunner.Options options) {
    this.options = options;
  }

  /** One pass; see the class. */
  public Outcome refreshIfChanged() throws InitException {
    byte[] before = manifestHash();
    if (applied != null && Arrays.equals(before, applied)) {
      return Outcome.UNCHANGED;
    }
    List<SecretFiles.FileSpec> files = SecretFiles.readManifest(options.sealedDir(), null);
    int written = 0;
    if (files.isEmpty()) {
      if (options.envFile() != null) {
        SecretFiles.writeEnvFile(options.envFile(), new byte[0], options.mode());
      }
    } else {
      written =
          SecretFiles.write(
                  files,
                  options.sealedDir(),
                  InitRunner.userKey(options),
                  options.mountPath(),
                  options.mode(),
                  options.envFile())
              .size();
    }
    int removed = removeUnlisted(files);
    // The kubelet may have swapped the volume's contents while the values were read: then the
    // next pass reads them again.
    if (Arrays.equals(before, manifestHash())) {
      applied = before;
    }
    return new Outcome(true, written, removed);
  }

  private byte[] manifestHash() throws InitException {
    Path file = options.sealedDir().resolve(SecretFiles.MANIFEST_FILE);
    try {
      return Hashes.sha256(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      throw new InitException(
          "InvalidManifest",
          "the session Secret mounted at " + options.sealedDir() + " has no list of files");
    } catch (IOException e) {
      throw new InitException("cannot read the list of files " + file + ": " + e.getMessage());
    }
  }

  /**
   * Removes the files in the mount path that the list no longer names: the files of deleted
   * secrets. The volume is the session's own, written only by the init step and this one.
   */
  private int removeUnlisted(List<SecretFiles.FileSpec> files) throws InitException {
    Set<String> listed = new HashSet<>();
    for (SecretFiles.FileSpec f : files) { // no lambda in the sidecar: see InitArgs
      listed.add(f.file());
    }
    int removed = 0;
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(options.mountPath())) {
      for (Path p : dir) {
        String name = p.getFileName().toString();
        if (!listed.contains(name)
            && !name.startsWith("..")
            && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          Files.delete(p);
          removed++;
        }
      }
    } catch (IOException e) {
      throw new InitException(
          "WriteFailed",
          "cannot remove the files of deleted secrets from " + options.mountPath() + ": " + e);
    }
    return removed;
  }
}
