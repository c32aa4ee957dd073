package io.nbsecrets.cli.user;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a token command, as kubectl runs an exec credential plugin: its standard output is either a
 * {@code client.authentication.k8s.io} {@code ExecCredential} (the token in {@code status.token})
 * or the token itself on one line. Its standard error goes to the user's terminal (a plugin may ask
 * the user to sign in); its output is never printed.
 */
final class TokenExec {
  /** How long a token command may take in all, its output included (it may ask to sign in). */
  static final Duration TIMEOUT = Duration.ofSeconds(120);

  /** The most output read from a token command; an ExecCredential is a few KiB. */
  private static final int MAX_OUTPUT = 1 << 20;

  private TokenExec() {}

  static String run(List<String> command) {
    return run(command, TIMEOUT);
  }

  /**
   * Runs {@code command} and returns its token. The timeout counts from its start to its end: a
   * command that prints part of its output and never exits is stopped, with what it started, when
   * it runs out.
   */
  static String run(List<String> command, Duration timeout) {
    String name = command.get(0);
    long deadline = System.nanoTime() + timeout.toNanos();
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
    FutureTask<byte[]> output = new FutureTask<>(() -> p.getInputStream().readNBytes(MAX_OUTPUT));
    Thread reader = new Thread(output, "token-command-output");
    reader.setDaemon(true);
    reader.start();
    try {
      if (!p.waitFor(remaining(deadline), TimeUnit.NANOSECONDS)) {
        throw timedOut(p, name, timeout);
      }
      byte[] out;
      try {
        out = output.get(remaining(deadline), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        throw timedOut(p, name, timeout);
      }
      if (p.exitValue() != 0) {
        throw new CliFailure(
            ExitCodes.NOT_AUTHENTICATED,
            "the token command " + name + " exited with code " + p.exitValue());
      }
      return token(new String(out, StandardCharsets.UTF_8).trim(), name);
    } catch (ExecutionException e) {
      throw new CliFailure(
          ExitCodes.NOT_AUTHENTICATED,
          "cannot read the token command's output: " + e.getCause().getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stop(p);
      throw new CliFailure(ExitCodes.NOT_AUTHENTICATED, "interrupted");
    }
  }

  private static long remaining(long deadline) {
    return Math.max(0, deadline - System.nanoTime());
  }

  private static CliFailure timedOut(Process p, String name, Duration timeout) {
    stop(p);
    return new CliFailure(
        ExitCodes.NOT_AUTHENTICATED,
        "the token command " + name + " did not finish within " + timeout.toSeconds() + " s");
  }

  /**
   * Stops the command and what it started, which may hold its output open: asked to end first (a
   * sign-in helper may have a browser to close), made to a second later.
   */
  private static void stop(Process p) {
    List<ProcessHandle> started = p.descendants().toList();
    started.forEach(ProcessHandle::destroy);
    p.destroy();
    try {
      p.onExit().get(1, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // still running: made to end below
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    started.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
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
