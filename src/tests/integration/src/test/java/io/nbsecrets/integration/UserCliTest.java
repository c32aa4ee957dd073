package io.nbsecrets.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.nbsecrets.cli.user.ExitCodes;
import io.nbsecrets.model.SecretItem;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The user's command line ({@code nbsecrets login, list, set, rm, describe, logout}) as a user runs
 * it: the real {@code io.nbsecrets.cli.Main} in its own process, with standard input, exit code and
 * output, against the real secrets API of the dev assembly; what it stores is checked where it
 * matters, in a session's files. No output ever holds a value or a token.
 */
class UserCliTest extends SessionLifecycle {
  @TempDir Path home;

  /** Everything the CLI printed in this class, for the scan at the end of each test. */
  private final List<String> printed = new ArrayList<>();

  @Override
  List<String> users() {
    return List.of("alice", "bob", "carol", "dave");
  }

  record Run(int code, String out, String err) {}

  private Run cli(Path config, byte[] stdin, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of("-XX:TieredStopAtLevel=1", "-Xshare:auto"));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.nbsecrets.cli.Main"));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().keySet().removeIf(k -> k.startsWith("NBSECRETS_"));
    pb.environment().put("NBSECRETS_CONFIG", config.toString());
    Process p = pb.start();
    CompletableFuture<byte[]> out =
        CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
    CompletableFuture<byte[]> err =
        CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
    try (var in = p.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin);
      }
    }
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("nbsecrets %s finished", args[0]).isTrue();
    Run run =
        new Run(
            p.exitValue(),
            new String(out.get(), StandardCharsets.UTF_8),
            new String(err.get(), StandardCharsets.UTF_8));
    printed.add(run.out() + run.err());
    return run;
  }

  private static byte[] readAll(java.io.InputStream in) {
    try {
      return in.readAllBytes();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private Run login(Path config, String user) throws Exception {
    return cli(
        config, utf8(env.token(user) + "\n"), "login", "--api", env.apiUrl(), "--token-stdin");
  }

  /** Nothing the CLI printed holds a value it was given or a token. */
  private void assertNothingSecretPrinted() {
    String all = String.join("\n", printed);
    for (String p : PLAINTEXTS) {
      assertThat(all).as("a value in the CLI's output").doesNotContain(p);
    }
    for (String token : env.tokens().values()) {
      assertThat(all).as("a token in the CLI's output").doesNotContain(token);
    }
  }

  @Test
  void aUserLogsInStoresListsDescribesAndDeletesAndASessionGetsExactlyWhatWasStored()
      throws Exception {
    Path config = home.resolve("alice").resolve("config.json");
    Run none = cli(config, null, "list");
    assertThat(none.code()).isEqualTo(4);
    assertThat(none.err()).contains("not logged in: run nbsecrets login --api URL --token-stdin");

    Run bad = cli(config, utf8("not-a-token\n"), "login", "--api", env.apiUrl(), "--token-stdin");
    assertThat(bad.code()).isEqualTo(4);
    assertThat(bad.err()).contains("the API refused the token (401");
    assertThat(config).doesNotExist();

    Run in = login(config, "alice");
    assertThat(in.code()).as(in.err()).isZero();
    assertThat(in.out()).contains("Logged in to " + env.apiUrl() + " (0 secrets stored)");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config.getParent())))
        .isEqualTo("rwx------");

    String token = plaintext("token");
    Run created = cli(config, utf8(token + "\n"), "set", "GITHUB_TOKEN");
    assertThat(created.code()).as(created.err()).isZero();
    assertThat(created.out()).isEqualTo("Created GITHUB_TOKEN (version 1)\n");
    String token2 = plaintext("token2");
    Run replaced = cli(config, utf8(token2), "set", "GITHUB_TOKEN");
    assertThat(replaced.out()).isEqualTo("Replaced GITHUB_TOKEN (version 2)\n");

    String pem = plaintext("pem") + "\nsecond line\n";
    Path pemFile = home.resolve("key.pem");
    Files.writeString(pemFile, pem);
    assertThat(cli(config, null, "set", "key.pem", "--from-file", pemFile.toString()).code())
        .isZero();
    byte[] binary = new byte[256];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) i;
    }
    Path keytab = home.resolve("user.keytab");
    Files.write(keytab, binary);
    assertThat(
            cli(config, null, "set", "user.keytab", "--from-file", keytab.toString(), "--base64")
                .code())
        .isZero();

    // A session gets the bytes stored: no trailing newline from stdin, the file exactly.
    create(
        newSession(
            "alice",
            "nb",
            "alice",
            new SecretItem("GITHUB_TOKEN", null),
            new SecretItem("key.pem", null),
            new SecretItem("user.keytab", null)));
    awaitReady("alice", "nb");
    Path files = env.kubelet().sessionDir("alice", "nb");
    assertThat(Files.readString(files.resolve("GITHUB_TOKEN"))).isEqualTo(token2);
    assertThat(Files.readString(files.resolve("key.pem"))).isEqualTo(pem);
    assertThat(Files.readAllBytes(files.resolve("user.keytab"))).isEqualTo(binary);

    // The API sees the session through its cache: describe names it once the cache has it.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(cli(config, null, "describe", "GITHUB_TOKEN").out())
                    .contains("Used by:   alice/nb\n"));
    Run table = cli(config, null, "list");
    assertThat(table.code()).isZero();
    assertThat(table.out().lines().toList())
        .hasSize(4)
        .first()
        .asString()
        .startsWith("NAME")
        .contains("VERSION", "UPDATED");
    assertThat(table.out()).containsPattern("GITHUB_TOKEN\\s+2\\s+20\\d\\d-");
    JsonNode json = JSON.readTree(cli(config, null, "list", "-o", "json").out());
    List<String> listed = new ArrayList<>();
    json.path("items").forEach(i -> listed.add(i.path("name").asText()));
    assertThat(listed).containsExactly("GITHUB_TOKEN", "key.pem", "user.keytab");

    Run described = cli(config, null, "describe", "GITHUB_TOKEN");
    assertThat(described.out())
        .contains("Name:      GITHUB_TOKEN", "Version:   2", "Updated:")
        .containsPattern("Last used: 20\\d\\d-\\S+Z\n")
        .contains("Used by:   alice/nb\n");
    assertThat(table.out()).containsPattern("GITHUB_TOKEN\\s+2\\s+\\S+\\s+20\\d\\d-\\S+\\s+1\\n");
    assertThat(
            JSON.readTree(cli(config, null, "describe", "key.pem", "-o", "json").out())
                .path("version")
                .asLong())
        .isEqualTo(1);
    Run missing = cli(config, null, "describe", "nope");
    assertThat(missing.code()).isEqualTo(3);
    assertThat(missing.err()).isEqualTo("nbsecrets: no secret named nope\n");

    assertThat(cli(config, null, "rm", "key.pem").out()).isEqualTo("Deleted key.pem\n");
    assertThat(cli(config, null, "rm", "key.pem").code()).isEqualTo(3);
    assertThat(cli(config, null, "rm", "key.pem", "--ignore-not-found").code()).isZero();
    assertThat(JSON.readTree(cli(config, null, "list", "-o", "json").out()).path("items").size())
        .isEqualTo(2);

    Run out = cli(config, null, "logout");
    assertThat(out.out()).startsWith("Logged out");
    assertThat(config).doesNotExist();
    assertThat(cli(config, null, "list").code()).isEqualTo(4);
    assertNothingSecretPrinted();
  }

  @Test
  void badInputIsRefusedWithItsReasonAndNothingIsStored() throws Exception {
    Path config = home.resolve("bob.json");
    assertThat(login(config, "bob").code()).isZero();

    String onArgv = plaintext("argv");
    Run argv = cli(config, null, "set", "T", onArgv);
    assertThat(argv.code()).isEqualTo(2);
    assertThat(argv.err()).contains("a value is never taken from the command line");
    assertThat(argv.err()).doesNotContain(onArgv);

    Run name = cli(config, utf8("x"), "set", "../etc");
    assertThat(name.code()).isEqualTo(2);
    assertThat(name.err())
        .isEqualTo(
            "nbsecrets: invalid name: name may contain only letters, digits, '.', '_' and '-'\n");

    Run empty = cli(config, utf8("\n"), "set", "T");
    assertThat(empty.code()).isEqualTo(2);
    assertThat(empty.err()).isEqualTo("nbsecrets: value must not be empty\n");

    Run notText = cli(config, new byte[] {(byte) 0xff, (byte) 0xfe, 1}, "set", "T");
    assertThat(notText.code()).isEqualTo(2);
    assertThat(notText.err()).contains("not UTF-8 text: add --base64");

    // The API's limit, in the API's words.
    Run large = cli(config, utf8("y".repeat(200 * 1024)), "set", "T");
    assertThat(large.code()).isEqualTo(2);
    assertThat(large.err())
        .isEqualTo("nbsecrets: value is 204800 bytes; the limit is 131072 bytes\n");
    // Larger still (an API may be configured up to 16 MiB): the API's limit decides, not the
    // command's.
    Run larger = cli(config, utf8("y".repeat(600 * 1024)), "set", "T");
    assertThat(larger.code()).isEqualTo(2);
    assertThat(larger.err()).contains("values may be at most 131072 bytes");

    assertThat(JSON.readTree(cli(config, null, "list", "-o", "json").out()).path("items").size())
        .isZero();
    Run nothing = cli(config, null, "list");
    assertThat(nothing.out()).isEmpty();
    assertThat(nothing.err()).contains("No secrets stored");

    Run noFile = cli(config, null, "set", "T", "--from-file", home.resolve("absent").toString());
    assertThat(noFile.code()).isEqualTo(2);
    assertThat(noFile.err()).contains("--from-file: no such file");
    assertNothingSecretPrinted();
  }

  @Test
  void aTokenFileIsReadOnEachCallAndATokenCommandIsRunAsKubectlRunsExecPlugins() throws Exception {
    Path config = home.resolve("carol.json");
    Path tokenFile = home.resolve("carol.token");
    Files.writeString(tokenFile, env.token("carol") + "\n");
    Run in =
        cli(config, null, "login", "--api", env.apiUrl(), "--token-file", tokenFile.toString());
    assertThat(in.code()).as(in.err()).isZero();
    assertThat(Files.readString(config)).doesNotContain(env.token("carol"));
    assertThat(cli(config, null, "list").code()).isZero();
    Files.writeString(tokenFile, "rotated-but-wrong");
    assertThat(cli(config, null, "list").code()).isEqualTo(4);

    String credential =
        "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
            + "\"status\":{\"token\":\""
            + env.token("carol")
            + "\"}}";
    Path plugin = home.resolve("plugin.sh");
    Files.writeString(plugin, "#!/bin/sh\nprintf '%s' \"$(cat " + home.resolve("cred") + ")\"\n");
    Files.writeString(home.resolve("cred"), credential);
    plugin.toFile().setExecutable(true);
    Run exec = cli(config, null, "login", "--api", env.apiUrl(), "--token-exec", plugin.toString());
    assertThat(exec.code()).as(exec.err()).isZero();
    assertThat(Files.readString(config)).doesNotContain(env.token("carol"));
    String value = plaintext("exec");
    assertThat(cli(config, utf8(value), "set", "FROM_EXEC").code()).isZero();
    Files.writeString(home.resolve("cred"), "{\"status\":{}}");
    Run broken = cli(config, null, "list");
    assertThat(broken.code()).isEqualTo(4);
    assertThat(broken.err()).contains("printed JSON without status.token");

    Run unreachable =
        cli(
            home.resolve("x.json"),
            utf8("t"),
            "login",
            "--api",
            "http://127.0.0.1:1",
            "--token-stdin");
    assertThat(unreachable.code()).isEqualTo(5);
    assertThat(unreachable.err()).contains("cannot connect to the API at http://127.0.0.1:1");
    Run clear =
        cli(
            home.resolve("x.json"),
            utf8("t"),
            "login",
            "--api",
            "http://secrets.example.org",
            "--token-stdin");
    assertThat(clear.code()).isEqualTo(2);
    assertThat(clear.err()).contains("a token must not cross a network in the clear");
    assertThat(home.resolve("x.json")).doesNotExist();

    Run help = cli(config, null, "set", "--help");
    assertThat(help.code()).isZero();
    assertThat(help.out().replaceAll("\\s+", " "))
        .contains("Examples:", "--from-file", "never from the command line");
    assertNothingSecretPrinted();
  }

  /**
   * On a terminal, {@code set} asks for the value and does not echo it: run under a pseudo-terminal
   * ({@code script} from util-linux), the typed value is stored, and it is not in what the terminal
   * shows.
   */
  @Test
  void onATerminalTheValueIsAskedForAndNotEchoed() throws Exception {
    Path config = home.resolve("dave.json");
    assertThat(login(config, "dave").code()).isZero();
    String typed = plaintext("typed");
    String shown = typeOnATerminal(config, "set PROMPTED", typed, 0);
    assertThat(shown).contains("Value of PROMPTED (not shown): ", "Created PROMPTED (version 1)");
    assertThat(shown).doesNotContain(typed);

    // With its output redirected, Java 17 gives the CLI no Console: it still asks without echo.
    Path output = home.resolve("set-output.txt");
    String typedToo = plaintext("typed-too");
    // `stty -a` afterwards, on the same terminal: the echo is back on.
    String shownToo =
        typeOnATerminal(config, "set PROMPTED_TOO > " + output + " && stty -a", typedToo, 0);
    assertThat(shownToo).contains("Value of PROMPTED_TOO (not shown): ").doesNotContain(typedToo);
    assertThat(shownToo).containsPattern("(?<![-\\w])echo(?!\\w)").doesNotContain(" -echo ");
    assertThat(Files.readString(output)).contains("Created PROMPTED_TOO (version 1)");
    printed.add(Files.readString(output));

    // A value pasted with more than one line: nothing stored, and its further lines are read and
    // dropped, not left for the shell to run once the command ends.
    String pasted = plaintext("pasted");
    String shownPasted =
        typeOnATerminal(
            config,
            "set PASTED > " + output + "; code=$?; stty -a; exit $code",
            pasted + "\nsecond-line-" + pasted,
            ExitCodes.USAGE);
    assertThat(shownPasted)
        .doesNotContain(pasted)
        .contains("the value has more than one line")
        .containsPattern("(?<![-\\w])echo(?!\\w)");

    create(
        newSession(
            "dave",
            "nb",
            "dave",
            new SecretItem("PROMPTED", null),
            new SecretItem("PROMPTED_TOO", null)));
    awaitReady("dave", "nb");
    assertThat(files("dave", "nb"))
        .containsEntry("PROMPTED", typed)
        .containsEntry("PROMPTED_TOO", typedToo);
    assertNothingSecretPrinted();
  }

  /**
   * Runs {@code nbsecrets ARGS} (a shell command line's words after the program) on a
   * pseudo-terminal ({@code script} from util-linux), types {@code typed} once the prompt is up, as
   * a person would, and returns what the terminal showed.
   */
  private String typeOnATerminal(Path config, String args, String typed, int exitCode)
      throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String command =
        String.join(
            " ",
            java,
            "-XX:TieredStopAtLevel=1",
            "-cp",
            System.getProperty("java.class.path"),
            "io.nbsecrets.cli.Main",
            args);
    ProcessBuilder pb = new ProcessBuilder("script", "-qec", command, "/dev/null");
    pb.environment().put("NBSECRETS_CONFIG", config.toString());
    pb.redirectErrorStream(true);
    Process p = pb.start();
    StringBuffer screen = new StringBuffer();
    Thread reader =
        new Thread(
            () -> {
              byte[] buffer = new byte[4096];
              try (var out = p.getInputStream()) {
                for (int n; (n = out.read(buffer)) > 0; ) {
                  screen.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                }
              } catch (java.io.IOException e) {
                screen.append("\n[read failed: ").append(e).append(']');
              }
            });
    reader.start();
    try (var in = p.getOutputStream()) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!screen.toString().contains("(not shown): ") && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      in.write(utf8(typed + "\n"));
    }
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    reader.join(10_000);
    String shown = screen.toString();
    printed.add(shown);
    assertThat(p.exitValue()).as(shown).isEqualTo(exitCode);
    return shown;
  }
}
