package io.nbsecrets.cli;

import io.nbsecrets.init.ApiTrust;
import io.nbsecrets.init.InitRunner;
import io.nbsecrets.init.SecretFiles;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The init step's command line, read without picocli: building picocli's model of a command costs
 * the step, which starts in every session pod, about a quarter of a second (and picocli's classes,
 * compiled for Java 5, stay out of the class-data archive). It reads the options {@link
 * InitCommand} declares, as {@code --name=value} or {@code --name value}, with the same defaults;
 * anything else — help, version, an unknown, repeated or missing option — is left to picocli, for
 * its usage and messages. A test keeps the two in step.
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

  /** The options without a value. */
  static final Set<String> FLAGS = Set.of("--allow-insecure-http");

  /** What {@code init} runs with. */
  record Parsed(InitRunner.Options options, Path terminationLog) {}

  private InitArgs() {}

  /** The options of {@code args}, or empty when picocli should read them. */
  static Optional<Parsed> parse(String[] args, Map<String, String> env) {
    Map<String, String> values = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      int eq = arg.indexOf('=');
      String name = eq < 0 ? arg : arg.substring(0, eq);
      String value;
      if (FLAGS.contains(name) && eq < 0) {
        value = "true";
      } else if (VALUED.contains(name)) {
        if (eq >= 0) {
          value = arg.substring(eq + 1);
        } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
          value = args[++i];
        } else {
          return Optional.empty();
        }
      } else {
        return Optional.empty();
      }
      if (values.put(name, value) != null) {
        return Optional.empty();
      }
    }
    String sealed = values.get("--sealed-dir");
    String mount = values.get("--mount-path");
    String userKeyFile = values.get("--user-key-file");
    if (sealed == null
        || mount == null
        || (userKeyFile == null
            && (values.get("--api-url") == null || values.get("--token-file") == null))) {
      return Optional.empty();
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
    return Optional.of(
        new Parsed(
            options,
            Path.of(values.getOrDefault("--termination-log", InitRunner.TERMINATION_LOG))));
  }

  private static Path path(String value) {
    return value == null ? null : Path.of(value);
  }
}
