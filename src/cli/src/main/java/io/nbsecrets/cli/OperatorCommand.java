package io.nbsecrets.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nbsecrets.config.NbsecretsSettings;
import io.nbsecrets.config.Settings;
import io.nbsecrets.config.Stores;
import io.nbsecrets.operator.OperatorRole;
import io.nbsecrets.operator.OperatorRunner;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.VaultTransit;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The reconciler: holds the session private key, never a user key or a plaintext value. */
@Command(
    name = "operator",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    defaultValueProvider = SettingFlags.Defaults.class,
    description = "Run the NotebookSession operator.")
public final class OperatorCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin NamespaceOption release = new NamespaceOption();

  @Option(
      names = "--watch-namespaces",
      split = ",",
      descriptionKey = "rbac.watchNamespaces",
      description =
          "Namespaces to watch (comma-separated; setting rbac.watchNamespaces); all when empty.")
  List<String> watchNamespaces;

  @Option(
      names = "--api-url",
      descriptionKey = "operator.apiUrl",
      description =
          "Secrets API URL for init containers (setting operator.apiUrl). Default:"
              + " ${DEFAULT-VALUE}.")
  String apiUrl;

  @Option(
      names = "--api-ca-configmap",
      descriptionKey = "operator.apiCaConfigMap",
      description =
          "ConfigMap (in --namespace) where the API publishes its CA bundle for init containers;"
              + " empty: they trust the JDK's CAs (a public certificate). Default: ${DEFAULT-VALUE}.")
  String apiCaConfigMap;

  @Option(
      names = "--insecure-api-http",
      descriptionKey = "operator.insecureApiHttp",
      description =
          "Allow an http:// --api-url: init containers then fetch user keys in clear."
              + " Development only.")
  boolean insecureApiHttp;

  @Option(
      names = "--init-image",
      descriptionKey = "operator.initImage",
      description =
          "Image of the init container, this program's image (setting operator.initImage)."
              + " Default: ${DEFAULT-VALUE}.")
  String initImage;

  @Mixin AudienceOption audience = new AudienceOption();

  @Option(
      names = "--session-uid",
      descriptionKey = "operator.sessionUid",
      description = "Session pods' user id. Default: ${DEFAULT-VALUE}.")
  Long sessionUid;

  @Option(
      names = "--session-gid",
      descriptionKey = "operator.sessionGid",
      description = "Session pods' group id and fsGroup. Default: ${DEFAULT-VALUE}.")
  Long sessionGid;

  @Option(
      names = "--session-key-file",
      description =
          "PKCS#8 PEM private key(s) of the session key pair; generated into a Secret when absent.")
  List<Path> sessionKeyFiles;

  @Option(
      names = "--key-bits",
      descriptionKey = "keys.keyBits",
      description =
          "RSA size of a generated key (setting keys.keyBits). Default: ${DEFAULT-VALUE}.")
  Integer keyBits;

  @Option(
      names = "--leader-election",
      descriptionKey = "operator.leaderElection",
      description = "Elect a leader among replicas (Lease).")
  boolean leaderElection;

  @Mixin StoreOptions store = new StoreOptions();

  @Option(
      names = "--management-port",
      descriptionKey = "operator.managementPort",
      description = "Health and metrics port. Default: ${DEFAULT-VALUE}.")
  Integer managementPort;

  /** The operator's configuration from every layer (file, environment, flags). */
  OperatorRole.Config config(Settings settings) {
    return new OperatorRole.Config(
        release.namespace,
        settings.get(NbsecretsSettings.WATCH_NAMESPACES),
        settings.get(NbsecretsSettings.OPERATOR_API_URL),
        settings.get(NbsecretsSettings.OPERATOR_INIT_IMAGE),
        settings.get(NbsecretsSettings.POD_TOKEN_AUDIENCE),
        settings.get(NbsecretsSettings.OPERATOR_SESSION_UID),
        settings.get(NbsecretsSettings.OPERATOR_SESSION_GID),
        sessionKeyFiles,
        settings.get(NbsecretsSettings.KEY_BITS),
        settings.get(NbsecretsSettings.OPERATOR_LEADER_ELECTION),
        settings.get(NbsecretsSettings.OPERATOR_API_CA_CONFIGMAP),
        settings.get(NbsecretsSettings.OPERATOR_INSECURE_API_HTTP));
  }

  @Override
  public Integer call() throws Exception {
    Settings settings = store.settings(spec);
    OperatorRole.Config config = config(settings);
    KubernetesClient client = Clients.create();
    SecretStore secretStore = Stores.open(settings, client, config.namespace());
    VaultTransit transit = Stores.transit(settings, secretStore).orElse(null);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    OperatorRole role =
        OperatorRole.start(client, config, secretStore, transit, registry, OperatorRunner.retry());
    ManagementServer management =
        ManagementServer.start(
            settings.get(NbsecretsSettings.OPERATOR_MANAGEMENT_PORT),
            registry,
            role::liveness,
            role::readiness);
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  role.close();
                  management.close();
                  secretStore.close();
                  client.close();
                  stop.countDown();
                }));
    stop.await();
    return 0;
  }
}
