package io.nbsecrets.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.nbsecrets.api.ApiServer;
import io.nbsecrets.api.ApiServerWiring;
import io.nbsecrets.init.ApiTrust;
import io.nbsecrets.init.InitException;
import io.nbsecrets.init.UserKeyClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API over real TLS (issue 10, item 2 and row 14): the generated CA kept in a Secret, the
 * bundle published, the init step verifying the server and refusing what it should.
 */
@EnableKubernetesMockClient(crud = true)
class ApiTlsTest {
  private static final String NS = "nbsecrets";
  private static final List<String> NAMES =
      List.of(
          "nbsecrets-api",
          "nbsecrets-api.nbsecrets.svc",
          "nbsecrets-api.nbsecrets.svc.cluster.local");

  KubernetesClient client;

  @Test
  void theGeneratedCaIsKeptInASecretAndSharedByEveryReplica() {
    try (ServerTls first = ServerTls.generated(client, NS, NAMES, Clock.systemUTC());
        ServerTls second = ServerTls.generated(client, NS, NAMES, Clock.systemUTC())) {
      Secret ca = client.secrets().inNamespace(NS).withName(ServerTls.CA_SECRET).get();
      assertThat(ca.getType()).isEqualTo("kubernetes.io/tls");
      assertThat(ca.getData()).containsOnlyKeys("tls.crt", "tls.key");
      assertThat(second.caBundle()).isEqualTo(first.caBundle());
      assertThat(Pem.certificates(first.caBundle())).hasSize(1);
      assertThat(first.caBundle()).doesNotContain("PRIVATE KEY");

      ServerTls.publishCaBundle(client, NS, first.caBundle());
      String version =
          client
              .configMaps()
              .inNamespace(NS)
              .withName(ServerTls.CA_CONFIGMAP)
              .get()
              .getMetadata()
              .getResourceVersion();
      ServerTls.publishCaBundle(client, NS, first.caBundle());
      ConfigMap bundle = client.configMaps().inNamespace(NS).withName(ServerTls.CA_CONFIGMAP).get();
      assertThat(bundle.getData()).containsOnlyKeys(ServerTls.CA_KEY);
      assertThat(bundle.getData().get(ServerTls.CA_KEY)).isEqualTo(first.caBundle());
      assertThat(bundle.getMetadata().getResourceVersion())
          .as("no needless update")
          .isEqualTo(version);
    }
  }

