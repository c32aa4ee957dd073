package io.nbsecrets.cli.user;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a token command, as kubectl runs an exec credential plugin: its standard output is either a
 * {@code client.authentication.k8s.io} {@code ExecCredential} (the token in {@code status.token})
 * or the token itself on one line. Its standard error goes to the user's terminal (a plugin may ask
 * the user to sign in); its output is never printed.
 */
final class TokenExec {
  private static final long TIMEOUT_SECONDS = 120;

  private TokenExec() {}

  static String run(List<String> command) {
    String name = command.get(0);
    Process p;
    try {
      p =
          new ProcessBuilder(command)
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .redirectInput(ProcessBuilder.Redirect.INHERIT)
              .start();
    } catch (IOException e) {
      throw new CliFailure(
          ExitCodes.NOT_AUTHENTICATED,
          "cannot run the token command " + name + ": " + e.getMessage());
    }
    try {
      byte[] out = p.getInputStream().readNBytes(1 << 20);
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new CliFailure(
            ExitCodes.NOT_AUTHENTICATED,
            "the token command " + name + " did not finish within " + TIMEOUT_SECONDS + " s");
      }
      if (p.exitValue() != 0) {
        throw new CliFailure(
            ExitCodes.NOT_AUTHENTICATED,
            "the token command " + name + " exited with code " + p.exitValue());
      }
      return token(new String(out, StandardCharsets.UTF_8).trim(), name);
    } catch (IOException e) {
      throw new CliFailure(
          ExitCodes.NOT_AUTHENTICATED, "cannot read the token command's output: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliFailure(ExitCodes.NOT_AUTHENTICATED, "interrupted");
    }
  }

  /** The token in a command's output: an ExecCredential's, or the output itself. */
  static String token(String output, String name) {
    if (output.startsWith("{")) {
      try {
        JsonNode credential = new ObjectMapper().readTree(output);
        JsonNode token = credential.path("status").path("token");
        if (token.isTextual() && !token.asText().isEmpty()) {
          return token.asText();
        }
      } catch (IOException e) {
        // not JSON after all: reported below without the output, which may hold a token
      }
      throw new CliFailure(
          ExitCodes.NOT_AUTHENTICATED,
          "the token command " + name + " printed JSON without status.token (an ExecCredential)");
    }
    if (output.isEmpty() || output.contains("\n")) {
      throw new CliFailure(
          ExitCodes.NOT_AUTHENTICATED,
          "the token command " + name + " must print one token, or an ExecCredential");
    }
    return output;
  }
}
