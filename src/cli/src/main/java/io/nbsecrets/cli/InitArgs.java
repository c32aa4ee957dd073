package io.nbsecrets.cli;

import io.nbsecrets.init.ApiTrust;
import io.nbsecrets.init.InitRunner;
import io.nbsecrets.init.SecretFiles;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The session pod's steps' command lines ({@code init}, and the {@code refresh} sidecar's), read
 * without picocli: building picocli's model of a command costs the init step, which starts in every
 * session pod, about a quarter of a second (and picocli's classes, compiled for Java 5, stay out of
 * the class-data archive); the sidecar, which lives as long as its session, would keep that model
 * loaded. It reads the options {@link InitCommand} and {@link RefreshCommand} declare, as {@code
 * --name=value} or {@code --name value}, with the same defaults; anything else — help, version, an
 * unknown, repeated or missing option, a value picocli would refuse — is left to picocli, for its
 * usage and messages. A test keeps them in step.
 */
final class InitArgs {
  /** The options that take a value. */
  static final Set<String> VALUED =
      Set.of(
          "--api-url",
          "--sealed-dir",
          "--token-file",
          "--user-key-file",
          "--mount-path",
          "--mode",
          "--api-ca",
          "--api-tls-server-name",
          "--env-file",
          "--termination-log");

  /** The refresh sidecar's options that take a value: init's but its termination log, and more. */
  static final Set<String> REFRESH_VALUED = refreshValued();

  /** The options without a value. */
  static final Set<String> FLAGS = Set.of("--allow-insecure-http");

  /** Picocli's own options of both commands (usage and version help). */
  static final Set<String> HELP = Set.of("-h", "--help", "-V", "--version");

  /** What {@code init} runs with. */
  record Parsed(InitRunner.Options options, Path terminationLog) {}

  /** What {@code refresh} runs with. */
  record RefreshParsed(InitRunner.Options options, Duration interval) {}

  private InitArgs() {}

  /** The options of {@code init}'s {@code args}, or empty when picocli should read them. */
  static Optional<Parsed> parse(String[] args, Map<String, String> env) {
    // No lambda on the init step's way: the first one spins up the JVM's method-handle machinery.
    Map<String, String> values = values(args, VALUED);
    InitRunner.Options options = values == null ? null : options(values, env);
    if (options == null) {
      return Optional.empty();
    }
    return Optional.of(
        new Parsed(
            options,
            Path.of(values.getOrDefault("--termination-log", InitRunner.TERMINATION_LOG))));
  }

  /** The options of {@code refresh}'s {@code args}, or empty when picocli should read them. */
  static Optional<RefreshParsed> parseRefresh(String[] args, Map<String, String> env) {
    Map<String, String> values = values(args, REFRESH_VALUED);
    InitRunner.Options options = values == null ? null : options(values, env);
    if (options == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          new RefreshParsed(
              options,
              Duration.parse(values.getOrDefault("--interval", RefreshCommand.DEFAULT_INTERVAL))));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  /**
   * Each option's value by its name, or null when picocli should read the line: among others, a
   * value that is an option's name (picocli says the value is missing) and an argument that starts
   * with {@code @} (picocli reads it as a file of arguments).
   */
  private static Map<String, String> values(String[] args, Set<String> valued) {
    Map<String, String> values = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.startsWith("@")) {
        return null;
      }
      int eq = arg.indexOf('=');
      String name = eq < 0 ? arg : arg.substring(0, eq);
      String value;
      if (FLAGS.contains(name) && eq < 0) {
        value = "true";
      } else if (valued.contains(name)) {
        if (eq >= 0) {
          value = arg.substring(eq + 1);
        } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
          value = args[++i];
          if (value.startsWith("@")) {
            return null;
          }
        } else {
          return null;
        }
        if (valued.contains(value) || FLAGS.contains(value) || HELP.contains(value)) {
          return null;
        }
      } else {
        return null;
      }
      if (values.put(name, value) != null) {
        return null;
      }
    }
    return values;
  }

  /** The pod step's options, or null when one it needs is missing (picocli names it). */
  private static InitRunner.Options options(Map<String, String> values, Map<String, String> env) {
    String sealed = values.get("--sealed-dir");
    String mount = values.get("--mount-path");
    String userKeyFile = values.get("--user-key-file");
    if (sealed == null
        || mount == null
        || (userKeyFile == null
            && (values.get("--api-url") == null || values.get("--token-file") == null))) {
      return null;
    }
    InitRunner.Options options =
        new InitRunner.Options(
            values.get("--api-url"),
            Path.of(sealed),
            path(values.get("--token-file")),
            Path.of(mount),
            env.get(SecretFiles.LEGACY_MANIFEST_ENV),
            values.getOrDefault("--mode", PodStepOptions.DEFAULT_MODE),
            new ApiTrust(
                values.getOrDefault("--api-ca", env.getOrDefault(PodStepOptions.API_CA_ENV, "")),
                values.getOrDefault("--api-tls-server-name", ""),
                values.containsKey("--allow-insecure-http")),
            path(values.get("--env-file")),
            path(userKeyFile));
    return options;
  }

  private static Set<String> refreshValued() {
    Set<String> names = new HashSet<>(VALUED); // no stream: no lambda on the init step's way
    names.remove("--termination-log");
    names.add("--interval");
    return Set.copyOf(names);
  }

  private static Path path(String value) {
    return value == null ? null : Path.of(value);
  }
}
