package io.nbsecrets.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * A command line that does not parse names what is wrong and never repeats what a user typed where
 * a secret might be (picocli's own message quotes every unexpected argument).
 */
class BadInputTest {
  private record Run(int exit, String err, String out) {}

  private static Run run(String... args) {
    CommandLine cl = Commands.commandLine();
    StringWriter err = new StringWriter();
    StringWriter out = new StringWriter();
    cl.setErr(new PrintWriter(err, true));
    cl.setOut(new PrintWriter(out, true));
    int exit = cl.execute(args);
    return new Run(exit, err.toString(), out.toString());
  }

  @Test
  void aTokenOrValueTypedAsAnUnknownOptionIsNeverEchoed() {
    String token = "eyJhbGciOiJSUzI1NiJ9.secret-token-payload";
    Run login = run("login", "--api", "https://localhost:8443", "--token", token);
    assertThat(login.exit()).isEqualTo(2);
    assertThat(login.err() + login.out()).doesNotContain(token).doesNotContain("secret-token");
    assertThat(login.err())
        .contains("nbsecrets login: unknown option --token")
        .contains(
            "1 argument not expected (not shown: a secret is never read from the command line)")
        .contains("Try 'nbsecrets login --help'");

    Run set = run("set", "DB_PASSWORD", "--value=s3cr3t-value");
    assertThat(set.exit()).isEqualTo(2);
    assertThat(set.err() + set.out()).doesNotContain("s3cr3t-value");
    assertThat(set.err()).contains("nbsecrets set: unknown option --value=...");
  }

  @Test
  void otherMistakesKeepTheirOwnMessage() {
    Run missing = run("login");
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err())
        .contains("nbsecrets login: Missing required option")
        .contains("--api");
  }
}
