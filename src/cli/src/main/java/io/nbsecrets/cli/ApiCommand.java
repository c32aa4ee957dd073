package io.nbsecrets.cli;

import static io.nbsecrets.config.NbsecretsSettings.API_MAX_SECRETS_PER_USER;
import static io.nbsecrets.config.NbsecretsSettings.API_MAX_VALUE_BYTES;
import static io.nbsecrets.config.NbsecretsSettings.API_PORT;
import static io.nbsecrets.config.NbsecretsSettings.API_USERNAME_PREFIX;

import io.nbsecrets.api.ApiConfig;
import io.nbsecrets.api.ApiRole;
import io.nbsecrets.api.Authenticator;
import io.nbsecrets.api.StaticTokenAuthenticator;
import io.nbsecrets.api.TokenReviewAuthenticator;
import io.nbsecrets.cli.SettingFlags.Flag;
import io.nbsecrets.config.NbsecretsSettings;
import io.nbsecrets.config.Settings;
import io.nbsecrets.http.TrustedProxies;
import io.nbsecrets.tls.ServerTls;
import io.nbsecrets.tls.TlsSettings;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The user-facing secrets API: holds the platform key and the session public key only. */
@Command(
    name = "api",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    modelTransformer = SettingFlags.Bind.class,
    description = "Run the secrets API.")
public final class ApiCommand implements Callable<Integer>, SettingFlags.Owner {
  @Mixin NamespaceOption release = new NamespaceOption();

  @Option(names = "--host", defaultValue = "0.0.0.0", description = "Listen address.")
  String host;

  @Option(
      names = "--tls",
      defaultValue = "generate",
      description =
          "generate: the API's own CA (kept in Secret "
              + ServerTls.CA_SECRET
              + ") and certificate; files: tls.crt/tls.key/ca.crt in --tls-dir (cert-manager);"
              + " none: plain HTTP (development only). Default: ${DEFAULT-VALUE}.")
  String tls;

  @Option(names = "--tls-dir", description = "With --tls=files: the mounted certificate's folder.")
  Path tlsDir;

  @Option(
      names = "--tls-dns-name",
      split = ",",
      description = "With --tls=generate: the Service's DNS names the certificate carries.")
  List<String> tlsDnsNames;

  @Option(
      names = "--platform-key-file",
      description = "Platform key file; generated into a Secret when absent.")
  Path platformKeyFile;

  @Option(
      names = "--session-public-key-file",
      description = "Session public key (PEM); read from the operator's ConfigMap when absent.")
  Path sessionPublicKeyFile;

  @Option(
      names = "--dev-tokens-file",
      description =
          "Static bearer tokens (properties: token=username) instead of TokenReview. Development only.")
  Path devTokensFile;

  @Mixin AudienceOption audience = new AudienceOption();

  @Mixin StoreOptions store = new StoreOptions();

  @Override
  public List<Flag> settingFlags() {
    return List.of(
        new Flag("--port", Integer.class, API_PORT),
        new Flag("--watch-namespaces", List.class, NbsecretsSettings.WATCH_NAMESPACES),
        new Flag("--max-value-bytes", Integer.class, API_MAX_VALUE_BYTES),
        new Flag("--max-secrets-per-user", Integer.class, API_MAX_SECRETS_PER_USER),
        new Flag("--username-prefix", String.class, API_USERNAME_PREFIX),
        new Flag("--trusted-proxies", List.class, NbsecretsSettings.API_TRUSTED_PROXIES),
        new Flag(
            "--allow-service-account-users",
            boolean.class,
            NbsecretsSettings.API_ALLOW_SERVICE_ACCOUNT_USERS));
  }

  @Override
  public Integer call() throws Exception {
    Settings settings = store.settings(spec);
    ApiConfig config = apiConfig(settings);
    TrustedProxies trustedProxies;
    try {
      trustedProxies = TrustedProxies.of(settings.get(NbsecretsSettings.API_TRUSTED_PROXIES));
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--trusted-proxies: " + e.getMessage());
    }
    int port = settings.get(NbsecretsSettings.API_PORT);
    String namespace = release.namespace;
    RoleServices services = RoleServices.open(settings, namespace);
    Authenticator authenticator =
        devTokensFile == null
            ? new TokenReviewAuthenticator(services.client())
            : new StaticTokenAuthenticator(readTokens(devTokensFile));
    ApiRole role =
        ApiRole.start(
            services.client(),
            new ApiRole.Config(
                namespace,
                host,
                port,
                config,
                platformKeyFile,
                sessionPublicKeyFile,
                Duration.ofMinutes(5),
                tlsSettings(),
                settings.get(NbsecretsSettings.WATCH_NAMESPACES),
                trustedProxies),
            services.store(),
            services.transit(),
            authenticator,
            services.registry());
    System.out.println(
        "nbsecrets api listening on "
            + (tlsSettings().mode() == TlsSettings.Mode.NONE ? "http" : "https")
            + "://"
            + host
            + ":"
            + role.port());
    services.awaitShutdown(role);
    return 0;
  }

  /** The API's settings that every layer (file, environment, flags) may give. */
  static ApiConfig apiConfig(Settings settings) {
    return ApiConfig.defaults()
        .withMaxValueBytes(settings.get(NbsecretsSettings.API_MAX_VALUE_BYTES))
        .withMaxSecretsPerUser(settings.get(NbsecretsSettings.API_MAX_SECRETS_PER_USER))
        .withPodTokenAudience(settings.get(NbsecretsSettings.POD_TOKEN_AUDIENCE))
        .withUsernamePrefixToStrip(settings.get(NbsecretsSettings.API_USERNAME_PREFIX))
        .withAllowServiceAccountUsers(
            settings.get(NbsecretsSettings.API_ALLOW_SERVICE_ACCOUNT_USERS));
  }

  private TlsSettings tlsSettings() {
    TlsSettings.Mode mode;
    try {
      mode = TlsSettings.Mode.valueOf(tls.trim().toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--tls must be generate, files or none, not: " + tls);
    }
    try {
      return new TlsSettings(mode, tlsDir, tlsDnsNames);
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  @Spec CommandSpec spec;

  private static Map<String, String> readTokens(Path file) throws IOException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    }
    Map<String, String> tokens = new HashMap<>();
    p.forEach((k, v) -> tokens.put(k.toString(), v.toString()));
    return tokens;
  }
}
