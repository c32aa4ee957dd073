package io.nbsecrets.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nbsecrets.api.ApiConfig;
import io.nbsecrets.api.ApiRole;
import io.nbsecrets.api.Authenticator;
import io.nbsecrets.api.StaticTokenAuthenticator;
import io.nbsecrets.api.TokenReviewAuthenticator;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.VaultTransit;
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
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The user-facing secrets API: holds the platform key and the session public key only. */
@Command(
    name = "api",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Run the secrets API.")
public final class ApiCommand implements Callable<Integer> {
  @Option(
      names = "--namespace",
      defaultValue = "${env:POD_NAMESPACE:-nbsecrets}",
      description = "Namespace of the keys and store records. Default: ${DEFAULT-VALUE}.")
  String namespace;

  @Option(names = "--host", defaultValue = "0.0.0.0", description = "Listen address.")
  String host;

  @Option(names = "--port", defaultValue = "8443", description = "Listen port.")
  int port;

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

  @Option(
      names = "--max-value-bytes",
      defaultValue = "131072",
      description = "Largest value, in bytes.")
  int maxValueBytes;

  @Option(
      names = "--max-secrets-per-user",
      defaultValue = "1000",
      description = "Most secrets per user.")
  int maxSecrets;

  @Option(
      names = "--pod-token-audience",
      defaultValue = "nbsecrets",
      description = "Audience of init containers' tokens.")
  String audience;

  @Option(
      names = "--username-prefix",
      defaultValue = "",
      description = "Prefix to strip from usernames (e.g. oidc:).")
  String usernamePrefix;

  @picocli.CommandLine.Mixin StoreOptions store = new StoreOptions();

  @Override
  public Integer call() throws Exception {
    ApiConfig config =
        ApiConfig.defaults()
            .withMaxValueBytes(maxValueBytes)
            .withMaxSecretsPerUser(maxSecrets)
            .withPodTokenAudience(audience)
            .withUsernamePrefixToStrip(usernamePrefix);
    KubernetesClient client = Clients.create();
    SecretStore secretStore = store.open(client, namespace);
    VaultTransit transit = store.transit(secretStore).orElse(null);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Authenticator authenticator =
        devTokensFile == null
            ? new TokenReviewAuthenticator(client)
            : new StaticTokenAuthenticator(readTokens(devTokensFile));
    ApiRole role =
        ApiRole.start(
            client,
            new ApiRole.Config(
                namespace,
                host,
                port,
                config,
                platformKeyFile,
                sessionPublicKeyFile,
                Duration.ofMinutes(5),
                tlsSettings()),
            secretStore,
            transit,
            authenticator,
            registry);
    System.out.println(
        "nbsecrets api listening on "
            + (tlsSettings().mode() == TlsSettings.Mode.NONE ? "http" : "https")
            + "://"
            + host
            + ":"
            + role.port());
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  role.close();
                  secretStore.close();
                  client.close();
                  stop.countDown();
                }));
    stop.await();
    return 0;
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

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

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
