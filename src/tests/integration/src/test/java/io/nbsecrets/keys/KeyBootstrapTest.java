package io.nbsecrets.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.RsaKeys;
import io.nbsecrets.crypto.SessionKeyAlgorithm;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.crypto.SessionPrivateKey;
import io.nbsecrets.crypto.SessionPublicKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@EnableKubernetesMockClient(crud = true)
class KeyBootstrapTest {
  static KubernetesMockServer server;
  static KubernetesClient client;
  String ns;

  @BeforeEach
  void namespace() {
    ns = "ns-" + UUID.randomUUID().toString().substring(0, 8);
    client
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .create();
  }

  @Test
  void anOperatorThatReadTheKeysBeforeARotationSwitchedThemDoesNotPublishTheOldKeyBack() {
    SessionKeyRing stale = SessionKeys.loadOrCreate(client, ns, SessionKeyAlgorithm.X25519);
    String oldId = stale.keyIds().iterator().next();
    // A rotation adds a key, makes it current and publishes it, after the operator's read.
    SessionPrivateKey next = SessionKeyAlgorithm.X25519.generate();
    var secret = client.secrets().inNamespace(ns).withName(SessionKeys.SECRET_NAME).get();
    secret.getData().put(next.keyId() + ".pem", b64(next.pem()));
    secret.getData().put(SessionKeys.CURRENT, b64(next.keyId()));
    client.resource(secret).update();
    SessionKeys.publish(
        client, ns, SessionKeys.fromSecret(client.resource(secret).get()), next.keyId());

    // The operator goes on with what it read: the old key.
    SessionKeys.publish(client, ns, stale, oldId);

    assertThat(SessionKeys.awaitPublicKey(client, ns, Duration.ofSeconds(1)).keyId())
        .isEqualTo(next.keyId());
  }

