package io.nbsecrets.init;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nbsecrets.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The init step's failures: their reasons, and the termination message the kubelet reads. */
class InitRunnerTest {
  @TempDir Path tmp;
  Path sealed;
  Path target;
  Path tokenFile;
  Path terminationLog;

  @BeforeEach
  void setUp() throws Exception {
    sealed = Files.createDirectories(tmp.resolve("sealed"));
    target = Files.createDirectories(tmp.resolve("secrets"));
    tokenFile = tmp.resolve("token");
    terminationLog = Files.createFile(tmp.resolve("termination-log"));
    Files.writeString(
        sealed.resolve(SecretFiles.MANIFEST_FILE),
        "[{\"name\":\"A\",\"file\":\"a\",\"version\":1}]");
  }

  /** A token shaped like a projected service-account token (the signature is not checked). */
  private static String jwt(long exp) {
    Base64.Encoder b = Base64.getUrlEncoder().withoutPadding();
    return b.encodeToString("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8))
        + "."
        + b.encodeToString(
            ("{\"sub\":\"system:serviceaccount:ns:default\",\"exp\":" + exp + "}")
                .getBytes(StandardCharsets.UTF_8))
        + ".c2ln";
  }

  private int runInit(StringWriter err) {
    CommandLine cl = new CommandLine(new Main());
    cl.setErr(new PrintWriter(err));
    cl.setOut(new PrintWriter(new StringWriter()));
    return cl.execute(
        "init",
        "--api-url=http://127.0.0.1:1",
        "--sealed-dir=" + sealed,
        "--token-file=" + tokenFile,
        "--mount-path=" + target,
        "--termination-log=" + terminationLog);
  }

  @Test
  void anExpiredTokenIsReportedAsExpired() {
    Instant now = Instant.parse("2026-11-30T12:00:00Z");
    assertThatThrownBy(
            () -> InitRunner.requireNotExpired(jwt(now.getEpochSecond() - 5), tokenFile, now))
        .isInstanceOfSatisfying(
            InitException.class, e -> assertThat(e.reason()).isEqualTo("TokenExpired"))
        .hasMessageContaining("expired at 2026-11-30T11:59:55Z (5 s ago)");
  }

  @Test
  void aValidOrUnreadableTokenIsLeftToTheApi() throws Exception {
    Instant now = Instant.parse("2026-11-30T12:00:00Z");
    InitRunner.requireNotExpired(jwt(now.getEpochSecond() + 600), tokenFile, now);
    InitRunner.requireNotExpired("not-a-jwt", tokenFile, now);
    InitRunner.requireNotExpired("a.%%%.c", tokenFile, now);
    InitRunner.requireNotExpired("a.e30.c", tokenFile, now);
    // exp that is not a finite number: left to the API too
    for (String exp : new String[] {"\"NaN\"", "\"soon\"", "{\"at\":1}", "[1]", "null"}) {
      InitRunner.requireNotExpired(jwtWithExp(exp), tokenFile, now);
    }
  }

  @Test
  void aFractionalExpIsReadAsANumericDate() {
    Instant now = Instant.parse("2026-11-30T12:00:00Z");
    assertThatThrownBy(
            () ->
                InitRunner.requireNotExpired(
                    jwtWithExp((now.getEpochSecond() - 5) + ".5"), tokenFile, now))
        .hasMessageContaining("expired at 2026-11-30T11:59:55Z");
  }

  private static String jwtWithExp(String exp) {
    Base64.Encoder b = Base64.getUrlEncoder().withoutPadding();
    return "e30."
        + b.encodeToString(("{\"exp\":" + exp + "}").getBytes(StandardCharsets.UTF_8))
        + ".c2ln";
  }

  @Test
  void theInitCommandWritesItsReasonToTheTerminationLog() throws Exception {
    StringWriter err = new StringWriter();
    Files.writeString(tokenFile, jwt(Instant.now().getEpochSecond() - 60));
    assertThat(runInit(err)).isEqualTo(1);
    String message = Files.readString(terminationLog);
    assertThat(message).startsWith("TokenExpired: the pod's service-account token at ");
    assertThat(err.toString()).contains("nbsecrets init: FAILED: TokenExpired: ");

    Files.delete(tokenFile);
    assertThat(runInit(err)).isEqualTo(1);
    assertThat(Files.readString(terminationLog))
        .isEqualTo("NoToken: no service-account token at " + tokenFile);
  }

  @Test
  void theTerminationLogIsNeverCreatedOnlyWrittenWhenTheKubeletProvidesIt() {
    Path absent = tmp.resolve("no-such-file");
    InitRunner.writeTerminationMessage(absent, new InitException("DecryptFailed", "x"));
    assertThat(absent).doesNotExist();
  }

  @Test
  void aLongMessageIsCut() {
    String text =
        InitRunner.terminationMessage(new InitException("InvalidManifest", "x".repeat(5000)));
    assertThat(text).hasSize(InitRunner.MAX_TERMINATION_MESSAGE).endsWith("…");
  }
}
