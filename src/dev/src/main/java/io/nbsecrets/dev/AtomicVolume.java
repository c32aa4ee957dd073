package io.nbsecrets.dev;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Set;

/**
 * Writes a Secret's keys into a volume folder as the kubelet's atomic writer does, so that a reader
 * never sees a mix of two versions: each version goes into a folder of its own ({@code ..<n>}), the
 * symbolic link {@code ..data} is swapped to it with one rename, and each key is a link {@code key
 * -> ..data/key}. Keys no longer in the Secret lose their link; the old folder is removed.
 */
final class AtomicVolume {
  static final String DATA = "..data";

  private AtomicVolume() {}

  /** Lays out {@code data} (key to bytes) in {@code dir} with file mode {@code mode}. */
  static void write(Path dir, Map<String, byte[]> data, Set<PosixFilePermission> mode)
      throws IOException {
    Path link = dir.resolve(DATA);
    Path old =
        Files.isSymbolicLink(link) ? dir.resolve(Files.readSymbolicLink(link)).normalize() : null;
    Path version = dir.resolve(".." + System.nanoTime());
    LocalProcesses.privateDir(version);
    for (var e : data.entrySet()) {
      Path f = version.resolve(e.getKey());
      Files.write(f, e.getValue());
      Files.setPosixFilePermissions(f, mode);
    }
    Path next = dir.resolve("..data_tmp");
    Files.deleteIfExists(next);
    Files.createSymbolicLink(next, version.getFileName());
    Files.move(next, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    for (String key : data.keySet()) {
      Path keyLink = dir.resolve(key);
      if (!Files.isSymbolicLink(keyLink)) {
        Files.deleteIfExists(keyLink);
        Files.createSymbolicLink(keyLink, Path.of(DATA, key));
      }
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        String name = p.getFileName().toString();
        if (!name.startsWith("..") && Files.isSymbolicLink(p) && !data.containsKey(name)) {
          Files.delete(p);
        }
      }
    }
    if (old != null && !old.equals(version) && Files.isDirectory(old, LinkOption.NOFOLLOW_LINKS)) {
      LocalProcesses.deleteTree(old);
    }
  }
}
