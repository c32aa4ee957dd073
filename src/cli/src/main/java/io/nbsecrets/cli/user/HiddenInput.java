package io.nbsecrets.cli.user;

import java.io.ByteArrayOutputStream;
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
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      int b;
      while ((b = in.read()) != -1 && b != '\n') {
        if (line.size() >= max) {
          throw new CliFailure(ExitCodes.USAGE, "the value typed is longer than " + max + " bytes");
        }
        line.write(b);
      }
      byte[] typed = line.toByteArray();
      if (b == -1 && typed.length == 0) {
        return null;
      }
      int end =
          typed.length > 0 && typed[typed.length - 1] == '\r' ? typed.length - 1 : typed.length;
      byte[] value = Arrays.copyOf(typed, end);
      Arrays.fill(typed, (byte) 0);
      return value;
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

  private static boolean stty(String settings) {
    try {
      Process p =
          new ProcessBuilder(List.of("stty", settings))
              .redirectInput(ProcessBuilder.Redirect.INHERIT)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