  private static String b64(String text) {
    return java.util.Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void sessionKeysAreGeneratedOnceThenReusedAndThePublicHalfIsPublished() {
    SessionKeyRing first = SessionKeys.loadOrCreate(client, ns, SessionKeyAlgorithm.DEFAULT);
    SessionKeyRing second = SessionKeys.loadOrCreate(client, ns, SessionKeyAlgorithm.DEFAULT);
    assertThat(second.keyIds()).isEqualTo(first.keyIds()).hasSize(1);
    SessionPublicKey published = SessionKeys.awaitPublicKey(client, ns, Duration.ofSeconds(1));
    assertThat(first.keyIds()).containsExactly(published.keyId());
    // what the API seals with, the operator opens
    String record =
        Envelope.seal(published, "alice", "A", "inner".getBytes(StandardCharsets.US_ASCII));
    assertThat(new String(Envelope.open(second, "alice", "A", record), StandardCharsets.US_ASCII))
        .isEqualTo("inner");
    // the public ConfigMap holds no private key
    var cm = client.configMaps().inNamespace(ns).withName(SessionKeys.CONFIGMAP_NAME).get();
    assertThat(cm.getData().toString()).doesNotContain("PRIVATE KEY");
    // the default: an X-Wing key pair, sealing nbs2
    assertThat(record).startsWith("nbs2." + published.keyId() + ".");
    assertThat(cm.getData())
        .containsEntry(SessionKeys.ALGORITHM, "mlkem768-x25519")
        .containsEntry(SessionKeys.KEY_ID, published.keyId());
    assertThat(cm.getData().get(SessionKeys.PUBLIC_PEM))
        .startsWith("-----BEGIN HPKE MLKEM768-X25519 PUBLIC KEY-----");
    var secret = client.secrets().inNamespace(ns).withName(SessionKeys.SECRET_NAME).get();
    assertThat(secret.getData()).containsOnlyKeys(SessionKeys.CURRENT, published.keyId() + ".pem");
  }

  @Test
  void theAlgorithmSettingAppliesToNewKeyPairsOnly() {
    SessionKeyRing rsa = SessionKeys.loadOrCreate(client, ns, SessionKeyAlgorithm.RSA_2048);
    SessionKeyRing later = SessionKeys.loadOrCreate(client, ns, SessionKeyAlgorithm.X25519);

    // An operator upgraded with another setting keeps the key the records are sealed under;
    // rotate-keys --key-algorithm moves them.
    assertThat(later).isEqualTo(rsa);
    assertThat(later.publicKeys().get(0).algorithm()).isEqualTo("rsa-2048");
    assertThat(SessionKeys.awaitPublicKey(client, ns, Duration.ofSeconds(1)).recordVersion())
        .isEqualTo("nbs1");
  }

  @Test
  void replicasRacingOnFirstStartAgreeOnOneKey() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      Callable<SessionKeyRing> start =
          () -> SessionKeys.loadOrCreate(client, ns, SessionKeyAlgorithm.DEFAULT);
      List<Future<SessionKeyRing>> rings = pool.invokeAll(List.of(start, start, start));
      var ids = rings.get(0).get().keyIds();
      for (Future<SessionKeyRing> r : rings) {
        assertThat(r.get().keyIds()).isEqualTo(ids);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void platformKeyIsGeneratedOnceThenReused() {
    PlatformKeys.Ring first = PlatformKeys.loadOrCreate(client, ns);
    PlatformKeys.Ring second = PlatformKeys.loadOrCreate(client, ns);
    assertThat(second.current().id()).isEqualTo(first.current().id());
    assertThat(second.all()).hasSize(1);
  }

  @Test
  void keysFromFiles(@TempDir Path dir) throws Exception {
    var pair = RsaKeys.generate(2048);
    Path priv = dir.resolve("session.pem");
    Files.writeString(priv, RsaKeys.privateKeyPem(pair.getPrivate()));
    Path pub = dir.resolve("session.pub.pem");
    Files.writeString(pub, RsaKeys.publicKeyPem(pair.getPublic()));
    SessionKeyRing ring = SessionKeys.fromFiles(List.of(priv));
    assertThat(ring.keyIds()).containsExactly(SessionKeys.publicKeyFromFile(pub).keyId());
    assertThatThrownBy(() -> SessionKeys.fromFiles(List.of(dir.resolve("absent.pem"))))
        .hasMessageContaining("cannot read key file");
  }

  @Test
  void hpkeKeysFromFilesMixWithRsaKeysAndBadOnesAreNamed(@TempDir Path dir) throws Exception {
    var xwing = io.nbsecrets.crypto.SessionKeyAlgorithm.MLKEM768_X25519.generate();
    var rsa = io.nbsecrets.crypto.SessionKeyAlgorithm.RSA_2048.generate();
    Path current = Files.writeString(dir.resolve("current.pem"), xwing.pem());
    Path old = Files.writeString(dir.resolve("old.pem"), rsa.pem());
    Path pub = Files.writeString(dir.resolve("public.pem"), xwing.publicKey().pem());

    SessionKeyRing ring = SessionKeys.fromFiles(List.of(current, old));

    assertThat(ring.keyIds()).containsExactly(xwing.keyId(), rsa.keyId());
    assertThat(SessionKeys.publicKeyFromFile(pub)).isEqualTo(xwing.publicKey());
    Path bad =
        Files.writeString(
            dir.resolve("bad.pem"),
            "-----BEGIN HPKE X25519 PRIVATE KEY-----\nAAAA\n-----END HPKE X25519 PRIVATE KEY-----\n");
    assertThatThrownBy(() -> SessionKeys.fromFiles(List.of(bad)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("key file " + bad)
        .hasMessageContaining("x25519 private key");
  }

  @Test
  void theApiWaitsForThePublicKeyAndSaysWhatIsMissing() {
    assertThatThrownBy(() -> SessionKeys.awaitPublicKey(client, ns, Duration.ofMillis(600)))
        .hasMessageContaining(SessionKeys.CONFIGMAP_NAME)
        .hasMessageContaining("is the operator running");
  }
}
