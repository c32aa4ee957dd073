package io.nbsecrets.dev;

import io.fabric8.kubernetes.api.model.Container;
import io.nbsecrets.operator.Workload;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What a kubelet stand-in does with a session container whose command is the env launcher: it runs
 * the launcher from the pod spec with the real {@code /bin/sh}, with the container's environment
 * (its variables' file at the stand-in's path), and in place of the user's command, which is not
 * run here, {@code env -0}: what that prints is the environment the user's command would have
 * started with. The launcher's errors are not kept: a shell's message may quote a line of the file,
 * and so a value.
 */
final class LauncherRun {
  /** The default {@code PATH} of a container whose image sets none. */
  static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  /**
   * How the launcher ended, and the environment the user's command would see, as {@code
   * /proc/<pid>/environ} holds it ({@code NAME=value} strings each ended by a NUL byte; empty
   * unless {@code exitCode} is 0).
   */
  record Result(List<String> userCommand, int exitCode, byte[] environ) {
    Map<String, String> environment() {
      return parse(environ);
    }

    @Override
    public String toString() {
      return "Result{userCommand=" + userCommand + ", exitCode=" + exitCode + "}";
    }
  }

  private LauncherRun() {}

  /** Whether {@code session}'s command is the launcher. */
  static boolean launches(Container session) {
    List<String> command = session.getCommand();
    return command != null
        && command.size() >= 4
        && "/bin/sh".equals(command.get(0))
        && "-c".equals(command.get(1))
        && Workload.LAUNCHER_NAME.equals(command.get(3));
  }

  /**
   * Runs {@code session}'s launcher, its variables' file being {@code envFile}; empty when its
   * command is not the launcher.
   */
  static Optional<Result> run(Container session, Path envFile)
      throws IOException, InterruptedException {
    if (!launches(session)) {
      return Optional.empty();
    }
    List<String> command = session.getCommand();
    List<String> user = List.copyOf(command.subList(4, command.size()));
    ProcessBuilder pb =
        new ProcessBuilder("/bin/sh", "-c", command.get(2), command.get(3), "env", "-0")
            .redirectError(ProcessBuilder.Redirect.DISCARD);
    Map<String, String> env = pb.environment();
    env.clear();
    env.put("PATH", PATH);
    KubeletStandIns.env(session)
        .forEach(
            e ->
                env.put(
                    e.getName(),
                    Workload.ENV_FILE_VARIABLE.equals(e.getName())
                        ? envFile.toString()
                        : e.getValue() == null ? "" : e.getValue()));
    Process p = pb.start();
    byte[] out;
    try (InputStream in = p.getInputStream()) {
      out = in.readAllBytes();
    }
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      return Optional.of(new Result(user, 137, new byte[0]));
    }
    return Optional.of(new Result(user, p.exitValue(), p.exitValue() == 0 ? out : new byte[0]));
  }

  /** {@code env -0}'s output: {@code NAME=value} strings, each ended by a NUL byte. */
  static Map<String, String> parse(byte[] out) {
    Map<String, String> env = new LinkedHashMap<>();
    int start = 0;
    for (int i = 0; i < out.length; i++) {
      if (out[i] == 0) {
        String entry = new String(out, start, i - start, StandardCharsets.UTF_8);
        int eq = entry.indexOf('=');
        if (eq > 0) {
          env.put(entry.substring(0, eq), entry.substring(eq + 1));
        }
        start = i + 1;
      }
    }
    return env;
  }
}
