package io.nbsecrets.cli.user;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A line typed on the terminal that is standard input, without echo, when the JVM has no {@link
 * java.io.Console}: Java 17 has none once standard output is redirected ({@code nbsecrets set X >
 * log}), and reading standard input then would show the value on the screen as it is typed. The
 * terminal's echo is turned off with {@code stty} (which acts on the terminal it reads, here the
 * inherited standard input) and put back as it was, also when the JVM is stopped meanwhile.
 */
final class HiddenInput {
  private HiddenInput() {}

  /**
   * The terminal's settings when standard input is a terminal ({@code stty -g}), else empty (a
   * pipe, a file; or no {@code stty}).
   */
  static Optional<String> terminalSettings() {
    try {
      Process p =
          new ProcessBuilder("stty", "-g")
              .redirectInput(ProcessBuilder.Redirect.INHERIT)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      byte[] out = p.getInputStream().readNBytes(4096);
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return Optional.empty();
      }
      String settings = new String(out, StandardCharsets.US_ASCII).trim();
      return p.exitValue() == 0 && !settings.isEmpty() ? Optional.of(settings) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /**
   * Prints {@code prompt} to {@code terminal}, reads one line of at most {@code max} bytes from
   * {@code in} with the echo off, and puts the terminal's {@code settings} back. Null when the
   * input ends before a line does.
   */
  static byte[] readLine(
      String settings, String prompt, PrintStream terminal, InputStream in, int max)
      throws IOException {
    Thread restore = new Thread(() -> stty(settings), "restore-terminal");
    Runtime.getRuntime().addShutdownHook(restore);
    try {
      if (!stty("-echo")) {
        throw new CliFailure(
            ExitCodes.USAGE,
            "cannot turn the terminal's echo off: pipe the value in, or use --from-file");
      }
      terminal.print(prompt);
      terminal.flush();
      byte[] line = new byte[256];
      int length = 0;
      int b;
      try {
        while ((b = in.read()) != -1 && b != '\n') {
          if (length >= max) {
            discardPending(in);
            throw new CliFailure(
                ExitCodes.USAGE, "the value typed is longer than " + max + " bytes");
          }
          if (length == line.length) {
            byte[] larger = Arrays.copyOf(line, Math.min(max, line.length * 2));
            Arrays.fill(line, (byte) 0);
            line = larger;
          }
          line[length++] = (byte) b;
        }
        // A pasted value of several lines: what follows the first line would otherwise be read
        // by the shell once the command ends, run as commands and echoed.
        if (discardPending(in)) {
          throw new CliFailure(
              ExitCodes.USAGE,
              "the value has more than one line: nothing was stored; use --from-file for it");
        }
        if (b == -1 && length == 0) {
          return null;
        }
        int end = length > 0 && line[length - 1] == '\r' ? length - 1 : length;
        return Arrays.copyOf(line, end);
      } finally {
        Arrays.fill(line, (byte) 0);
      }
    } finally {
      stty(settings);
      terminal.println();
      try {
        Runtime.getRuntime().removeShutdownHook(restore);
      } catch (IllegalStateException e) {
        // the JVM is stopping: the hook restores the terminal
      }
    }
  }

  /** Reads and drops what the terminal holds already; whether there was any. */
  private static boolean discardPending(InputStream in) throws IOException {
    boolean any = false;
    byte[] drop = new byte[4096];
    while (in.available() > 0) {
      int n = in.read(drop, 0, Math.min(drop.length, in.available()));
      if (n <= 0) {
        break;
      }
      any = true;
    }
    Arrays.fill(drop, (byte) 0);
    return any;
  }

  private static boolean stty(String settings) {
    try {
      Process p =
          new ProcessBuilder(List.of("stty", settings))
              .redirectInput(ProcessBuilder.Redirect.INHERIT)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        // stopped, for example: a background job may not change its terminal
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
