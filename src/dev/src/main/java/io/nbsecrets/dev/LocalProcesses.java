package io.nbsecrets.dev;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * What the stand-ins for a cluster's machinery share: loopback ports, files and folders readable by
 * this user only, folder trees removed, and this program's own main class run as a child process
 * (as its image would run it), without the parent's Kubernetes or nbsecrets settings.
 */
public final class LocalProcesses {
  private LocalProcesses() {}

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Writes {@code content} into a file created with mode 0600. */
  public static Path writePrivate(Path file, String content) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    return Files.writeString(file, content);
  }

  /** As {@link #writePrivate(Path, String)}, with bytes. */
  public static Path writePrivate(Path file, byte[] content) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    return Files.write(file, content);
  }

  /**
   * Replaces {@code file} with one of mode 0600 holding {@code content} in one rename, so that a
   * reader sees the old content or the new, never a partial file (as the kubelet's projected
   * token).
   */
  public static Path replacePrivate(Path file, String content) throws IOException {
    Path next = file.resolveSibling(".." + file.getFileName() + ".next");
    writePrivate(next, content);
    return Files.move(
        next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** A folder created with mode 0700 (its parents as usual), or the one already there. */
  static Path privateDir(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir.getParent());
      Files.createDirectory(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    return dir;
  }

  /** Removes a folder and everything in it; nothing when it is not there. */
  static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * {@code java ... io.nbsecrets.cli.Main args} on this JVM's class path, output to {@code log},
   * with no {@code KUBERNETES_*} or {@code NBSECRETS_*} variable of this process.
   */
  static ProcessBuilder mainClass(String maxHeap, Path tmpDir, List<String> args, Path log) {
    return mainClass(List.of("-Xmx" + maxHeap, "-XX:TieredStopAtLevel=1"), tmpDir, args, log);
  }

  /**
   * As above, with these JVM flags instead of a quick start's ({@code -XX:TieredStopAtLevel=1}).
   */
  static ProcessBuilder mainClass(List<String> jvmFlags, Path tmpDir, List<String> args, Path log) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmFlags);
    if (tmpDir != null) {
      command.add("-Djava.io.tmpdir=" + tmpDir);
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.nbsecrets.cli.Main"));
    command.addAll(args);
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment()
        .keySet()
        .removeIf(k -> k.startsWith("KUBERNETES_") || k.startsWith("NBSECRETS_"));
    return pb;
  }
}
