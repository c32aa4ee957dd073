package io.nbsecrets.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.nbsecrets.cli.Commands;
import io.nbsecrets.dev.DevEnvironment;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The benchmark commands as a user runs them: {@code bench snapshot} prints its result line, {@code
 * bench init} prepares a directory and prints a command that runs the real init step on it as a
 * process, whose files are byte for byte those of the Python reference of the same work.
 */
public class BenchCommandTest {
  private static final Pattern SNAPSHOT =
      Pattern.compile("snapshot: secrets=(\\d+) algorithm=([a-z0-9-]+) cpu_s=(\\d+\\.\\d{4})");

  /** A command's exit code and what it printed. */
  public record Run(int exit, String out, String err) {
    String lastLine() {
      List<String> lines = out.lines().toList();
      return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }
  }

  /** Runs the command line {@code args} in this JVM (as {@code nbsecrets ARGS}). */
  public static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Commands.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  private static final Pattern SESSIONS =
      Pattern.compile(
          "sessions: n=(\\d+) secrets=(\\d+) warm_up=0 written_s=(\\d+\\.\\d) ready_s=(\\d+\\.\\d)"
              + " operator_cpu_s=(\\d+\\.\\d) operator_requests=(\\d+\\.\\d\\d)"
              + " operator_writes=(\\d+\\.\\d\\d)");

  /** The folders {@code bench sessions} makes for its files, as they are now. */
  private static List<Path> benchFolders() throws IOException {
    try (Stream<Path> tmp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return tmp.filter(p -> p.getFileName().toString().startsWith("nbsecrets-sessions-bench"))
          .toList();
    }
  }

