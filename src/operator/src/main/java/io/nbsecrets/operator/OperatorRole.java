package io.nbsecrets.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.RuntimeInfo;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.processing.retry.GenericRetry;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.nbsecrets.crypto.SessionKeyAlgorithm;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.keys.LiveKey;
import io.nbsecrets.keys.SessionKeys;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.VaultTransit;
import io.nbsecrets.tls.Pem;
import io.nbsecrets.tls.ServerTls;
import io.nbsecrets.util.Resources;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The operator role, started the one way both the {@code operator} subcommand and {@code dev} start
 * it: from the settings as given (a watch-namespaces list straight from a flag or env variable,
 * blanks and all), so that dev mode and a cluster cannot drift apart.
 */
public final class OperatorRole implements AutoCloseable {
  /** The lease that replicas elect a leader on. */
  public static final String LEASE = "nbsecrets-operator";

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OperatorRole.class);

  /**
   * The role's settings, as the subcommand's flags give them.
   *
   * @param namespace the operator's namespace (keys, lease)
   * @param watchNamespaces namespaces to watch, as given; blank entries are ignored, none: all
   * @param sessionKeyFiles PEM files of the session private keys; empty: generated into a Secret
   * @param keyAlgorithm the algorithm of a session key pair generated at first start
   * @param apiCaConfigMap the ConfigMap (in {@code namespace}) where the API publishes its CA
   *     bundle; empty: init containers trust the JDK's CAs
   * @param insecureApiHttp allow an {@code http://} API URL (development only)
   */
  public record Config(
      String namespace,
      List<String> watchNamespaces,
      String apiUrl,
      String initImage,
      String podTokenAudience,
      long sessionUid,
      long sessionGid,
      List<Path> sessionKeyFiles,
      SessionKeyAlgorithm keyAlgorithm,
      boolean leaderElection,
      String apiCaConfigMap,
      boolean insecureApiHttp) {
    public Config {
      watchNamespaces = watchNamespaces == null ? List.of() : List.copyOf(watchNamespaces);
      sessionKeyFiles = sessionKeyFiles == null ? List.of() : List.copyOf(sessionKeyFiles);
      apiCaConfigMap = apiCaConfigMap == null ? "" : apiCaConfigMap;
    }
  }

  private final Operator operator;
  private final Resources resources;

  private OperatorRole(Operator operator, Resources resources) {
    this.operator = operator;
    this.resources = resources;
  }

  /**
   * Loads (or generates) the session keys and starts reconciling.
   *
   * @param store the secret store, opened by the caller (and closed by it)
   * @param transit Vault Transit for the outer layer, or null
   * @throws IllegalArgumentException naming a bad setting
   */
  public static OperatorRole start(
      KubernetesClient client,
      Config config,
      SecretStore store,
      VaultTransit transit,
      MeterRegistry registry,
      GenericRetry retry) {
    var namespaces = OperatorRunner.watchedNamespaces(config.watchNamespaces());
    Resources resources = new Resources();
    LiveKey<SessionKeyRing> ring =
        resources.add(
            config.sessionKeyFiles().isEmpty()
                ? SessionKeys.watch(client, config.namespace(), config.keyAlgorithm())
                : LiveKey.fixed(SessionKeys.fromFiles(config.sessionKeyFiles())));
    LiveKey<String> apiCa = resources.add(apiCaBundle(client, config));
    Gauge keys =
        Gauge.builder("nbsecrets.session.keys", ring, r -> r.get().keyIds().size())
            .description("Session private keys held (2 while a rotation is under way)")
            .register(registry);
    resources.add(() -> registry.remove(keys));
    try {
      Operator operator =
          OperatorRunner.start(
              client,
              new SecretResolver(store, ring, transit),
              new OperatorConfig(
                  config.apiUrl(),
                  config.initImage(),
                  config.podTokenAudience(),
                  config.sessionUid(),
                  config.sessionGid(),
                  apiCa,
                  !config.apiCaConfigMap().isEmpty(),
                  config.insecureApiHttp()),
              registry,
              namespaces,
              config.leaderElection()
                  ? new LeaderElectionConfiguration(LEASE, config.namespace())
                  : null,
              retry);
      return new OperatorRole(operator, resources);
    } catch (RuntimeException e) {
      resources.close();
      throw e;
    }
  }

  /**
   * Follows the API's CA bundle ConfigMap, so a new CA reaches new session pods without a restart.
   * Empty until the API has published it (sessions wait, with a condition saying so).
   */
  private static LiveKey<String> apiCaBundle(KubernetesClient client, Config config) {
    if (config.apiCaConfigMap().isEmpty()) {
      return LiveKey.fixed("");
    }
    var resource =
        client.configMaps().inNamespace(config.namespace()).withName(config.apiCaConfigMap());
    java.util.function.Function<io.fabric8.kubernetes.api.model.ConfigMap, String> parse =
        cm -> {
          String pem = cm.getData() == null ? null : cm.getData().get(ServerTls.CA_KEY);
          if (pem == null || pem.isBlank()) {
            throw new IllegalStateException(
                "configmap " + config.apiCaConfigMap() + " has no " + ServerTls.CA_KEY);
          }
          Pem.certificates(pem); // a broken bundle keeps the last good one
          return pem;
        };
    var existing = resource.get();
    String initial = "";
    if (existing != null) {
      try {
        initial = parse.apply(existing);
      } catch (RuntimeException e) {
        LOG.warn("the API's CA bundle is not usable yet: {}", e.getMessage());
      }
    }
    return LiveKey.watch(
        "configmap " + config.namespace() + "/" + config.apiCaConfigMap(),
        resource,
        parse,
        initial,
        pem -> LOG.info("the API's CA bundle changed; new session pods trust it"));
  }

  public Operator operator() {
    return operator;
  }

  public boolean isStarted() {
    return operator.getRuntimeInfo().isStarted();
  }

  /**
   * Empty while the operator does its work; otherwise why not. Before start-up completes the
   * operator counts as live (readiness covers start-up): a slow start must not be restarted. Once
   * started, an event source (informer) that stopped or cannot watch makes it not live: a restart
   * is what recovers it.
   */
  public Optional<String> liveness() {
    RuntimeInfo info = operator.getRuntimeInfo();
    if (!info.isStarted() || info.allEventSourcesAreHealthy()) {
      return Optional.empty();
    }
    return Optional.of(
        "unhealthy event sources: "
            + info.unhealthyEventSources().entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue().keySet())
                .sorted()
                .collect(Collectors.joining(", ")));
  }

  /** Empty once the operator has started (its informers synced), otherwise why not. */
  public Optional<String> readiness() {
    return isStarted() ? Optional.empty() : Optional.of("starting: informers not yet synced");
  }

  @Override
  public void close() {
    operator.stop();
    resources.close();
  }
}
