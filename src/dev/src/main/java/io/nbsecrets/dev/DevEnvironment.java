package io.nbsecrets.dev;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.javaoperatorsdk.operator.processing.retry.GenericRetry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nbsecrets.api.ApiConfig;
import io.nbsecrets.api.ApiRole;
import io.nbsecrets.api.TokenReviewAuthenticator;
import io.nbsecrets.crypto.SessionKeyAlgorithm;
import io.nbsecrets.keys.SessionKeys;
import io.nbsecrets.operator.Labels;
import io.nbsecrets.operator.OperatorRole;
import io.nbsecrets.operator.OperatorRunner;
import io.nbsecrets.store.KubernetesSecretStore;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.tls.TlsSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The whole product in one process, with no cluster: the Fabric8 mock API server (CRUD mode, the
 * generated CRD loaded, TokenReview answered by {@link FakeTokenAuthority}), the secrets API, the
 * operator, and stand-ins for the kubelet and the garbage collector. The dev command runs it; the
 * integration tests run exactly the same assembly.
 */
public final class DevEnvironment implements DevAssembly {
  public static final String OPERATOR_NAMESPACE = "nbsecrets";

  /** Store records live apart from the key Secrets, as in the chart's default install. */
  public static final String STORE_NAMESPACE = "nbsecrets-store";

  public static final String CRD_RESOURCE = "META-INF/fabric8/notebooksessions.nbsecrets.io-v1.yml";

  /** How to assemble it. */
  public record Options(
      Path dir,
      List<String> users,
      SessionKeyAlgorithm keyAlgorithm,
      int kubernetesPort,
      int apiPort,
      ApiConfig apiConfig,
      Function<KubernetesClient, SecretStore> storeFactory,
      GenericRetry retry,
      long gcPeriodMillis) {

    /**
     * Defaults: namespaces alice and bob, the default session key algorithm, ephemeral ports, the
     * kubernetes store.
     */
    public static Options defaults(Path dir) {
      return new Options(
          dir,
          List.of("alice", "bob"),
          SessionKeyAlgorithm.DEFAULT,
          0,
          0,
          ApiConfig.defaults(),
          client -> new KubernetesSecretStore(client, STORE_NAMESPACE),
          OperatorRunner.retry(),
          1000);
    }

    public Options withKeyAlgorithm(SessionKeyAlgorithm algorithm) {
      return new Options(
          dir,
          users,
          algorithm,
          kubernetesPort,
          apiPort,
          apiConfig,
          storeFactory,
          retry,
          gcPeriodMillis);
    }

    public Options withStore(Function<KubernetesClient, SecretStore> factory) {
      return new Options(
          dir,
          users,
          keyAlgorithm,
          kubernetesPort,
          apiPort,
          apiConfig,
          factory,
          retry,
          gcPeriodMillis);
    }

    public Options withRetry(GenericRetry r) {
      return new Options(
          dir,
          users,
          keyAlgorithm,
          kubernetesPort,
          apiPort,
          apiConfig,
          storeFactory,
          r,
          gcPeriodMillis);
    }

    public Options withUsers(List<String> u) {
      return new Options(
          dir,
          u,
          keyAlgorithm,
          kubernetesPort,
          apiPort,
          apiConfig,
          storeFactory,
          retry,
          gcPeriodMillis);
    }

    public Options withPorts(int kubernetes, int api) {
      return new Options(
          dir,
          users,
          keyAlgorithm,
          kubernetes,
          api,
          apiConfig,
          storeFactory,
          retry,
          gcPeriodMillis);
    }
  }

