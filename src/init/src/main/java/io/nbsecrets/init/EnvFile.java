package io.nbsecrets.init;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Environment variables for a session's process without a value in any Kubernetes object: the init
 * step writes them into a file on the in-memory volume, and the session container's command is
 * wrapped by {@link #launcherScript()}, a POSIX {@code sh} script that sources the file and {@code
 * exec}s the original command.
 *
 * <p>Each variable is one line {@code export NAME='value'}: inside single quotes a POSIX shell
 * expands nothing ({@code $}, backticks, backslashes and newlines stay as they are), and a single
 * quote is written as {@code '\''}. So any value the kernel accepts in an environment reaches the
 * process byte for byte, and none is run as a command.
 */
public final class EnvFile {
  /**
   * Linux's limit for one environment string, {@code NAME=value} and its terminating NUL
   * (MAX_ARG_STRLEN, 32 pages of 4 KiB): a longer one makes {@code exec} fail with E2BIG.
   */
  public static final int MAX_ENTRY_BYTES = 128 * 1024;

  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private EnvFile() {}

  /** What is wrong with {@code name} as a POSIX environment variable name, or empty. */
  public static Optional<String> nameProblem(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      return Optional.of(
          "is not an environment variable name (letters, digits and '_', not starting with a"
              + " digit)");
    }
    return Optional.empty();
  }

  /**
   * The file's text for {@code variables} (name to value, in the map's order).
   *
   * @throws InitException naming the variable (never its value) when a name is not an environment
   *     name, a value holds a NUL byte, or {@code NAME=value} is longer than {@link
   *     #MAX_ENTRY_BYTES}
   */
  public static String render(Map<String, String> variables) throws InitException {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, String> v : variables.entrySet()) {
      String name = v.getKey();
      String value = v.getValue();
      Optional<String> problem = nameProblem(name);
      if (problem.isPresent()) {
        throw new InitException("environment variable " + name + " " + problem.get());
      }
      if (value.indexOf('\0') >= 0) {
        throw new InitException(
            "environment variable "
                + name
                + ": the value holds a NUL byte, which no environment"
                + " string can");
      }
      int bytes = (name + "=" + value).getBytes(StandardCharsets.UTF_8).length + 1;
      if (bytes > MAX_ENTRY_BYTES) {
        throw new InitException(
            "environment variable "
                + name
                + ": "
                + bytes
                + " bytes with its name, over Linux's limit of "
                + MAX_ENTRY_BYTES
                + " for one environment string");
      }
      out.append("export ")
          .append(name)
          .append("='")
          .append(value.replace("'", "'\\''"))
          .append("'\n");
    }
    return out.toString();
  }

  /** The launcher: sources the file named by {@code NBSECRETS_ENV_FILE}, then {@code exec "$@"}. */
  public static String launcherScript() {
    try (InputStream in = EnvFile.class.getResourceAsStream("launcher.sh")) {
      if (in == null) {
        throw new IllegalStateException("launcher.sh is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
