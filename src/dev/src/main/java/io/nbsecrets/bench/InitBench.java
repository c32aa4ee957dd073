package io.nbsecrets.bench;

import io.nbsecrets.cli.Main;
import io.nbsecrets.crypto.SessionKeyAlgorithm;
import io.nbsecrets.operator.BuiltSnapshot;
import io.nbsecrets.operator.SessionFailure;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nbsecrets bench init --dir DIR}: prepares DIR so that the init step can be timed alone, as
 * the whole process it is in a session pod: {@code sealed/} holds a session Secret's files as the
 * kubelet mounts them (built by the operator's own code), {@code user-key} the user key in place of
 * the API, {@code files/} is the empty in-memory volume. The last line printed is the command that
 * runs the real init step on it.
 */
@Command(
    name = "init",
    mixinStandardHelpOptions = true,
    description =
        "Prepare DIR to time the init step as a whole process: N sealed values, the user key in"
            + " place of the API. Last line: the command that runs the real init step on DIR.")
final class InitBench implements Callable<Integer> {
  /**
   * The JVM flags of the image's entry point that matter outside a container, and the collector the
   * JVM picks by itself under the init container's 256 MiB limit.
   */
  static final List<String> JVM_FLAGS = List.of("-XX:+UseSerialGC", "-XX:-UsePerfData");

  /** The class-data archive made by a training run, as the image makes its own. */
  static final String ARCHIVE = "init.jsa";

  @Spec CommandSpec spec;

  @picocli.CommandLine.Mixin SessionSize size = new SessionSize();

  @Option(names = "--dir", required = true, description = "Directory to prepare (made if absent).")
  Path dir;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      size.check();
    } catch (IllegalArgumentException e) {
      err.println("bench init: " + e.getMessage());
      return 2;
    }
    BenchSession bench =
        BenchSession.create(SessionKeyAlgorithm.DEFAULT, size.secrets, size.valueChars);
    BuiltSnapshot built;
    try {
      built = BuiltSnapshot.build(bench.resolver(), bench.session(), false);
    } catch (SessionFailure e) {
      err.println("bench init: " + e.getMessage());
      return 1;
    }
    Path sealed = dir.resolve("sealed");
    Path files = dir.resolve("files");
    Path userKey = dir.resolve("user-key");
    clear(sealed);
    clear(files);
    Files.createDirectories(sealed);
    Files.createDirectories(files);
    for (Map.Entry<String, String> e : built.secret().getData().entrySet()) {
      Files.write(sealed.resolve(e.getKey()), Base64.getDecoder().decode(e.getValue()));
    }
    Files.deleteIfExists(userKey);
    Files.writeString(userKey, bench.userKey(), StandardCharsets.US_ASCII);
    Files.setPosixFilePermissions(userKey, PosixFilePermissions.fromString("r--------"));
    // A training run that records the classes the init step loads, as the image's build does.
    // (Only from the assembly jar: class-data sharing refuses directories on the class path.)
    Files.deleteIfExists(dir.resolve(ARCHIVE));
    boolean archived = isRunnableJar(codeSource());
    List<String> training = new ArrayList<>(command(dir, false));
    training.add(1, "-XX:ArchiveClassesAtExit=" + dir.resolve(ARCHIVE));
    if (archived) {
      Process run = new ProcessBuilder(training).redirectErrorStream(true).start();
      String log = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      try {
        if (run.waitFor() != 0 || !Files.exists(dir.resolve(ARCHIVE))) {
          err.println("bench init: the training run failed:\n" + log);
          return 1;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 1;
      }
    }
    out.printf(
        "prepared %s: %d sealed values of %d characters in sealed/, the user key in user-key,"
            + " files/ for the output, %s%n",
        dir,
        size.secrets,
        size.valueChars,
        archived
            ? "the class-data archive of a training run in " + ARCHIVE
            : "no class-data archive (not run from the assembly jar)");
    out.printf("python reference of the same work: python3 e2e/bench/reference_init.py %s%n", dir);
    out.println(String.join(" ", command(dir, archived)));
    out.flush();
    return 0;
  }

  /** The real init step on a prepared {@code dir}, as one process. */
  static List<String> command(Path dir, boolean withArchive) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(JVM_FLAGS);
    if (withArchive) {
      command.add("-XX:SharedArchiveFile=" + dir.resolve(ARCHIVE));
      command.add("-Xshare:auto");
    }
    Path code = codeSource();
    if (isRunnableJar(code)) {
      command.add("-jar");
      command.add(code.toString());
    } else {
      // Not run from the assembly (a test, an IDE): the same classes, by their class path.
      command.add("-cp");
      command.add(System.getProperty("java.class.path"));
      command.add(Main.class.getName());
    }
    command.add("init");
    command.add("--sealed-dir=" + dir.resolve("sealed"));
    command.add("--user-key-file=" + dir.resolve("user-key"));
    command.add("--mount-path=" + dir.resolve("files"));
    return command;
  }

  /** Whether {@code path} is a jar that names its main class (the assembly, not a module jar). */
  private static boolean isRunnableJar(Path path) {
    if (!Files.isRegularFile(path)) {
      return false;
    }
    try (java.util.jar.JarFile jar = new java.util.jar.JarFile(path.toFile())) {
      return jar.getManifest() != null
          && jar.getManifest().getMainAttributes().getValue("Main-Class") != null;
    } catch (IOException e) {
      return false;
    }
  }

  private static Path codeSource() {
    try {
      return Path.of(InitBench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot find the jar this runs from", e);
    }
  }

  /** Removes a directory this command made before (files are 0400: their directory allows it). */
  private static void clear(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
