package io.nbsecrets.init;

import io.nbsecrets.model.EnvNames;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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

  /** The init step's reason for a value that cannot be an environment string. */
  public static final String REFUSED = "EnvValueRefused";

  /** A single quote inside single quotes: end the quotes, an escaped quote, open them again. */
  private static final byte[] QUOTE = "'\\''".getBytes(StandardCharsets.US_ASCII);

  /** One variable: its name, the secret it comes from (for messages), and its value's bytes. */
  public record Variable(String name, String secret, byte[] value) {
    @Override
    public String toString() {
      return "Variable{name=" + name + ", secret=" + secret + "}";
    }
  }

  private EnvFile() {}

  /** What is wrong with {@code name} as a name a secret may be exported under, or empty. */
  public static Optional<String> nameProblem(String name) {
    return EnvNames.problem(name);
  }

  /** The file's text for {@code variables} (name to value, in the map's order). */
  public static String render(Map<String, String> variables) throws InitException {
    List<Variable> list = new ArrayList<>();
    variables.forEach(
        (name, value) ->
            list.add(new Variable(name, name, value.getBytes(StandardCharsets.UTF_8))));
    return new String(render(list), StandardCharsets.UTF_8);
  }

  /**
   * The file's bytes for {@code variables}, in their order. A value's bytes are written as they
   * are, so one that is not UTF-8 reaches the process unchanged too.
   *
   * @throws InitException naming the secret and the variable (never the value) when a name is not
   *     an environment name, a value holds a NUL byte, or {@code NAME=value} is longer than {@link
   *     #MAX_ENTRY_BYTES}
   */
  public static byte[] render(List<Variable> variables) throws InitException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Variable v : variables) {
      String what = "secret " + v.secret() + " (environment variable " + v.name() + ")";
      Optional<String> problem = nameProblem(v.name());
      if (problem.isPresent()) {
        throw new InitException(REFUSED, what + ": the name " + problem.get());
      }
      byte[] value = v.value();
      for (byte b : value) {
        if (b == 0) {
          throw new InitException(
              REFUSED,
              what + ": the value holds a NUL byte, which no environment string can; use the file");
        }
      }
      int bytes = v.name().length() + 1 + value.length + 1;
      if (bytes > MAX_ENTRY_BYTES) {
        throw new InitException(
            REFUSED,
            what
                + ": "
                + bytes
                + " bytes with its name, over Linux's limit of "
                + MAX_ENTRY_BYTES
                + " for one environment string; use the file");
      }
      out.writeBytes(("export " + v.name() + "='").getBytes(StandardCharsets.US_ASCII));
      for (byte b : value) {
        if (b == '\'') {
          out.writeBytes(QUOTE);
        } else {
          out.write(b);
        }
      }
      out.writeBytes("'\n".getBytes(StandardCharsets.US_ASCII));
    }
    return out.toByteArray();
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