  @Test
  void theInitStepVerifiesTheServerAndRefusesWhatItShould() throws Exception {
    try (ServerTls tls = ServerTls.generated(client, NS, NAMES, Clock.systemUTC());
        ApiServer server = ApiServerWiring.minimal(tls.contextFactory())) {
      String https = "https://127.0.0.1:" + server.port();
      ApiTrust trusted = new ApiTrust(tls.caBundle(), "nbsecrets-api.nbsecrets.svc", false);

      // TLS verified: the API answers (403: the token is no pod's), the handshake passed.
      assertThatThrownBy(() -> new UserKeyClient(https, trusted, 1, Duration.ZERO).fetch("x"))
          .isInstanceOf(InitException.class)
          .hasMessageContaining("refused the user key")
          .hasMessageContaining("HTTP 403");

      // Another CA: refused, at once, saying why.
      CertificateAuthority other = CertificateAuthority.generate("someone-else", Clock.systemUTC());
      ApiTrust wrongCa =
          new ApiTrust(Pem.certificate(other.certificate()), "nbsecrets-api.nbsecrets.svc", false);
      assertThatThrownBy(() -> new UserKeyClient(https, wrongCa, 3, Duration.ZERO).fetch("x"))
          .isInstanceOf(InitException.class)
          .hasMessageContaining("failed TLS verification");

      // The right CA but a name the certificate does not carry (the URL's 127.0.0.1 included).
      for (String name : List.of("", "evil.example.org")) {
        ApiTrust wrongName = new ApiTrust(tls.caBundle(), name, false);
        assertThatThrownBy(() -> new UserKeyClient(https, wrongName, 1, Duration.ZERO).fetch("x"))
            .isInstanceOf(InitException.class)
            .hasMessageContaining("failed TLS verification");
      }

      // The JDK's CAs do not know the API's own CA.
      assertThatThrownBy(
              () -> new UserKeyClient(https, ApiTrust.systemDefault(), 1, Duration.ZERO).fetch("x"))
          .hasMessageContaining("failed TLS verification");

      // Plain HTTP is refused before anything is sent, unless development says otherwise.
      assertThatThrownBy(
              () ->
                  new UserKeyClient("http://127.0.0.1:" + server.port(), trusted, 1, Duration.ZERO))
          .isInstanceOf(InitException.class)
          .hasMessageContaining("refusing plain HTTP");

      // And the TLS port does not speak plain HTTP.
      HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      assertThatThrownBy(
              () ->
                  plain.send(
                      HttpRequest.newBuilder(
                              URI.create("http://127.0.0.1:" + server.port() + "/healthz"))
                          .timeout(Duration.ofSeconds(5))
                          .build(),
                      HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(IOException.class);
    }
  }

  @Test
  void aMountedCertificateIsServedAndReloadedWhenItChanges(@TempDir Path dir) throws Exception {
    CertificateAuthority first = CertificateAuthority.generate("first", Clock.systemUTC());
    write(dir, first);
    try (ServerTls tls = ServerTls.fromFiles(dir, Duration.ofMillis(200));
        ApiServer server = ApiServerWiring.minimal(tls.contextFactory())) {
      assertThat(tls.caBundle()).isEqualTo(Pem.certificate(first.certificate()));
      List<String> published = new java.util.concurrent.CopyOnWriteArrayList<>();
      tls.onCaBundleChange(published::add);
      String https = "https://127.0.0.1:" + server.port();
      assertThat(handshake(https, first)).isTrue();

      // cert-manager renews into the same files (a new CA here, to tell them apart).
      CertificateAuthority second = CertificateAuthority.generate("second", Clock.systemUTC());
      Thread.sleep(20); // a later modification time
      write(dir, second);
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> handshake(https, second) && !handshake(https, first));
      // The new ca.crt is the bundle now, and was handed on to be published, once.
      assertThat(tls.caBundle()).isEqualTo(Pem.certificate(second.certificate()));
      assertThat(published).containsExactly(Pem.certificate(second.certificate()));
    }
  }

  @Test
  void brokenFilesAreRefusedAtStartNamingTheProblem(@TempDir Path dir) throws Exception {
    CertificateAuthority ca = CertificateAuthority.generate("ca", Clock.systemUTC());
    CertificateAuthority other = CertificateAuthority.generate("other", Clock.systemUTC());
    var issued = ca.issueServer(NAMES);
    Files.writeString(dir.resolve("tls.crt"), Pem.certificate(issued.certificate()));
    Files.writeString(dir.resolve("tls.key"), Pem.privateKey(other.privateKey()));
    assertThatThrownBy(() -> ServerTls.fromFiles(dir, Duration.ofMinutes(1)))
        .hasMessageContaining("does not belong to the certificate");
    Files.writeString(dir.resolve("tls.key"), "not a key");
    assertThatThrownBy(() -> ServerTls.fromFiles(dir, Duration.ofMinutes(1)))
        .hasMessageContaining("private key");
  }

  private static void write(Path dir, CertificateAuthority ca) throws IOException {
    var issued = ca.issueServer(NAMES);
    Files.writeString(
        dir.resolve("tls.crt"),
        Pem.certificate(issued.certificate()) + Pem.certificate(ca.certificate()));
    Files.writeString(dir.resolve("tls.key"), Pem.privateKey(issued.key()));
    Files.writeString(
        dir.resolve("ca.crt"), Pem.certificate(ca.certificate()), StandardCharsets.US_ASCII);
  }

  private static boolean handshake(String url, CertificateAuthority ca) {
    ApiTrust trust = new ApiTrust(Pem.certificate(ca.certificate()), NAMES.get(1), false);
    try {
      new UserKeyClient(url, trust, 1, Duration.ZERO).fetch("x");
      return true;
    } catch (InitException e) {
      return !e.getMessage().contains("TLS verification");
    }
  }
}
