package io.nbsecrets.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nbsecrets.config.Settings;
import io.nbsecrets.config.Stores;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.VaultTransit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * What a long-running role (the API, the operator) opens from its settings: the Kubernetes client,
 * the secret store with its Vault Transit key if it has one, and a metrics registry; and how the
 * role ends, closing what it started, then the store and the client.
 *
 * @param transit the store's Vault Transit key; null when it has none
 */
record RoleServices(
    KubernetesClient client,
    SecretStore store,
    VaultTransit transit,
    PrometheusMeterRegistry registry) {

  /** Opens the services of a role whose release namespace is {@code namespace}. */
  static RoleServices open(Settings settings, String namespace) {
    KubernetesClient client = Clients.create();
    SecretStore store = Stores.open(settings, client, namespace);
    return new RoleServices(
        client,
        store,
        Stores.transit(settings, store).orElse(null),
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  }

  /**
   * Blocks until the JVM shuts down; then closes {@code started} in order, then the store and the
   * client.
   */
  void awaitShutdown(AutoCloseable... started) throws InterruptedException {
    CountDownLatch stop = new CountDownLatch(1);
    List<AutoCloseable> all = closeOrder(started);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  closeAll(all);
                  stop.countDown();
                }));
    stop.await();
  }

  /** {@code started}, then the store and the client: the order in which they are closed. */
  List<AutoCloseable> closeOrder(AutoCloseable... started) {
    List<AutoCloseable> all = new ArrayList<>(List.of(started));
    all.add(store);
    all.add(client);
    return all;
  }

  static void closeAll(List<AutoCloseable> resources) {
    for (AutoCloseable resource : resources) {
      try {
        resource.close();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
