package io.nbsecrets.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.nbsecrets.crypto.RsaKeys;
import io.nbsecrets.crypto.SessionKeyAlgorithm;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.crypto.SessionPublicKey;
import io.nbsecrets.testing.ExpectedLogs;
import java.security.KeyPair;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class LiveKeyTest {
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

  private void editKeys(Map<String, String> changes) {
    KeysSecretEdits.edit(client, ns, changes);
  }

  private static String pemEntry(KeyPair pair) {
    return KeysSecretEdits.pemEntry(pair);
  }

  @Test
  void theOperatorsRingFollowsItsSecretWithoutARestart() {
    CopyOnWriteArrayList<SessionKeyRing> seen = new CopyOnWriteArrayList<>();
    try (LiveKey<SessionKeyRing> live =
        SessionKeys.watch(client, ns, SessionKeyAlgorithm.DEFAULT)) {
      String first = live.get().keyIds().iterator().next();
      KeyPair next = RsaKeys.generate(2048);
      String nextId = RsaKeys.keyId(next.getPublic());

      editKeys(Map.of(nextId + ".pem", pemEntry(next)));
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(live.get().keyIds()).containsExactly(first, nextId));

      editKeys(Map.of(SessionKeys.CURRENT, SessionKeys.b64(nextId)));
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(live.get().keyIds()).containsExactly(nextId, first));
      seen.add(live.get());

      Map<String, String> drop = new LinkedHashMap<>();
      drop.put(first + ".pem", null);
      editKeys(drop);
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(live.get().keyIds()).containsExactly(nextId));
    }
    assertThat(seen).hasSize(1);
  }

  @Test
  void aBrokenEditOrADeletedSecretKeepsTheLastGoodKeys() {
    try (LiveKey<SessionKeyRing> live = SessionKeys.watch(client, ns, SessionKeyAlgorithm.DEFAULT);
        var expected = ExpectedLogs.expect(LiveKey.class)) {
      SessionKeyRing good = live.get();

      editKeys(Map.of(SessionKeys.CURRENT, SessionKeys.b64("rsa-0000000000000000")));
      assertThat(live.refresh()).isEqualTo(good);
      editKeys(Map.of("rsa-1111111111111111.pem", SessionKeys.b64("not a key")));
      assertThat(live.refresh()).isEqualTo(good);
      assertThat(expected.errors())
          .as("each broken edit logged as an error")
          .isGreaterThanOrEqualTo(2);
      client.secrets().inNamespace(ns).withName(SessionKeys.SECRET_NAME).delete();
      assertThat(live.refresh()).isEqualTo(good);
      assertThat(live.get()).isEqualTo(good);
    }
  }

  @Test
  void refreshReadsTheSecretAtOnce() {
    try (LiveKey<SessionKeyRing> live =
        SessionKeys.watch(client, ns, SessionKeyAlgorithm.DEFAULT)) {
      KeyPair next = RsaKeys.generate(2048);
      String nextId = RsaKeys.keyId(next.getPublic());
      editKeys(Map.of(nextId + ".pem", pemEntry(next)));

      assertThat(live.refresh().keyIds()).contains(nextId);
    }
  }

  @Test
  void theApisPublicKeyFollowsTheConfigMap() {
    SessionKeyRing ring = SessionKeys.loadOrCreate(client, ns, SessionKeyAlgorithm.DEFAULT);
    try (LiveKey<SessionPublicKey> live =
        SessionKeys.watchPublicKey(client, ns, Duration.ofSeconds(1))) {
      assertThat(live.get().keyId()).isEqualTo(ring.keyIds().iterator().next());
      KeyPair next = RsaKeys.generate(2048);
      String nextId = RsaKeys.keyId(next.getPublic());
      // As a rotation does: the key added and made current, then published.
      editKeys(
          Map.of(
              nextId + ".pem",
              pemEntry(next),
              SessionKeys.CURRENT,
              java.util.Base64.getEncoder()
                  .encodeToString(nextId.getBytes(java.nio.charset.StandardCharsets.US_ASCII))));
      Secret secret = client.secrets().inNamespace(ns).withName(SessionKeys.SECRET_NAME).get();
      SessionKeys.publish(client, ns, SessionKeys.fromSecret(secret), nextId);

      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(live.get().keyId()).isEqualTo(nextId));
    }
  }
}
