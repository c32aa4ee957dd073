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
 * runs the real init step on it. Before it come two lower bounds, run by the same JVM with the same
 * flags: the JVM's start alone, and the inner layer's removal alone ({@link InnerLayerAlone}: read
 * and decrypt the values, no list of files, nothing written). What the init step does beyond them
 * is its own cost; what they cost is the JVM's.
 */
@Command(
    name = "init",
    mixinStandardHelpOptions = true,
    description =
        "Prepare DIR to time the init step as a whole process: N sealed values, the user key in"
            + " place of the API. Last line: the command that runs the real init step on DIR.")
final class InitBench implements Callable<Integer> {
  /**
   * The JVM flags the image's entry point gives the init step that matter outside a container: G1
   * (for the archived heap objects Java 17 maps only under it), no performance-data file, and C1
   * alone (a process that lives about 40 ms never gets C2's code back).
   */
  static final List<String> JVM_FLAGS =
      List.of("-XX:+UseG1GC", "-XX:-UsePerfData", "-XX:TieredStopAtLevel=1");

  /**
   * The first Java release that warns when a library is loaded without {@code
   * --enable-native-access}, and so the first whose image flags carry it (operator/Dockerfile).
   */
  static final int NATIVE_ACCESS_RELEASE = 22;

  /** The first Java release whose AOT cache (JEP 483) replaces the class-data archive here. */
  static final int AOT_CACHE_RELEASE = 25;

  /** Prefix of the line with the command that only starts the JVM. */
  static final String START_ALONE = "start alone: ";

  /** Prefix of the line with the command that only removes the inner layer. */
  static final String INNER_LAYER_ALONE = "inner layer alone: ";

  @Spec CommandSpec spec;

  @picocli.CommandLine.Mixin SessionSize size = new SessionSize();

  @Option(names = "--dir", required = true, description = "Directory to prepare (made if absent).")
  Path dir;

  @Option(
      names = "--java",
      description =
          "The java launcher the printed commands use (default: this JVM's). From Java "
              + AOT_CACHE_RELEASE
              + " on, an AOT cache (JEP 483) takes the class-data archive's place.")
  Path launcher;

  @Option(
      names = "--native",
      description =
          "The init step's libcrypto library (NativeFernet), as the image sets it; \"none\" for the"
              + " JDK's crypto (default: "
              + NATIVE_LIBRARY
              + " next to the jar, when it is there).")
  String nativeLibrary;

  /** The init step's own jar (src/cli), which the build puts next to the assembly jar. */
  static final String INIT_JAR = "nbsecrets-init.jar";

  /** Where the build puts the init step's JNI library, next to the assembly jar. */
  static final String NATIVE_LIBRARY = "native/libnbsecrets-init.so";

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
    Jvm jvm;
    try {
      jvm = Jvm.of(launcher == null ? Jvm.current() : launcher);
    } catch (IllegalArgumentException e) {
      err.println("bench init: --java " + e.getMessage());
      return 2;
    }
    List<String> nativeFlags;
    try {
      nativeFlags = nativeFlags(jvm);
    } catch (IllegalArgumentException e) {
      err.println("bench init: --native " + e.getMessage());
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
    // Training runs that record the classes each command loads, as the image's build does. (Only
    // from the assembly jar: class-data sharing refuses directories on the class path.)
    boolean archived = isRunnableJar(codeSource());
    List<String> init = command(jvm, dir, archived, "init", nativeFlags, initArgs(dir), null);
    List<String> inner =
        command(
            jvm, dir, archived, "inner", List.of(), List.of(dir.toString()), InnerLayerAlone.class);
    List<String> start =
        command(
            jvm,
            dir,
            archived,
            "inner",
            List.of(),
            List.of(InnerLayerAlone.START_ONLY),
            InnerLayerAlone.class);
    if (archived) {
      for (String name : List.of("init", "inner")) {
        Files.deleteIfExists(dir.resolve(jvm.archive(name)));
      }
      try {
        train(jvm, dir, "init", command(jvm, dir, false, "init", nativeFlags, initArgs(dir), null));
        train(
            jvm,
            dir,
            "inner",
            command(
                jvm,
                dir,
                false,
                "inner",
                List.of(),
                List.of(dir.toString()),
                InnerLayerAlone.class));
      } catch (IllegalStateException e) {
        err.println("bench init: " + e.getMessage());
        return 1;
      }
      clear(files);
      Files.createDirectories(files);
    }
    out.printf(
        "prepared %s: %d sealed values of %d characters in sealed/, the user key in user-key,"
            + " files/ for the output, %s%n",
        dir,
        size.secrets,
        size.valueChars,
        archived
            ? "the "
                + jvm.archiveKind()
                + " of a training run in "
                + jvm.archive("init")
                + " (and "
                + jvm.archive("inner")
                + ")"
            : "no class-data archive (not run from the assembly jar)");
    out.println(
        nativeFlags.isEmpty()
            ? "the init step decrypts with the JDK's crypto"
            : "the init step decrypts with libcrypto: " + nativeFlags.get(nativeFlags.size() - 1));
    out.printf("python reference of the same work: python3 e2e/bench/reference_init.py %s%n", dir);
    out.println(START_ALONE + String.join(" ", start));
    out.println(INNER_LAYER_ALONE + String.join(" ", inner));
    out.println(String.join(" ", init));
    out.flush();
    return 0;
  }

