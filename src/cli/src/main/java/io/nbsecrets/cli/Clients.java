package io.nbsecrets.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/** The Kubernetes client of a role: in-cluster or kubeconfig, with bounded retries. */
final class Clients {
  /**
   * Fabric8 retries a failed request up to 10 times with doubling backoff by default (about 100 s
   * in all), which would hold a reconcile or an API request that long. Three retries (about 1.5 s)
   * report an outage promptly; the operator's own backoff does the long-term retrying.
   */
  static final int REQUEST_RETRIES = 3;

  private Clients() {}

  static KubernetesClient create() {
    Config config =
        new ConfigBuilder(Config.autoConfigure(null))
            .withRequestRetryBackoffLimit(REQUEST_RETRIES)
            .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }
}
