package io.nbsecrets.cli.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The user commands' parts that need no API: config, token sources, URLs, input handling. */
class UserCommandPartsTest {
  @TempDir Path dir;

  @Test
  void theConfigFileIsFoundAsDocumented() {
    assertThat(UserConfig.location(Map.of("NBSECRETS_CONFIG", "/x/c.json")))
        .isEqualTo(Path.of("/x/c.json"));
    assertThat(UserConfig.location(Map.of("XDG_CONFIG_HOME", "/xdg")))
        .isEqualTo(Path.of("/xdg/nbsecrets/config.json"));
    assertThat(UserConfig.location(Map.of()))
        .isEqualTo(Path.of(System.getProperty("user.home"), ".config/nbsecrets/config.json"));
  }

  @Test
  void aSavedConfigIsPrivateAndReadBack() throws Exception {
    Path file = dir.resolve("new").resolve("config.json");
    UserConfig c = new UserConfig("https://a.example", "tok", null, null, null, null);
    c.save(file);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())))
        .isEqualTo("rwx------");
    assertThat(UserConfig.load(file)).contains(c);
    assertThat(Files.readString(file)).doesNotContain("tokenFile", "caBundle");
    assertThat(UserConfig.load(dir.resolve("absent"))).isEmpty();
    assertThatThrownBy(() -> UserConfig.require(dir.resolve("absent")))
        .isInstanceOfSatisfying(
            CliFailure.class, f -> assertThat(f.exitCode()).isEqualTo(ExitCodes.NOT_AUTHENTICATED));
  }

  @Test
  void aTokenFileIsReadEachTimeAndAnEmptyOneIsRefused() throws Exception {
    Path token = dir.resolve("token");
    Files.writeString(token, "one\n");
    UserConfig c = new UserConfig("https://a", null, token.toString(), null, null, null);
    assertThat(c.currentToken()).isEqualTo("one");
    Files.writeString(token, "two");
    assertThat(c.currentToken()).isEqualTo("two");
    Files.writeString(token, "\n");
    assertThatThrownBy(c::currentToken).hasMessageContaining("is empty");
  }

  @Test
  void aTokenCommandPrintsATokenOrAnExecCredential() {
    assertThat(TokenExec.token("abc", "p")).isEqualTo("abc");
    assertThat(TokenExec.token("{\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t1\"}}", "p"))
        .isEqualTo("t1");
    assertThatThrownBy(() -> TokenExec.token("{\"status\":{}}", "p"))
        .hasMessageContaining("without status.token");
    assertThatThrownBy(() -> TokenExec.token("a\nb", "p")).hasMessageContaining("one token");
    assertThat(
            new UserConfig("https://a", null, null, List.of("sh", "-c", "echo from-sh"), null, null)
                .currentToken())
        .isEqualTo("from-sh");
    assertThatThrownBy(
            () ->
                new UserConfig("https://a", null, null, List.of("sh", "-c", "exit 3"), null, null)
                    .currentToken())
        .hasMessage("the token command sh exited with code 3");
  }

  @Test
  void aTokenCommandsTimeoutCountsFromItsStartAndStopsWhatItStarted() throws Exception {
    Path pidFile = dir.resolve("child.pid");
    // Prints part of a line, then never ends (itself, or waiting for a child of its own): the
    // timeout used to start only once its output had ended.
    for (String script :
        List.of(
            "printf partial; sleep 30", "sleep 30 & echo $! > " + pidFile + "; printf t; wait")) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> TokenExec.run(List.of("sh", "-c", script), Duration.ofSeconds(1)))
          .isInstanceOfSatisfying(
              CliFailure.class,
              f -> assertThat(f.exitCode()).isEqualTo(ExitCodes.NOT_AUTHENTICATED))
          .hasMessage("the token command sh did not finish within 1 s");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }
    long child = Long.parseLong(Files.readString(pidFile).trim());
    assertThat(
            ProcessHandle.of(child)
                .map(h -> h.onExit().completeOnTimeout(h, 5, TimeUnit.SECONDS).join().isAlive()))
        .as("the command's child is stopped with it")
        .isNotEqualTo(Optional.of(true));
    // Well within its time, the same reading gives the token.
    assertThat(TokenExec.run(List.of("sh", "-c", "sleep 0.2; echo t2"), Duration.ofSeconds(20)))
        .isEqualTo("t2");
  }

  @Test
  void aTokenCrossesANetworkOnlyOverTls() {
    assertThat(SecretsApi.baseUri("https://s.example/", true)).hasToString("https://s.example");
    assertThat(SecretsApi.baseUri("http://127.0.0.1:8080", true))
        .hasToString("http://127.0.0.1:8080");
    assertThat(SecretsApi.baseUri("http://localhost:8080", true)).hasHost("localhost");
    assertThatThrownBy(() -> SecretsApi.baseUri("http://s.example", true))
        .isInstanceOfSatisfying(
            CliFailure.class, f -> assertThat(f.exitCode()).isEqualTo(ExitCodes.USAGE));
    assertThatThrownBy(() -> SecretsApi.baseUri("s.example", true))
        .hasMessageContaining("must be a URL");
  }

  @Test
  void oneTrailingNewlineIsDroppedFromStandardInput() {
    assertThat(SetCommand.withoutTrailingNewline(bytes("v\n"))).isEqualTo(bytes("v"));
    assertThat(SetCommand.withoutTrailingNewline(bytes("v\r\n"))).isEqualTo(bytes("v"));
    assertThat(SetCommand.withoutTrailingNewline(bytes("v\n\n"))).isEqualTo(bytes("v\n"));
    assertThat(SetCommand.withoutTrailingNewline(bytes("v"))).isEqualTo(bytes("v"));
    assertThat(SetCommand.withoutTrailingNewline(bytes(""))).isEmpty();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
