package io.nbsecrets.api;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.nbsecrets.crypto.DataKeyWrapper;
import io.nbsecrets.http.TrustedProxies;
import io.nbsecrets.keys.LiveKey;
import io.nbsecrets.keys.PlatformKeys;
import io.nbsecrets.keys.SessionKeys;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.VaultTransit;
import io.nbsecrets.tls.ServerTls;
import io.nbsecrets.tls.TlsSettings;
import io.nbsecrets.util.Resources;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The secrets API role, started the one way both the {@code api} subcommand and {@code dev} start
 * it: platform keys (generated into a Secret or from a file), the session public key (the
 * operator's ConfigMap, a file, or Vault Transit), then the HTTP server.
 */
public final class ApiRole implements AutoCloseable {
  /**
   * The role's settings, as the subcommand's flags give them.
   *
   * @param platformKeyFile the platform key file, or null: generated into a Secret
   * @param sessionPublicKeyFile the session public key (PEM), or null: the operator's ConfigMap
   * @param publicKeyWait how long to wait for the operator to publish its public key
   * @param tls how the API serves TLS (and publishes its CA bundle)
   * @param watchNamespaces where sessions live (to show which use a secret); empty: everywhere
   */
  public record Config(
      String namespace,
      String host,
      int port,
      ApiConfig api,
      Path platformKeyFile,
      Path sessionPublicKeyFile,
      Duration publicKeyWait,
      TlsSettings tls,
      List<String> watchNamespaces,
      TrustedProxies trustedProxies) {

    public Config {
      watchNamespaces = watchNamespaces == null ? List.of() : List.copyOf(watchNamespaces);
      trustedProxies = trustedProxies == null ? TrustedProxies.none() : trustedProxies;
    }
  }

  private final Resources resources;
  private final ApiServer server;

  private ApiRole(Resources resources, ApiServer server) {
    this.resources = resources;
    this.server = server;
  }

  /**
   * Starts the API.
   *
   * @param store the secret store, opened by the caller (and closed by it)
   * @param transit Vault Transit for the outer layer, or null
   * @param authenticator who callers are (TokenReview in a cluster)
   * @throws IOException when the port cannot be bound
   */
  public static ApiRole start(
      KubernetesClient client,
      Config config,
      SecretStore store,
      VaultTransit transit,
      Authenticator authenticator,
      MeterRegistry registry)
      throws IOException {
    Resources resources = new Resources();
    try {
      LiveKey<PlatformKeys.Ring> platform =
          resources.add(
              config.platformKeyFile() == null
                  ? PlatformKeys.watch(client, config.namespace())
                  : LiveKey.fixed(PlatformKeys.fromFile(config.platformKeyFile())));
      // With Vault Transit, new records' data keys are wrapped by Vault, not the session key.
      LiveKey<? extends DataKeyWrapper> publicKey =
          resources.add(
              transit != null
                  ? LiveKey.fixed(transit)
                  : config.sessionPublicKeyFile() == null
                      ? SessionKeys.watchPublicKey(
                          client, config.namespace(), config.publicKeyWait())
                      : LiveKey.fixed(
                          SessionKeys.publicKeyFromFile(config.sessionPublicKeyFile())));
      ServerTls tls = serverTls(client, config);
      if (tls != null) {
        resources.add(tls);
      }
      UserKeyService userKeys = new UserKeyService(store, platform);
      ApiServer server =
          ApiServer.builder()
              .config(config.api())
              .secrets(new SecretService(store, userKeys, publicKey, config.api()))
              .userKeys(userKeys)
              .authenticator(authenticator)
              .podResolver(new SessionPodResolver(client))
              .sessionUsage(resources.add(SessionIndex.start(client, config.watchNamespaces())))
              .meterRegistry(registry)
              .http(
                  h ->
                      h.host(config.host())
                          .port(config.port())
                          .trustedProxies(config.trustedProxies())
                          .tls(tls == null ? null : tls.contextFactory()))
              .start();
      if (tls != null && !tls.caBundle().isEmpty()) {
        // After the server is up: the operator starts session pods once it sees the bundle.
        ServerTls.publishCaBundle(client, config.namespace(), tls.caBundle());
      }
      if (tls != null) {
        // A CA renewed with a new key (cert-manager) must reach the init containers too.
        tls.onCaBundleChange(
            bundle -> {
              if (!bundle.isEmpty()) {
                ServerTls.publishCaBundle(client, config.namespace(), bundle);
              }
            });
      }
      return new ApiRole(resources, server);
    } catch (IOException | RuntimeException e) {
      resources.close();
      throw e;
    }
  }

  private static ServerTls serverTls(KubernetesClient client, Config config) {
    return switch (config.tls().mode()) {
      case NONE -> null;
      case FILES -> ServerTls.fromFiles(config.tls().dir(), Duration.ofMinutes(1));
      case GENERATE ->
          ServerTls.generated(
              client, config.namespace(), config.tls().dnsNames(), java.time.Clock.systemUTC());
    };
  }

  public int port() {
    return server.port();
  }

  @Override
  public void close() {
    server.close();
    resources.close();
  }
}
