package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.Fernet;
import io.nbsecrets.crypto.RsaKeys;
import io.nbsecrets.crypto.SessionKeyAlgorithm;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.keys.KeysSecretEdits;
import io.nbsecrets.keys.LiveKey;
import io.nbsecrets.keys.SessionKeys;
import io.nbsecrets.store.InMemorySecretStore;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The records the operator keeps opened ({@link OpenedRecords}) follow its key ring as it follows
 * the session keys Secret: once a rotation retires a key, no record sealed under it opens, even one
 * opened a moment before.
 */
@EnableKubernetesMockClient(crud = true)
class OpenedRecordsRotationTest {
  static KubernetesClient client;

  @Test
  void aRetiredKeysRecordsStopOpeningAtOnceThoughTheyWereOpenedLately() throws Exception {
    String ns = "keys";
    client
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .create();
    InMemorySecretStore store = new InMemorySecretStore();
    try (LiveKey<SessionKeyRing> live =
        SessionKeys.watch(client, ns, SessionKeyAlgorithm.DEFAULT)) {
      String first = live.get().keyIds().iterator().next();
      String inner = Fernet.fromKey(Fernet.generateKey()).encrypt(new byte[] {7});
      store.put(
          "erin",
          "A",
          Envelope.seal(
              live.get().publicKeys().get(0),
              "erin",
              "A",
              inner.getBytes(StandardCharsets.US_ASCII)),
          100);
      SecretResolver resolver = new SecretResolver(store, live, null);
      for (String name : new String[] {"nb-1", "nb-2"}) {
        Snapshot snapshot = resolver.resolve(Sessions.session("erin", name, "erin", "A"));
        assertThat(snapshot.entries().get(0).token()).isEqualTo(inner);
      }
      assertThat(resolver.opened().reused()).isEqualTo(1);

      // A new current key, then the first one dropped from the Secret.
      KeyPair next = RsaKeys.generate(2048);
      String nextId = RsaKeys.keyId(next.getPublic());
      Map<String, String> edit = new LinkedHashMap<>();
      edit.put(nextId + ".pem", KeysSecretEdits.pemEntry(next));
      edit.put(SessionKeys.CURRENT, KeysSecretEdits.currentEntry(nextId));
      edit.put(first + ".pem", null);
      KeysSecretEdits.edit(client, ns, edit);
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(live.get().keyIds()).containsExactly(nextId));

      assertThatThrownBy(() -> resolver.resolve(Sessions.session("erin", "nb-3", "erin", "A")))
          .isInstanceOfSatisfying(
              SessionFailure.class,
              f -> {
                assertThat(f.reason()).isEqualTo("UnknownSessionKey");
                assertThat(f.getMessage()).contains(first);
              });
    }
  }
}