  @Test
  void sessionsOnTheDevAssemblyMeasuresEveryPhaseAndPrintsItsResultAsTheLastLine()
      throws IOException {
    List<Path> before = benchFolders();
    Run run =
        run(
            "bench",
            "sessions",
            "--mock",
            "--sessions",
            "4",
            "--users",
            "2",
            "--secrets",
            "3",
            "--value-chars",
            "50",
            "--load-seconds",
            "1");

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out())
        .contains("== 4 sessions of 3 secrets, 2 users, cold operator ==")
        .contains("all Ready=True")
        .contains(DevEnvironment.OPERATOR_AGENT + " by verb and resource:")
        .containsPattern("failed 0 of [1-9]");
    Matcher m = SESSIONS.matcher(run.lastLine());
    assertThat(m.matches()).as(run.lastLine()).isTrue();
    assertThat(m.group(1)).isEqualTo("4");
    assertThat(m.group(2)).isEqualTo("3");
    // Every session was written and made ready, by the operator's own requests.
    assertThat(Double.parseDouble(m.group(4)))
        .isGreaterThanOrEqualTo(Double.parseDouble(m.group(3)));
    assertThat(Double.parseDouble(m.group(7))).isGreaterThanOrEqualTo(3.0);
    assertThat(Double.parseDouble(m.group(6))).isGreaterThan(Double.parseDouble(m.group(7)));
    // Its files go with it.
    assertThat(benchFolders()).as("the bench's folders left behind").isSubsetOf(before);
  }

  @Test
  void sessionsAfterAWarmUpMeasuresOnlyTheBurstThatFollows() {
    Run run = twoSmallSessionsOnTheMock("--warm-up", "3");

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out())
        .containsPattern(
            "warm-up: 3 sessions Ready in \\d+\\.\\d s \\(operator CPU \\d+\\.\\d s\\)")
        .containsPattern("CPU during the warm-up:\\n  \\S.* +\\d+\\.\\d s\\n")
        .contains("== 2 sessions of 2 secrets, 2 users, after 3 warm-up sessions ==")
        .contains("all Ready=True");
    assertThat(run.lastLine()).startsWith("sessions: n=2 secrets=2 warm_up=3 written_s=");
  }

  @Test
  void sessionsInRoundsMeasuresEachBurstAfterTheOnesBeforeIt() {
    Run run = twoSmallSessionsOnTheMock("--rounds", "2");

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out())
        .contains("== 2 sessions of 2 secrets, 2 users, round 1 of 2, cold operator ==")
        .contains(
            "== 2 sessions of 2 secrets, 2 users, round 2 of 2, after 2 sessions of earlier"
                + " rounds ==");
    List<String> lines = run.out().lines().toList();
    assertThat(lines.get(lines.size() - 2))
        .startsWith("sessions: n=2 secrets=2 warm_up=0 round=1 written_s=");
    assertThat(lines.get(lines.size() - 1))
        .startsWith("sessions: n=2 secrets=2 warm_up=0 round=2 written_s=");
    // Each round counts its own operator's writes: a new session's are at least its Secret,
    // StatefulSet and Service, and the second round's are not the first's counted again.
    List<Double> writes = new ArrayList<>();
    for (String line : lines.subList(lines.size() - 2, lines.size())) {
      Matcher m = Pattern.compile("operator_writes=(\\d+\\.\\d\\d)").matcher(line);
      assertThat(m.find()).as(line).isTrue();
      writes.add(Double.parseDouble(m.group(1)));
    }
    assertThat(writes).allSatisfy(w -> assertThat(w).isGreaterThanOrEqualTo(3.0));
    assertThat(writes.get(1)).isLessThanOrEqualTo(1.5 * writes.get(0));
  }

  @Test
  void sessionsWithDeleteFollowsEverySessionAndWhatItMadeUntilGone() {
    Run run = twoSmallSessionsOnTheMock("--warm-up", "1", "--delete");

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out())
        .containsPattern("operator heap after full GC, at the start: \\d+\\.\\d MiB")
        .contains("== all 3 sessions deleted at once ==")
        .containsPattern(
            "all they made gone +\\d+\\.\\d s \\(StatefulSets, Services, Secrets, pods\\)")
        .containsPattern(
            "at the start \\d+\\.\\d MiB, with all sessions \\d+\\.\\d MiB, after the deletion"
                + " \\d+\\.\\d MiB \\([-+]\\d+\\.\\d\\d KiB per deleted session\\), 15 s later"
                + " \\d+\\.\\d MiB");
    List<String> lines = run.out().lines().toList();
    // The bursts' summaries stay in place; the deletion's comes last.
    assertThat(lines.get(lines.size() - 2)).startsWith("sessions: n=2 secrets=2 warm_up=1 ");
    Matcher m =
        Pattern.compile(
                "deletion: sessions=3 gone_s=\\d+\\.\\d operator_cpu_s=\\d+\\.\\d"
                    + " operator_requests=(\\d+\\.\\d\\d) operator_writes=(\\d+\\.\\d\\d)"
                    + " heap_start_mib=\\d+\\.\\d heap_end_mib=\\d+\\.\\d heap_later_mib=\\d+\\.\\d")
            .matcher(run.lastLine());
    assertThat(m.matches()).as(run.lastLine()).isTrue();
    // What a session made goes with it by its owner references: the operator writes nothing.
    assertThat(m.group(2)).isEqualTo("0.00");
  }

  @Test
  void noRoundsSessionsOrPodsAreAnotherRoundsOrTheWarmUps() {
    assertThat(SessionsBench.roundPrefix(1)).isEqualTo("nb");
    assertThat(SessionsBench.roundPrefix(2)).isEqualTo("nb2");
    assertThat(SessionsBench.roundPrefix(10)).isEqualTo("nb10");
    // Four digits after the prefix, no more and no fewer.
    assertThat(SessionsBench.named("nb", "nb0042")).isTrue();
    assertThat(SessionsBench.named("nb", "nb20000")).isFalse();
    assertThat(SessionsBench.named("nb2", "nb2000")).isFalse();
    assertThat(SessionsBench.named("nb2", "nb20000")).isTrue();
    assertThat(SessionsBench.named("nb1", "nb10000")).isTrue();
    assertThat(SessionsBench.named("nb10", "nb10000")).isFalse();
    assertThat(SessionsBench.named("nb", "warm0001")).isFalse();
    assertThat(SessionsBench.named("nb", "nbx042")).isFalse();
    // The init-key burst's pods: the first round's sessions' pods only.
    assertThat(SessionsBench.isPodOfRound(1, "nb0042-0")).isTrue();
    assertThat(SessionsBench.isPodOfRound(1, "nb20042-0")).isFalse();
    assertThat(SessionsBench.isPodOfRound(2, "nb20042-0")).isTrue();
    assertThat(SessionsBench.isPodOfRound(1, "warm0042-0")).isFalse();
    assertThat(SessionsBench.isPodOfRound(1, "nb0042-1")).isFalse();
    assertThat(SessionsBench.isPodOfRound(1, "nb0042")).isFalse();
  }

  /** {@code bench sessions --mock} with {@code options}, of two small sessions and a short load. */
  private static Run twoSmallSessionsOnTheMock(String... options) {
    List<String> args = new ArrayList<>(List.of("--mock", "--sessions", "2", "--users", "2"));
    args.addAll(List.of(options));
    return smallSessions(args.toArray(String[]::new));
  }

  /**
   * {@code bench sessions} with {@code options}, of sessions of two secrets of 20 characters and a
   * one-second load of the secrets API.
   */
  public static Run smallSessions(String... options) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "bench",
                "sessions",
                "--secrets",
                "2",
                "--value-chars",
                "20",
                "--load-seconds",
                "1"));
    args.addAll(List.of(options));
    return run(args.toArray(String[]::new));
  }

  @Test
  void sessionsRefusesSettingsOutOfRangeNamingTheOption() {
    Run run = run("bench", "sessions", "--mock", "--sessions", "0");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("bench sessions: --sessions must be between 1 and 5000, got: 0");
    Run warm = run("bench", "sessions", "--mock", "--warm-up", "-1");
    assertThat(warm.exit()).isEqualTo(2);
    assertThat(warm.err())
        .contains("bench sessions: --warm-up must be between 0 and 5000, got: -1");
    for (String bad : List.of("0", "11")) {
      Run rounds = run("bench", "sessions", "--mock", "--rounds", bad);
      assertThat(rounds.exit()).isEqualTo(2);
      assertThat(rounds.err())
          .contains("bench sessions: --rounds must be between 1 and 10, got: " + bad);
    }
    Run chart = run("bench", "sessions", "--mock", "--set", "operator.extraEnv[0].name=X");
    assertThat(chart.exit()).isEqualTo(2);
    assertThat(chart.err())
        .contains(
            "bench sessions: --set needs the control plane: the chart is not used with --mock");
    Run image = run("bench", "sessions", "--mock", "--operator-image-root", "/");
    assertThat(image.exit()).isEqualTo(2);
    assertThat(image.err())
        .contains(
            "bench sessions: --operator-image-root needs the control plane: --mock runs every"
                + " role in this JVM");
    Run node = run("bench", "sessions", "--mock", "--no-node");
    assertThat(node.exit()).isEqualTo(2);
    assertThat(node.err())
        .contains(
            "bench sessions: --no-node needs the control plane: the mock's kubelet stand-in is"
                + " part of it");
  }

  @ParameterizedTest
  @ValueSource(strings = {"mlkem768-x25519", "x25519", "rsa-2048"})
  void snapshotPrintsItsResultAsTheLastLine(String algorithm) {
    Run run =
        run(
            "bench",
            "snapshot",
            "--secrets",
            "7",
            "--algorithm",
            algorithm,
            "--value-chars",
            "300",
            "--runs",
            "3",
            "--warmup",
            "1");

    assertThat(run.exit()).as(run.err()).isZero();
    Matcher m = SNAPSHOT.matcher(run.lastLine());
    assertThat(m.matches()).as(run.lastLine()).isTrue();
    assertThat(m.group(1)).isEqualTo("7");
    assertThat(m.group(2)).isEqualTo(algorithm);
    assertThat(Double.parseDouble(m.group(3))).isPositive().isLessThan(30);
  }

  @Test
  void badOptionsAreNamed() {
    Run algorithm = run("bench", "snapshot", "--algorithm", "rsa-1024");
    assertThat(algorithm.exit()).isEqualTo(2);
    assertThat(algorithm.err()).contains("got: rsa-1024").contains("mlkem768-x25519");
    Run secrets = run("bench", "snapshot", "--secrets", "0");
    assertThat(secrets.exit()).isEqualTo(2);
    assertThat(secrets.err()).contains("--secrets must be between 1 and 200, got: 0");
    Run bare = run("bench");
    assertThat(bare.exit()).isEqualTo(2);
    assertThat(bare.err()).contains("snapshot").contains("init");
  }

  @Test
  void initPreparesADirectoryAndTheCommandItPrintsWritesWhatPythonWrites(@TempDir Path dir)
      throws Exception {
    Run prepared = run("bench", "init", "--dir", dir.toString(), "--secrets", "12");

    assertThat(prepared.exit()).as(prepared.err()).isZero();
    assertThat(Files.getPosixFilePermissions(dir.resolve("user-key")))
        .isEqualTo(PosixFilePermissions.fromString("r--------"));
    try (Stream<Path> sealed = Files.list(dir.resolve("sealed"))) {
      assertThat(sealed.count()).isEqualTo(12 + 1); // the values and the manifest
    }
    // The last line is the command: run it as printed, as a process (from a test, the classes
    // of this build by their class path, in place of the jar).
    List<String> command = List.of(prepared.lastLine().split(" "));
    assertThat(command.subList(command.size() - 4, command.size()))
        .containsExactly(
            "init",
            "--sealed-dir=" + dir.resolve("sealed"),
            "--user-key-file=" + dir.resolve("user-key"),
            "--mount-path=" + dir.resolve("files"));
    // From the assembly jar it also makes a class-data archive (tried by hand: docs/benchmarks.md);
    // class-data sharing refuses a class path of directories, as a test has.
    assertThat(prepared.out()).contains("no class-data archive (not run from the assembly jar)");
    Process init = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertThat(init.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String output = new String(init.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(init.exitValue()).as(output).isZero();
    assertThat(output).contains("wrote 12 secret files");

    // The two lower bounds before it, by the same JVM: the start alone, the inner layer alone.
    assertThat(prepared.out())
        .contains(
            InitBench.START_ALONE + command.get(0), InitBench.INNER_LAYER_ALONE + command.get(0));
    for (String line : prepared.out().split("\n")) {
      if (line.startsWith(InitBench.START_ALONE)) {
        assertThat(runPrinted(line.substring(InitBench.START_ALONE.length()))).isEmpty();
      } else if (line.startsWith(InitBench.INNER_LAYER_ALONE)) {
        assertThat(runPrinted(line.substring(InitBench.INNER_LAYER_ALONE.length())))
            .isEqualTo("decrypted 12 values, 60000 bytes");
      }
    }

    List<Path> written = files(dir.resolve("files"));
    assertThat(written).hasSize(12);
    for (Path f : written) {
      assertThat(Files.getPosixFilePermissions(f))
          .isEqualTo(PosixFilePermissions.fromString("r--------"));
      assertThat(Files.size(f)).isEqualTo(5000);
    }

    // The Python reference of the same work writes the same bytes.
    Process python =
        new ProcessBuilder("python3", "e2e/bench/reference_init.py", dir.toString())
            .redirectErrorStream(true)
            .start();
    assertThat(python.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String pythonOut = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assumeThat(pythonOut)
        .as("python3 with cryptography (installed by .ci/run)")
        .doesNotContain("ModuleNotFoundError");
    assertThat(python.exitValue()).as(pythonOut).isZero();
    List<Path> reference = files(dir.resolve("files-python"));
    assertThat(reference).hasSize(12);
    for (int i = 0; i < written.size(); i++) {
      assertThat(reference.get(i).getFileName()).isEqualTo(written.get(i).getFileName());
      assertThat(Files.readAllBytes(reference.get(i)))
          .as(written.get(i).getFileName().toString())
          .isEqualTo(Files.readAllBytes(written.get(i)));
    }
  }

  @Test
  void initTimesTheLibcryptoLibraryItIsGivenAndNamesOneThatIsMissing(@TempDir Path dir)
      throws Exception {
    Path library = Path.of("src/init/target/native/libnbsecrets-init.so").toAbsolutePath();
    assumeTrue(
        Files.exists(library), "no libcrypto library built here (apt-get install libssl-dev)");
    Run prepared =
        run(
            "bench",
            "init",
            "--dir",
            dir.toString(),
            "--secrets",
            "3",
            "--native",
            library.toString());
    assertThat(prepared.exit()).as(prepared.err()).isZero();
    assertThat(prepared.out())
        .contains("the init step decrypts with libcrypto: -Dnbsecrets.init.native=" + library);
    List<String> command = List.of(prepared.lastLine().split(" "));
    // The image's flags on this Java 17: G1, the library, no native-access flag (from Java 22 on).
    assertThat(command)
        .contains("-XX:+UseG1GC", "-Dnbsecrets.init.native=" + library)
        .doesNotContain("--enable-native-access=ALL-UNNAMED");
    Process init = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertThat(init.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String output = new String(init.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(init.exitValue()).as(output).isZero();
    assertThat(output).contains("wrote 3 secret files").doesNotContain("WARNING");

    Run jdk = run("bench", "init", "--dir", dir.toString(), "--secrets", "1", "--native", "none");
    assertThat(jdk.exit()).as(jdk.err()).isZero();
    assertThat(jdk.out()).contains("the init step decrypts with the JDK's crypto");
    assertThat(jdk.lastLine()).doesNotContain("nbsecrets.init.native");

    Run missing = run("bench", "init", "--dir", dir.toString(), "--native", "/nonexistent/lib.so");
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err()).contains("--native /nonexistent/lib.so does not exist");
  }

  @Test
  void initTimesTheJavaItIsGivenAndNamesOneThatIsNot(@TempDir Path dir) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Run prepared =
        run("bench", "init", "--dir", dir.toString(), "--secrets", "1", "--java", java.toString());
    assertThat(prepared.exit()).as(prepared.err()).isZero();
    assertThat(prepared.lastLine()).startsWith(java + " ");

    Path notJava = dir.resolve("not-java");
    Files.writeString(notJava, "#!/bin/sh\necho 'sh version \"2\"' >&2\n");
    Files.setPosixFilePermissions(notJava, PosixFilePermissions.fromString("rwx------"));
    Run wrong = run("bench", "init", "--dir", dir.toString(), "--java", notJava.toString());
    assertThat(wrong.exit()).isEqualTo(2);
    assertThat(wrong.err())
        .contains("--java " + notJava + " is not a java launcher of release 17 or later")
        .contains("sh version");
    Run silent = run("bench", "init", "--dir", dir.toString(), "--java", "/bin/true");
    assertThat(silent.exit()).isEqualTo(2);
    assertThat(silent.err())
        .contains(
            "--java /bin/true is not a java launcher of release 17 or later (its -version printed nothing)");
    Run missing = run("bench", "init", "--dir", dir.toString(), "--java", "/nonexistent/java");
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err()).contains("--java /nonexistent/java is not an executable file");
  }

  @Test
  void aJavaReleaseIsReadFromWhatItsVersionSays() {
    assertThat(Jvm.release("openjdk version \"17.0.15\" 2025-04-15")).isEqualTo(17);
    assertThat(Jvm.release("openjdk version \"25.0.3\" 2026-04-21 LTS")).isEqualTo(25);
    assertThat(Jvm.release("openjdk version \"26-ea\" 2026-03-17")).isEqualTo(26);
    assertThat(Jvm.release("java version \"1.8.0_412\"")).isEqualTo(8);
    assertThat(Jvm.release("no version here")).isZero();
  }

  /**
   * Before Java 25, a training run records the classes it loads and a second run dumps them into a
   * static archive with the run's flags and class path; run for real here on a one-class jar, the
   * archive then maps with the module graph (G1) and serves the class. From Java 25 the training
   * run writes an AOT cache itself.
   */
  @Test
  void aTrainingRunDumpsAStaticArchiveThatMapsWithTheModuleGraph(@TempDir Path dir)
      throws Exception {
    Path jar = dir.resolve("hello.jar");
    String entry = Hello.class.getName().replace('.', '/') + ".class";
    try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar));
        var in = Hello.class.getClassLoader().getResourceAsStream(entry)) {
      out.putNextEntry(new java.util.jar.JarEntry(entry));
      in.transferTo(out);
      out.closeEntry();
    }
    Jvm jvm = Jvm.of(Jvm.current());
    List<String> command = new ArrayList<>();
    command.add(jvm.launcher().toString());
    command.addAll(InitBench.JVM_FLAGS);
    command.addAll(List.of("-cp", jar.toString(), Hello.class.getName(), "an-argument"));
    Path archive = dir.resolve(jvm.archive("hello"));

    List<String> training = new ArrayList<>(command);
    training.addAll(1, jvm.recordArchive(archive));
    assertThat(runPrinted(String.join(" ", training))).isEqualTo("hello an-argument");
    List<String> dump = jvm.dumpArchive(archive, command);
    assertThat(dump)
        .startsWith(jvm.launcher().toString(), "-XX:+UseG1GC", "-XX:-UsePerfData")
        .contains("-Xshare:dump", "-XX:SharedArchiveFile=" + archive)
        .endsWith("-cp", jar.toString())
        .doesNotContain(Hello.class.getName(), "an-argument");
    runPrinted(String.join(" ", dump));
    assertThat(archive).isRegularFile();

    List<String> used = new ArrayList<>(command);
    used.addAll(1, jvm.useArchive(archive));
    used.addAll(1, List.of("-Xshare:on", "-Xlog:cds=info", "-Xlog:class+load=info"));
    assertThat(runPrinted(String.join(" ", used)))
        .contains("full module graph: enabled")
        .containsPattern(Pattern.quote(Hello.class.getName()) + " source: shared objects file")
        .contains("\nhello an-argument\n");

    Jvm java25 = new Jvm(Path.of("/opt/java-25/bin/java"), 25);
    assertThat(java25.recordArchive(archive)).containsExactly("-XX:AOTCacheOutput=" + archive);
    assertThat(java25.dumpArchive(archive, command)).isEmpty();
  }

  /**
   * The one class of the jar that {@link
   * #aTrainingRunDumpsAStaticArchiveThatMapsWithTheModuleGraph} archives.
   */
  public static final class Hello {
    public static void main(String[] args) {
      System.out.println("hello " + String.join(" ", args));
    }
  }

  /** Runs a printed command as a process; its output, stripped. */
  private static String runPrinted(String printed) throws Exception {
    Process p = new ProcessBuilder(printed.split(" ")).redirectErrorStream(true).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(output).isZero();
    return output.strip();
  }

  private static List<Path> files(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(Files::isRegularFile).sorted().toList();
    }
  }
}