  /**
   * The image's flags for the init step's libcrypto library: none for {@code --native none}, or
   * when no library is named and none is next to the jar.
   */
  private List<String> nativeFlags(Jvm jvm) {
    Path library;
    if ("none".equals(nativeLibrary)) {
      return List.of();
    } else if (nativeLibrary != null) {
      library = Path.of(nativeLibrary).toAbsolutePath();
      if (!Files.isRegularFile(library)) {
        throw new IllegalArgumentException(library + " does not exist");
      }
    } else {
      Path code = codeSource();
      library = code.resolveSibling(NATIVE_LIBRARY);
      if (!isRunnableJar(code) || !Files.isRegularFile(library)) {
        return List.of();
      }
    }
    String property = "-D" + io.nbsecrets.init.NativeFernet.LIBRARY_PROPERTY + "=" + library;
    return jvm.release() >= NATIVE_ACCESS_RELEASE
        ? List.of("--enable-native-access=ALL-UNNAMED", property)
        : List.of(property);
  }

  /** The init step's options on a prepared {@code dir}. */
  private static List<String> initArgs(Path dir) {
    return List.of(
        "init",
        "--sealed-dir=" + dir.resolve("sealed"),
        "--user-key-file=" + dir.resolve("user-key"),
        "--mount-path=" + dir.resolve("files"));
  }

  /**
   * {@code main} (null: the jar's entry point) with {@code args}, as one process of {@code jvm},
   * with the image's flags, {@code flags} and, when {@code withArchive}, the archive {@code
   * archive}'s training run makes.
   */
  private static List<String> command(
      Jvm jvm,
      Path dir,
      boolean withArchive,
      String archive,
      List<String> flags,
      List<String> args,
      Class<?> main) {
    List<String> command = new ArrayList<>();
    command.add(jvm.launcher().toString());
    command.addAll(JVM_FLAGS);
    command.addAll(flags);
    if (withArchive) {
      command.addAll(jvm.useArchive(dir.resolve(jvm.archive(archive))));
    }
    Path code = codeSource();
    Path initJar = code.resolveSibling(INIT_JAR);
    if (isRunnableJar(code) && main == null && Files.isRegularFile(initJar)) {
      // The image's class path: the init step's jar first (operator/Dockerfile).
      command.add("-cp");
      command.add(initJar + java.io.File.pathSeparator + code);
      command.add(Main.class.getName());
    } else if (isRunnableJar(code) && main == null) {
      command.add("-jar");
      command.add(code.toString());
    } else {
      // A class other than the entry point, or not run from the assembly (a test, an IDE): the
      // same classes, by their class path.
      command.add("-cp");
      command.add(isRunnableJar(code) ? code.toString() : System.getProperty("java.class.path"));
      command.add((main == null ? Main.class : main).getName());
    }
    command.addAll(args);
    return command;
  }

  /**
   * Runs {@code command} (built without an archive) once, recording what it loads in the archive
   * {@code archive}.
   */
  private static void train(Jvm jvm, Path dir, String archive, List<String> command)
      throws IOException {
    Path file = dir.resolve(jvm.archive(archive));
    List<String> training = new ArrayList<>(command);
    training.addAll(1, jvm.recordArchive(file));
    runOnce(training, "the training run for " + file);
    List<String> dump = jvm.dumpArchive(file, command);
    if (!dump.isEmpty()) {
      runOnce(dump, "dumping " + file);
    }
    if (!Files.exists(file)) {
      throw new IllegalStateException("the training run for " + file + " made no archive");
    }
  }

  /** Runs {@code command} to its end; its output in the message when it fails. */
  private static void runOnce(List<String> command, String what) throws IOException {
    Process run = new ProcessBuilder(command).redirectErrorStream(true).start();
    String log = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (run.waitFor() != 0) {
        throw new IllegalStateException(what + " failed:\n" + log);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during " + what, e);
    }
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
