package io.nbsecrets.init;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The env file and its launcher, run by real POSIX shells: the session process sees every value
 * byte for byte, runs none of them, and gets its original command and arguments.
 */
class EnvFileTest {
  @TempDir Path dir;

  static Map<String, String> nastyValues() {
    Map<String, String> v = new LinkedHashMap<>();
    v.put("SINGLE_QUOTES", "it's 'quoted' ''");
    v.put("DOUBLE_QUOTES", "say \"hi\"");
    v.put("DOLLAR", "$HOME ${PATH} $1 $@ $$");
    v.put("BACKTICKS", "`touch pwned-backtick`");
    v.put("SUBSHELL", "$(touch pwned-subshell)");
    v.put("BACKSLASHES", "a\\nb\\\\c\\'d\\");
    v.put("NEWLINES", "line1\nline2\r\nline3\n");
    v.put("UNICODE", "héllo ✓ 日本語 \uD83D\uDD11");
    v.put("LEADING_DASH", "-n -e");
    v.put("GLOB", "* ? [a-z] ~");
    v.put("SEMICOLON", "; exit 3; &&|| #");
    v.put("EMPTY", "");
    v.put("LARGE", "x".repeat(EnvFile.MAX_ENTRY_BYTES - "LARGE=".length() - 1));
    return v;
  }