  /** The mock server logs every request through java.util.logging; keep that quiet. */
  private static final java.util.logging.Logger MOCK_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  static {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  private final StartedResources resources = new StartedResources();
  private final KubernetesMockServer server;

  /** User agents, so the embedded server's request log tells who asked what. */
  public static final String OPERATOR_AGENT = "nbsecrets-operator";

  public static final String API_AGENT = "nbsecrets-api";
  public static final String STAND_IN_AGENT = "nbsecrets-dev-stand-ins";
  public static final String ADMIN_AGENT = "nbsecrets-dev-admin";

  private final KubernetesClient client;
  private final KubernetesClient operatorClient;
  private final KubernetesClient apiClient;
  private final KubernetesClient standInClient;
  private final FakeTokenAuthority authority;
  private final Map<String, String> userTokens = new LinkedHashMap<>();
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private SecretStore store;
  private SecretStore operatorStore;
  private ApiRole api;
  private FakeKubelet kubelet;
  private volatile OperatorRole operator;
  private Options options;

  private DevEnvironment(Options options) {
    authority = new FakeTokenAuthority();
    // Serves kubectl too: discovery, OpenAPI, tables, HTTP watches, patches (ApiServerDispatcher).
    server = ApiServerDispatcher.newMockServer();
    server.init(InetAddress.getLoopbackAddress(), options.kubernetesPort());
    resources.add(server::destroy);
    authority.install(server);
    client = client(ADMIN_AGENT);
    operatorClient = client(OPERATOR_AGENT);
    apiClient = client(API_AGENT);
    standInClient = client(STAND_IN_AGENT);
  }

  private KubernetesClient client(String userAgent) {
    KubernetesClient c =
        server.createClient(b -> b.editOrNewConfig().withUserAgent(userAgent).endConfig());
    resources.add(c);
    return c;
  }

  /** Starts everything; on failure, stops what had started. */
  public static DevEnvironment start(Options options) {
    DevEnvironment env = new DevEnvironment(options);
    try {
      env.boot(options);
      return env;
    } catch (RuntimeException | IOException e) {
      env.close();
      throw e instanceof RuntimeException r ? r : new UncheckedIOException((IOException) e);
    }
  }

  private void boot(Options options) throws IOException {
    loadCrd();
    client
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(OPERATOR_NAMESPACE)
                .endMetadata()
                .build())
        .create();
    for (String user : options.users()) {
      client
          .resource(
              new NamespaceBuilder()
                  .withNewMetadata()
                  .withName(user)
                  .addToAnnotations(Labels.NAMESPACE_USER_ANNOTATION, user)
                  .endMetadata()
                  .build())
          .create();
      userTokens.put(user, authority.userToken(user, List.of("nbsecrets:users")));
    }
    // Two store instances, as in a split deployment: each role reaches the store with its own
    // client (and credentials).
    store = options.storeFactory().apply(apiClient);
    resources.add(store);
    operatorStore = options.storeFactory().apply(operatorClient);
    resources.add(operatorStore);

    // The operator generates the session key pair and publishes the public half; the API
    // generates the platform key and reads the public half: the same bootstrap as in a cluster.
    // Both follow key rotations (rotate-keys), as in a cluster. In a cluster the two start in any
    // order (the API waits for the public key); here the operator starts last, once the API's
    // URL is known, so the key pair is generated first, as the operator's first start would.
    SessionKeys.watch(operatorClient, OPERATOR_NAMESPACE, options.keyAlgorithm()).close();
    api =
        ApiRole.start(
            apiClient,
            new ApiRole.Config(
                OPERATOR_NAMESPACE,
                InetAddress.getLoopbackAddress().getHostAddress(),
                options.apiPort(),
                options.apiConfig(),
                null,
                null,
                Duration.ofSeconds(10),
                TlsSettings.none(),
                List.of(),
                null),
            store,
            null,
            new TokenReviewAuthenticator(apiClient),
            registry);
    resources.add(api);

    Path dir = options.dir();
    Files.createDirectories(dir);
    kubelet = new FakeKubelet(standInClient, authority, dir).start();
    resources.add(kubelet);
    resources.add(new FakeGarbageCollector(standInClient).start(options.gcPeriodMillis()));
    this.options = options;
    startOperator();
    resources.add(() -> operator.close());
  }

  /** The operator as the chart configures it, started through the subcommand's own path. */
  private void startOperator() {
    operator =
        OperatorRole.start(
            operatorClient,
            new OperatorRole.Config(
                OPERATOR_NAMESPACE,
                List.of(),
                apiUrl(),
                "nbsecrets:dev",
                options.apiConfig().podTokenAudience(),
                1000,
                100,
                List.of(),
                options.keyAlgorithm(),
                false,
                "",
                true),
            operatorStore,
            null,
            registry,
            options.retry());
  }

  /** Stops the operator and starts a fresh one (new caches, nothing carried over in memory). */
  public synchronized void restartOperator() {
    operator.close();
    startOperator();
  }

  private void loadCrd() {
    try (InputStream in = DevEnvironment.class.getClassLoader().getResourceAsStream(CRD_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            "the generated CRD " + CRD_RESOURCE + " is not on the classpath");
      }
      CustomResourceDefinition crd =
          client.apiextensions().v1().customResourceDefinitions().load(in).item();
      client.resource(crd).create();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String kubernetesKind() {
    return "mock";
  }

  @Override
  public Path sessionDir(String namespace, String name) {
    return kubelet.sessionDir(namespace, name);
  }

  @Override
  public String kubernetesUrl() {
    return "http://" + server.getHostName() + ":" + server.getPort();
  }

  @Override
  public String apiUrl() {
    return "http://" + InetAddress.getLoopbackAddress().getHostAddress() + ":" + api.port();
  }

  /** A bearer token for {@code user} (a user bound to one of the namespaces). */
  @Override
  public String token(String user) {
    return userTokens.get(user);
  }

  @Override
  public Map<String, String> tokens() {
    return Map.copyOf(userTokens);
  }

  public FakeTokenAuthority authority() {
    return authority;
  }

  /** A client of the embedded API server (the operator's own). */
  @Override
  public KubernetesClient client() {
    return client;
  }

  public KubernetesMockServer server() {
    return server;
  }

  /** The operator's liveness, as its management port's {@code /healthz} answers it. */
  public java.util.Optional<String> operatorLiveness() {
    return operator.liveness();
  }

  public SecretStore store() {
    return store;
  }

  public FakeKubelet kubelet() {
    return kubelet;
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Writes a kubeconfig for kubectl and friends pointing at the embedded API server. */
  @Override
  public void writeKubeconfig(Path file) throws IOException {
    String yaml =
        String.join(
            "\n",
            "apiVersion: v1",
            "kind: Config",
            "clusters:",
            "- name: nbsecrets-dev",
            "  cluster:",
            "    server: " + kubernetesUrl(),
            "contexts:",
            "- name: nbsecrets-dev",
            "  context:",
            "    cluster: nbsecrets-dev",
            "    user: dev-admin",
            "    namespace: " + userTokens.keySet().stream().findFirst().orElse("default"),
            "current-context: nbsecrets-dev",
            "users:",
            "- name: dev-admin",
            "  user:",
            "    token: dev-admin",
            "");
    LocalProcesses.writePrivate(file, yaml);
  }

  @Override
  public void close() {
    resources.close();
  }
}
