package io.nbsecrets.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.javaoperatorsdk.operator.processing.retry.GenericRetry;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Builds and starts the operator. Server-side apply is off for dependents and for the status patch,
 * so the same code path runs on a real cluster and on the Fabric8 mock server in tests.
 */
public final class OperatorRunner {
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  /** First retry after 2 s, doubling to at most 5 min, without a limit (stores come back). */
  public static GenericRetry retry() {
    return new GenericRetry()
        .setInitialInterval(Duration.ofSeconds(2))
        .setIntervalMultiplier(2.0)
        .setMaxInterval(Duration.ofMinutes(5).toMillis())
        .withoutMaxAttempts();
  }

  private OperatorRunner() {}

  /**
   * The namespaces to watch from a setting's list: blank entries dropped, so that an empty setting
   * (which picocli turns into {@code [""]}) means every namespace, not one informer keyed by "".
   *
   * @throws IllegalArgumentException naming an entry that is not a namespace name
   */
  public static Set<String> watchedNamespaces(Collection<String> entries) {
    Set<String> namespaces = new TreeSet<>();
    if (entries != null) {
      for (String entry : entries) {
        String ns = entry == null ? "" : entry.strip();
        if (ns.isEmpty()) {
          continue;
        }
        if (!DNS_LABEL.matcher(ns).matches()) {
          throw new IllegalArgumentException(
              "watch namespaces: '" + ns + "' is not a namespace name (a DNS label)");
        }
        namespaces.add(ns);
      }
    }
    return namespaces;
  }

  /**
   * Starts an operator for NotebookSessions.
   *
   * @param namespaces namespaces to watch (see {@link #watchedNamespaces}); empty for all
   * @param leaderElection lease for leader election, or null to run without it
   */
  public static Operator start(
      KubernetesClient client,
      SecretResolver resolver,
      OperatorConfig config,
      MeterRegistry registry,
      Set<String> namespaces,
      LeaderElectionConfiguration leaderElection,
      GenericRetry retry) {
    // The operator's own client: the same configuration, reading objects without their managed
    // fields (OperatorSerialization).
    KubernetesClient operatorClient = OperatorSerialization.of(client);
    // Closed with the operator once it starts (a failed start stops it); here if it cannot be made.
    Operator operator;
    try {
      operator =
          new Operator(
              o -> {
                o.withKubernetesClient(operatorClient)
                    .withCloseClientOnStop(true)
                    .withSSABasedCreateUpdateMatchForDependentResources(false)
                    .withUseSSAToPatchPrimaryResource(false)
                    .withResourceCloner(new SessionCloner(operatorClient))
                    .withMetrics(
                        MicrometerMetrics.newMicrometerMetricsBuilder(registry)
                            .notCollectingMetricsPerResource()
                            .build());
                if (leaderElection != null) {
                  o.withLeaderElectionConfiguration(leaderElection);
                }
              });
      NotebookSessionReconciler reconciler =
          new NotebookSessionReconciler(resolver, config, registry, Clock.systemUTC());
      operator.register(
          reconciler,
          c -> {
            c.withRetry(retry);
            if (namespaces.isEmpty() || namespaces.contains("")) {
              c.watchingAllNamespaces();
            } else {
              c.settingNamespaces(namespaces);
            }
          });
    } catch (RuntimeException e) {
      operatorClient.close();
      throw e;
    }
    operator.start();
    return operator;
  }
}
