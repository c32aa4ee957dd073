package io.nbsecrets.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.nbsecrets.crypto.Fernet;
import io.nbsecrets.init.NativeFernet;
import io.nbsecrets.init.SecretFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The init step as the image runs it, a process of its own, with and without its libcrypto library:
 * the same files either way, and a library the image names but cannot load told once on stderr
 * (with its path, never a value) while the step goes on with the JDK's crypto.
 */
class InitNativeLibraryTest {
  private static final String JAVA =
      Path.of(System.getProperty("java.home"), "bin", "java").toString();

  /** Where src/init's build puts the library (profile native; tests run at the root). */
  private static final Path LIBRARY =
      Path.of("src/init/target/native/libnbsecrets-init.so").toAbsolutePath();

  @TempDir Path dir;
  private final List<String> values = List.of("s3cr3t-one", "s3cr3t-two\nwith a newline");

  @BeforeEach
  void sealed() throws IOException {
    String key = Fernet.generateKey();
    Path sealed = Files.createDirectories(dir.resolve("sealed"));
    Files.writeString(
        sealed.resolve(SecretFiles.MANIFEST_FILE),
        "[{\"name\":\"ONE\",\"file\":\"one\"},{\"name\":\"TWO\",\"file\":\"two\"}]");
    Files.writeString(
        sealed.resolve("ONE"),
        Fernet.fromKey(key).encrypt(values.get(0).getBytes(StandardCharsets.UTF_8)));
    Files.writeString(
        sealed.resolve("TWO"),
        Fernet.fromKey(key).encrypt(values.get(1).getBytes(StandardCharsets.UTF_8)) + "\n");
    Files.writeString(dir.resolve("user-key"), key);
    Files.createDirectories(dir.resolve("files"));
  }

  @Test
  void withTheLibraryTheStepWritesTheSameFilesAndSaysNothingMore() throws Exception {
    assumeTrue(
        Files.exists(LIBRARY), "no libcrypto library built here (apt-get install libssl-dev)");

    String output = init("-D" + NativeFernet.LIBRARY_PROPERTY + "=" + LIBRARY);

    assertThat(output).doesNotContain("WARNING").contains("wrote 2 secret files");
    assertFilesWritten(output);
  }

  @Test
  void aLibraryThatCannotLoadIsToldAndTheJdkDecrypts() throws Exception {
    Path missing = dir.resolve("lib/libnbsecrets-init.so");

    String output = init("-D" + NativeFernet.LIBRARY_PROPERTY + "=" + missing);

    assertThat(output)
        .contains(
            "nbsecrets init: WARNING: decrypting with the JDK, not libcrypto: "
                + missing
                + " does not exist")
        .contains("wrote 2 secret files");
    assertFilesWritten(output);
  }

  /**
   * A library without the file writes (as one of the ninth stop's, built here from the Fernet half
   * of the sources alone) is refused at load with a warning that says so, not linked half-way: the
   * step decrypts and writes with the JDK.
   */
  @Test
  void aLibraryWithoutTheFileWritesIsToldAndTheJdkDoesBoth() throws Exception {
    assumeTrue(
        Files.exists(LIBRARY), "no libcrypto library built here (apt-get install libssl-dev)");
    Path partial = dir.resolve("lib/libnbsecrets-init.so");
    Files.createDirectories(partial.getParent());
    String jdk = System.getProperty("java.home");
    Process gcc =
        new ProcessBuilder(
                "gcc",
                "-O2",
                "-std=c11",
                "-fPIC",
                "-shared",
                "-I" + jdk + "/include",
                "-I" + jdk + "/include/linux",
                "-o",
                partial.toString(),
                Path.of("src/init/src/main/c/nbsecrets_fernet.c").toAbsolutePath().toString(),
                "-lcrypto")
            .redirectErrorStream(true)
            .start();
    String built = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(gcc.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(gcc.exitValue()).as(built).isZero();

    String output = init("-D" + NativeFernet.LIBRARY_PROPERTY + "=" + partial);

    assertThat(output)
        .contains(
            "nbsecrets init: WARNING: decrypting with the JDK, not libcrypto: "
                + partial
                + " does not write files (a library of an earlier version)")
        .contains("wrote 2 secret files");
    assertFilesWritten(output);
  }

  @Test
  void withoutThePropertyTheJdkDecryptsSilently() throws Exception {
    String output = init();

    assertThat(output).doesNotContain("WARNING").contains("wrote 2 secret files");
    assertFilesWritten(output);
  }

  private void assertFilesWritten(String output) throws IOException {
    assertThat(Files.readString(dir.resolve("files/one"))).isEqualTo(values.get(0));
    assertThat(Files.readString(dir.resolve("files/two"))).isEqualTo(values.get(1));
    for (String value : values) {
      assertThat(output).doesNotContain(value.lines().findFirst().orElseThrow());
    }
  }

  private String init(String... flags) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(JAVA);
    command.add("--enable-native-access=ALL-UNNAMED");
    command.addAll(List.of(flags));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Main.class.getName());
    command.add("init");
    command.add("--sealed-dir=" + dir.resolve("sealed"));
    command.add("--user-key-file=" + dir.resolve("user-key"));
    command.add("--mount-path=" + dir.resolve("files"));
    command.add("--termination-log=" + dir.resolve("termination-log"));
    Path output = dir.resolve("output.txt");
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("init finished").isTrue();
    String text = Files.readString(output);
    assertThat(p.exitValue()).as(text).isZero();
    return text;
  }
}
