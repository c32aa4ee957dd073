package io.nbsecrets.cli;

import io.nbsecrets.init.ApiTrust;
import io.nbsecrets.init.InitRunner;
import io.nbsecrets.init.SecretFiles;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options of the steps that run in a session pod — {@code init} and {@code refresh} — as the
 * operator lays the pod out: where the API is, the mounted session Secret and token, and where the
 * files (and the variables) go.
 */
final class PodStepOptions {
  static final String DEFAULT_MODE = "r--------";
  static final String API_CA_ENV = "NBSECRETS_API_CA";

  @picocli.CommandLine.Spec(picocli.CommandLine.Spec.Target.MIXEE)
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--api-url", description = "URL of the secrets API.")
  String apiUrl;

  @Option(names = "--sealed-dir", required = true, description = "Mounted session Secret.")
  Path sealedDir;

  @Option(names = "--token-file", description = "Projected service-account token.")
  Path tokenFile;

  @Option(
      names = "--user-key-file",
      description =
          "Read the user key from this file instead of the API (benchmarks, and platforms that"
              + " deliver it themselves); then --api-url and --token-file are not used.")
  Path userKeyFile;

  @Option(names = "--mount-path", required = true, description = "Where to write the files.")
  Path mountPath;

  @Option(
      names = "--mode",
      defaultValue = DEFAULT_MODE,
      description = "File mode, r-------- (0400) or r--r----- (0440 with fsGroup).")
  String mode;

  @Option(
      names = "--api-ca",
      defaultValue = "${env:" + API_CA_ENV + ":-}",
      description =
          "PEM of the CA the API's certificate must chain to (env NBSECRETS_API_CA, set by the"
              + " operator). Empty: the JDK's trusted CAs.")
  String apiCa;

  @Option(
      names = "--api-tls-server-name",
      defaultValue = "",
      description = "The name the API's certificate must carry, when --api-url uses an address.")
  String apiServerName;

  @Option(
      names = "--allow-insecure-http",
      description = "Accept an http:// --api-url. Development only: the user key travels in clear.")
  boolean allowInsecureHttp;

  @Option(
      names = "--env-file",
      description =
          "Also write the secrets exported as environment variables to this file, for the"
              + " session's launcher to load (set by the operator when the session exports some).")
  Path envFile;

  InitRunner.Options options() {
    if (userKeyFile == null && (apiUrl == null || tokenFile == null)) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(),
          "Missing required options: --api-url and --token-file (or --user-key-file)");
    }
    return new InitRunner.Options(
        apiUrl,
        sealedDir,
        tokenFile,
        mountPath,
        System.getenv(SecretFiles.LEGACY_MANIFEST_ENV),
        mode,
        new ApiTrust(apiCa, apiServerName, allowInsecureHttp),
        envFile,
        userKeyFile);
  }
}