  @ParameterizedTest
  @ValueSource(strings = {"/bin/dash", "/bin/bash --posix", "/usr/bin/busybox sh", "/bin/sh"})
  void theProcessSeesEveryValueByteForByteAndRunsNone(String shell) throws Exception {
    String[] sh = shell.split(" ");
    assumeTrue(Files.isExecutable(Path.of(sh[0])), sh[0] + " is not installed");
    Map<String, String> values = nastyValues();
    Path env = dir.resolve("env");
    Files.writeString(env, EnvFile.render(values), StandardCharsets.UTF_8);
    Path launcher = dir.resolve("launcher.sh");
    Files.writeString(launcher, EnvFile.launcherScript(), StandardCharsets.UTF_8);

    List<String> command = new ArrayList<>(List.of(sh));
    command.addAll(List.of(launcher.toString(), "/usr/bin/env", "-0"));
    Result run = run(command, env);

    assertThat(run.exit).isZero();
    Map<String, String> seen = new HashMap<>();
    for (String entry : run.out.split("\0")) {
      int eq = entry.indexOf('=');
      if (eq > 0) {
        seen.put(entry.substring(0, eq), entry.substring(eq + 1));
      }
    }
    for (Map.Entry<String, String> v : values.entrySet()) {
      assertThat(seen.get(v.getKey())).as(v.getKey()).isEqualTo(v.getValue());
    }
    assertThat(seen).doesNotContainKey("NBSECRETS_ENV_FILE");
    assertThat(dir.resolve("pwned-backtick")).doesNotExist();
    assertThat(dir.resolve("pwned-subshell")).doesNotExist();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/bin/dash", "/bin/bash --posix", "/usr/bin/busybox sh"})
  void theOriginalCommandRunsWithItsArgumentsAndItsExitCode(String shell) throws Exception {
    String[] sh = shell.split(" ");
    assumeTrue(Files.isExecutable(Path.of(sh[0])), sh[0] + " is not installed");
    Path env = dir.resolve("env");
    Files.writeString(env, EnvFile.render(Map.of("TOKEN", "t")), StandardCharsets.UTF_8);
    Path launcher = dir.resolve("launcher.sh");
    Files.writeString(launcher, EnvFile.launcherScript(), StandardCharsets.UTF_8);

    List<String> command = new ArrayList<>(List.of(sh));
    command.addAll(
        List.of(
            launcher.toString(),
            "/bin/sh",
            "-c",
            "printf '%s|%s|%s' \"$TOKEN\" \"$1\" \"$2\"; exit 7",
            "arg0",
            "two words",
            "$(not run)"));
    Result run = run(command, env);

    assertThat(run.out).isEqualTo("t|two words|$(not run)");
    assertThat(run.exit).isEqualTo(7);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/bin/dash", "/bin/bash --posix", "/usr/bin/busybox sh"})
  void aNamedFileThatCannotBeReadStopsTheContainer(String shell) throws Exception {
    String[] sh = shell.split(" ");
    assumeTrue(Files.isExecutable(Path.of(sh[0])), sh[0] + " is not installed");
    Path launcher = dir.resolve("launcher.sh");
    Files.writeString(launcher, EnvFile.launcherScript(), StandardCharsets.UTF_8);
    List<String> command = new ArrayList<>(List.of(sh));
    command.addAll(List.of(launcher.toString(), "/bin/sh", "-c", "echo started"));

    Result run = run(command, dir.resolve("missing"));

    assertThat(run.exit).isNotZero();
    assertThat(run.out).doesNotContain("started");
  }

  @Test
  void badNamesAndValuesAreRefusedNamingTheVariableNeverTheValue() {
    for (String name : List.of("1ABC", "A-B", "A.B", "", "Ä")) {
      assertThatThrownBy(() -> EnvFile.render(Map.of(name, "v")))
          .isInstanceOf(InitException.class)
          .hasMessageContaining("is not an environment variable name");
    }
    assertThatThrownBy(() -> EnvFile.render(Map.of("NUL", "p4ss\0w0rd")))
        .isInstanceOf(InitException.class)
        .hasMessageContaining("environment variable NUL")
        .hasMessageContaining("NUL byte")
        .hasMessageNotContaining("p4ss")
        .hasMessageNotContaining("w0rd");
    assertThatThrownBy(() -> EnvFile.render(Map.of("NBSECRETS_ENV_FILE", "v")))
        .isInstanceOf(InitException.class)
        .hasMessageContaining("begins with NBSECRETS_");
    String tooLong = "y".repeat(EnvFile.MAX_ENTRY_BYTES - "BIG=".length());
    assertThatThrownBy(() -> EnvFile.render(Map.of("BIG", tooLong)))
        .isInstanceOf(InitException.class)
        .hasMessageContaining("BIG")
        .hasMessageContaining(String.valueOf(EnvFile.MAX_ENTRY_BYTES))
        .hasMessageNotContaining("yyyy");
    assertThat(EnvFile.nameProblem("_OK_1")).isEmpty();
  }

  @Test
  void aRefusalNamesTheSecretAndCarriesTheInitStepsReason() {
    byte[] nul = {'a', 0, 'b'};
    assertThatThrownBy(
            () -> EnvFile.render(List.of(new EnvFile.Variable("DB_PASSWORD", "db-password", nul))))
        .isInstanceOfSatisfying(
            InitException.class, e -> assertThat(e.reason()).isEqualTo(EnvFile.REFUSED))
        .hasMessageStartingWith("secret db-password (environment variable DB_PASSWORD)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/bin/dash", "/usr/bin/busybox sh"})
  void bytesThatAreNotUtf8ReachTheProcessUnchanged(String shell) throws Exception {
    String[] sh = shell.split(" ");
    assumeTrue(Files.isExecutable(Path.of(sh[0])), sh[0] + " is not installed");
    byte[] latin1 = {'c', (byte) 0xe9, '\'', (byte) 0xff, '\n', 'z'};
    Path env = dir.resolve("env");
    Files.write(env, EnvFile.render(List.of(new EnvFile.Variable("RAW", "raw", latin1))));
    Path launcher = dir.resolve("launcher.sh");
    Files.writeString(launcher, EnvFile.launcherScript(), StandardCharsets.UTF_8);
    Path out = dir.resolve("out");
    List<String> command = new ArrayList<>(List.of(sh));
    command.addAll(
        List.of(
            launcher.toString(),
            "/bin/sh",
            "-c",
            "printf '%s' \"$RAW\" > \"$1\"",
            "x",
            out.toString()));

    assertThat(run(command, env).exit).isZero();
    assertThat(Files.readAllBytes(out)).isEqualTo(latin1);
  }

  private record Result(int exit, String out) {}

  private Result run(List<String> command, Path envFile) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    pb.environment().put("NBSECRETS_ENV_FILE", envFile.toString());
    pb.redirectError(ProcessBuilder.Redirect.DISCARD);
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }
}
