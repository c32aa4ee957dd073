package io.nbsecrets.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nbsecrets.operator.OperatorRole;
import io.nbsecrets.operator.OperatorRunner;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.VaultTransit;
import io.nbsecrets.tls.ServerTls;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The reconciler: holds the session private key, never a user key or a plaintext value. */
@Command(
    name = "operator",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Run the NotebookSession operator.")
public final class OperatorCommand implements Callable<Integer> {
  @Option(
      names = "--namespace",
      defaultValue = "${env:POD_NAMESPACE:-nbsecrets}",
      description =
          "The operator's namespace (keys, store records, lease). Default: ${DEFAULT-VALUE}.")
  String namespace;

  @Option(
      names = "--watch-namespaces",
      split = ",",
      defaultValue = "${env:NBSECRETS_WATCH_NAMESPACES:-}",
      description = "Namespaces to watch (comma-separated); all when empty.")
  List<String> watchNamespaces;

  @Option(
      names = "--api-url",
      defaultValue = "${env:NBSECRETS_API_URL:-https://nbsecrets-api.nbsecrets.svc:8443}",
      description = "Secrets API URL for init containers. Default: ${DEFAULT-VALUE}.")
  String apiUrl;

  @Option(
      names = "--api-ca-configmap",
      defaultValue = "${env:NBSECRETS_API_CA_CONFIGMAP:-" + ServerTls.CA_CONFIGMAP + "}",
      description =
          "ConfigMap (in --namespace) where the API publishes its CA bundle for init containers;"
              + " empty: they trust the JDK's CAs (a public certificate). Default: ${DEFAULT-VALUE}.")
  String apiCaConfigMap;

  @Option(
      names = "--insecure-api-http",
      description =
          "Allow an http:// --api-url: init containers then fetch user keys in clear."
              + " Development only.")
  boolean insecureApiHttp;

  @Option(
      names = "--init-image",
      defaultValue = "${env:NBSECRETS_INIT_IMAGE:-ghcr.io/nbsecrets/nbsecrets:latest}",
      description = "Image of the init container (this program's image).")
  String initImage;

  @Option(
      names = "--pod-token-audience",
      defaultValue = "${env:NBSECRETS_POD_TOKEN_AUDIENCE:-nbsecrets}",
      description =
          "Audience of the session pods' projected tokens; the API's --pod-token-audience."
              + " Default: ${DEFAULT-VALUE}.")
  String podTokenAudience;

  @Option(names = "--session-uid", defaultValue = "1000", description = "Session pods' user id.")
  long sessionUid;

  @Option(
      names = "--session-gid",
      defaultValue = "100",
      description = "Session pods' group id and fsGroup.")
  long sessionGid;

  @Option(
      names = "--session-key-file",
      description =
          "PKCS#8 PEM private key(s) of the session key pair; generated into a Secret when absent.")
  List<Path> sessionKeyFiles;

  @Option(names = "--key-bits", defaultValue = "4096", description = "RSA size of a generated key.")
  int keyBits;

  @Option(names = "--leader-election", description = "Elect a leader among replicas (Lease).")
  boolean leaderElection;

  @picocli.CommandLine.Mixin StoreOptions store = new StoreOptions();

  @Option(
      names = "--management-port",
      defaultValue = "8081",
      description = "Health and metrics port.")
  int managementPort;

  @Override
  public Integer call() throws Exception {
    OperatorRole.Config config =
        new OperatorRole.Config(
            namespace,
            watchNamespaces,
            apiUrl,
            initImage,
            podTokenAudience,
            sessionUid,
            sessionGid,
            sessionKeyFiles,
            keyBits,
            leaderElection,
            apiCaConfigMap,
            insecureApiHttp);
    KubernetesClient client = Clients.create();
    SecretStore secretStore = store.open(client, namespace);
    VaultTransit transit = store.transit(secretStore).orElse(null);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    OperatorRole role =
        OperatorRole.start(client, config, secretStore, transit, registry, OperatorRunner.retry());
    ManagementServer management =
        ManagementServer.start(managementPort, registry, role::liveness, role::readiness);
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
