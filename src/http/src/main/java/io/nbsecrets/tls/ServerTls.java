package io.nbsecrets.tls;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The secrets API's TLS: its certificate, kept current, and the CA bundle that clients (init
 * containers, the CLI) trust.
 *
 * <ul>
 *   <li>{@link #fromFiles}: {@code tls.crt}, {@code tls.key} and {@code ca.crt} of a mounted Secret
 *       (cert-manager's layout); re-read when they change, so a renewal needs no restart, and a new
 *       {@code ca.crt} (the issuing CA renewed with a new key) is handed to {@link
 *       #onCaBundleChange} to be published again.
 *   <li>{@link #generated}: the API's own CA, created on first start into the Secret {@value
 *       #CA_SECRET} (never by templates: {@code helm template} and Argo CD would render a new one
 *       each time), and a server certificate for the Service's DNS names issued by each replica in
 *       memory and renewed when a third of its life is left.
 * </ul>
 *
 * <p>Either way {@link #publishCaBundle} puts the CA certificate (never a key) into the ConfigMap
 * {@value #CA_CONFIGMAP}, where the operator reads it for init containers.
 */
public final class ServerTls implements AutoCloseable {
  public static final String CA_SECRET = "nbsecrets-api-ca";
  public static final String CA_CONFIGMAP = "nbsecrets-api-ca-bundle";
  public static final String CA_KEY = "ca.crt";
  private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

  private final SslContextFactory.Server factory;
  private volatile String caBundle;
  private volatile Consumer<String> onCaBundleChange = bundle -> {};
  private final ScheduledExecutorService renewals;

  /** What a renewal found: the new key store, and the new CA bundle (null: unchanged). */
  private record Renewal(KeyStore keyStore, String caBundle) {}

  private ServerTls(
      KeyStore initial,
      char[] password,
      String caBundle,
      Supplier<Renewal> renew,
      Duration checkEvery) {
    this.caBundle = caBundle;
    this.factory = new SslContextFactory.Server();
    factory.setKeyStore(initial);
    factory.setKeyStorePassword(new String(password));
    factory.setIncludeProtocols("TLSv1.3", "TLSv1.2");
    if (renew == null) {
      renewals = null;
      return;
    }
    renewals =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "nbsecrets-tls-renewal");
              t.setDaemon(true);
              return t;
            });
    renewals.scheduleWithFixedDelay(
        () -> {
          try {
            Renewal next = renew.get();
            if (next != null) {
              factory.reload(f -> f.setKeyStore(next.keyStore()));
              log.info("TLS certificate reloaded");
              if (next.caBundle() != null && !next.caBundle().equals(this.caBundle)) {
                this.caBundle = next.caBundle();
                log.info("TLS: the CA bundle changed");
                onCaBundleChange.accept(next.caBundle());
              }
            }
          } catch (Exception e) {
            log.warn(
                "TLS certificate not reloaded (the current one stays): {}: {}",
                e.getClass().getSimpleName(),
                e.getMessage());
          }
        },
        checkEvery.toMillis(),
        checkEvery.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /** For {@link io.nbsecrets.http.HttpEndpoint.Builder#tls}. */
  public SslContextFactory.Server contextFactory() {
    return factory;
  }

  /** The CA certificate(s) clients should trust, PEM; empty when unknown (public CA). */
  public String caBundle() {
    return caBundle;
  }

  /**
   * Called, on the renewal thread, with the new bundle each time a reload finds a new {@code
   * ca.crt}; what it throws is logged and the next change calls it again.
   */
  public void onCaBundleChange(Consumer<String> listener) {
    this.onCaBundleChange = Objects.requireNonNull(listener);
  }

  /**
   * A certificate from files ({@code tls.crt} with its chain, {@code tls.key}, optional {@code
   * ca.crt}), re-read every {@code checkEvery} when a file changed.
   */
  public static ServerTls fromFiles(Path dir, Duration checkEvery) {
    Path crt = dir.resolve("tls.crt");
    Path key = dir.resolve("tls.key");
    Path ca = dir.resolve(CA_KEY);
    char[] password = password();
    KeyStore initial = keyStoreFromFiles(crt, key, password);
    String bundle = Files.isRegularFile(ca) ? read(ca) : "";
    if (!bundle.isEmpty()) {
      Pem.certificates(bundle); // refuse a broken bundle at start, not in every init container
    }
    long[] stamp = {stamp(crt, key, ca)};
    return new ServerTls(
        initial,
        password,
        bundle,
        () -> {
          long now = stamp(crt, key, ca);
          if (now == stamp[0]) {
            return null;
          }
          KeyStore next = keyStoreFromFiles(crt, key, password);
          String nextBundle = Files.isRegularFile(ca) ? read(ca) : "";
          if (!nextBundle.isEmpty()) {
            Pem.certificates(nextBundle); // a broken bundle is not published; the old one stays
          }
          stamp[0] = now;
          return new Renewal(next, nextBundle);
        },
        checkEvery);
  }

  /**
   * The API's own CA (read from, or created into, the Secret {@value #CA_SECRET} in {@code
   * namespace}) and a server certificate for {@code dnsNames}.
   */
  public static ServerTls generated(
      KubernetesClient client, String namespace, List<String> dnsNames, Clock clock) {
    CertificateAuthority ca = loadOrCreateCa(client, namespace, clock);
    char[] password = password();
    Instant[] renewAt = new Instant[1];
    Supplier<KeyStore> issue =
        () -> {
          CertificateAuthority.Issued server = ca.issueServer(dnsNames);
          Instant notAfter = server.certificate().getNotAfter().toInstant();
          renewAt[0] = notAfter.minus(CertificateAuthority.SERVER_VALIDITY.dividedBy(3));
          return keyStore(server.key(), List.of(server.certificate(), ca.certificate()), password);
        };
    KeyStore initial = issue.get();
    log.info(
        "TLS: serving a certificate for {} issued by the CA in secret {}/{}",
        dnsNames,
        namespace,
        CA_SECRET);
    return new ServerTls(
        initial,
        password,
        Pem.certificate(ca.certificate()),
        () -> clock.instant().isBefore(renewAt[0]) ? null : new Renewal(issue.get(), null),
        Duration.ofHours(1));
  }

  /** Creates or updates the CA bundle ConfigMap (a no-op when it already says the same). */
  public static void publishCaBundle(KubernetesClient client, String namespace, String bundle) {
    var resource = client.configMaps().inNamespace(namespace).withName(CA_CONFIGMAP);
    ConfigMap existing = resource.get();
    if (existing != null
        && existing.getData() != null
        && bundle.equals(existing.getData().get(CA_KEY))) {
      return;
    }
    ConfigMap desired =
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName(CA_CONFIGMAP)
            .withNamespace(namespace)
            .addToLabels("app.kubernetes.io/managed-by", "nbsecrets")
            .addToLabels("app.kubernetes.io/component", "api-ca-bundle")
            .endMetadata()
            .withData(Map.of(CA_KEY, bundle))
            .build();
    if (existing == null) {
      try {
        client.configMaps().inNamespace(namespace).resource(desired).create();
        log.info("published the API's CA bundle in configmap {}/{}", namespace, CA_CONFIGMAP);
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
        existing = resource.get();
      }
    }
    existing.setData(Map.of(CA_KEY, bundle));
    client.configMaps().inNamespace(namespace).resource(existing).update();
    log.info("updated the API's CA bundle in configmap {}/{}", namespace, CA_CONFIGMAP);
  }

  @Override
  public void close() {
    if (renewals != null) {
      renewals.shutdownNow();
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static CertificateAuthority loadOrCreateCa(
      KubernetesClient client, String namespace, Clock clock) {
    var resource = client.secrets().inNamespace(namespace).withName(CA_SECRET);
    Secret existing = resource.get();
    if (existing == null) {
      CertificateAuthority ca = CertificateAuthority.generate("nbsecrets-api-ca", clock);
      Secret secret =
          new SecretBuilder()
              .withNewMetadata()
              .withName(CA_SECRET)
              .withNamespace(namespace)
              .addToLabels("app.kubernetes.io/managed-by", "nbsecrets")
              .addToLabels("app.kubernetes.io/component", "api-ca")
              .endMetadata()
              .withType("kubernetes.io/tls")
              .withData(
                  Map.of(
                      "tls.crt", b64(Pem.certificate(ca.certificate())),
                      "tls.key", b64(Pem.privateKey(ca.privateKey()))))
              .build();
      try {
        client.secrets().inNamespace(namespace).resource(secret).create();
        log.info("generated the API's CA into secret {}/{}", namespace, CA_SECRET);
        return ca;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
        // Another replica was first: use its CA.
        existing = resource.get();
      }
    }
    Map<String, String> data = existing.getData() == null ? Map.of() : existing.getData();
    if (!data.containsKey("tls.crt") || !data.containsKey("tls.key")) {
      throw new IllegalStateException(
          "secret "
              + namespace
              + "/"
              + CA_SECRET
              + " lacks tls.crt or tls.key; delete it to have a new CA generated");
    }
    return CertificateAuthority.of(unb64(data.get("tls.crt")), unb64(data.get("tls.key")), clock);
  }

  private static KeyStore keyStoreFromFiles(Path crt, Path key, char[] password) {
    List<X509Certificate> chain = Pem.certificates(read(crt));
    if (chain.isEmpty()) {
      throw new IllegalArgumentException(crt + " holds no certificate");
    }
    PrivateKey privateKey = Pem.privateKeyOf(read(key));
    Pem.checkPair(chain.get(0), privateKey);
    return keyStore(privateKey, chain, password);
  }

  private static KeyStore keyStore(PrivateKey key, List<X509Certificate> chain, char[] password) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry(
          "server", key, password, new ArrayList<>(chain).toArray(X509Certificate[]::new));
      return store;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build the TLS key store", e);
    }
  }

  private static long stamp(Path crt, Path key, Path ca) {
    try {
      long caStamp =
          Files.isRegularFile(ca)
              ? Files.getLastModifiedTime(ca).toMillis() * 17 + Files.size(ca)
              : 0;
      return Files.getLastModifiedTime(crt).toMillis() * 31
          + Files.getLastModifiedTime(key).toMillis()
          + Objects.hash(Files.size(crt), Files.size(key))
          + caStamp;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private static char[] password() {
    byte[] random = new byte[18];
    new SecureRandom().nextBytes(random);
    return Base64.getEncoder().encodeToString(random).toCharArray();
  }

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
  }

  private static String unb64(String value) {
    return new String(Base64.getDecoder().decode(value), StandardCharsets.US_ASCII);
  }
}
