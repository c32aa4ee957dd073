package io.nbsecrets.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.SessionKeyAlgorithm;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.crypto.SessionPrivateKey;
import io.nbsecrets.crypto.SessionPublicKey;
import io.nbsecrets.keys.SessionKeys;
import io.nbsecrets.rotation.RewrapCounts.Outcome;
import io.nbsecrets.store.InMemorySecretStore;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.StoreUnavailableException;
import io.nbsecrets.store.StoredSecret;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class SessionKeyRotationTest {
  static KubernetesMockServer server;
  static KubernetesClient client;

  String ns;
  InMemorySecretStore store = new InMemorySecretStore();
  SimpleMeterRegistry registry = new SimpleMeterRegistry();
  SessionPublicKey oldKey;

  /** (user/name) → the inner value each record must keep. */
  Map<String, String> inner = new LinkedHashMap<>();

  @BeforeEach
  void setUp() {
    ns = "ns-" + UUID.randomUUID().toString().substring(0, 8);
    client
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .create();
    SessionKeys.loadOrCreate(client, ns, SessionKeyAlgorithm.RSA_2048);
    oldKey = SessionKeys.awaitPublicKey(client, ns, Duration.ofSeconds(1));
    for (int u = 0; u < 5; u++) {
      for (int n = 0; n < 10; n++) {
        seal("user-" + u, "secret-" + n, oldKey);
      }
    }
  }

  private void seal(String user, String name, SessionPublicKey key) {
    String value = "inner-" + user + "-" + name;
    store.put(user, name, Envelope.seal(key, user, name, bytes(value)), 1000);
    inner.put(user + "/" + name, value);
  }

  private SessionKeyRotation rotation(SecretStore on, RotationOptions options, RotationListener l) {
    return new SessionKeyRotation(client, ns, on, null, options, l, registry);
  }

  private SessionKeyRotation migration(
      SecretStore on, SessionKeyAlgorithm to, RotationOptions options, RotationListener l) {
    return new SessionKeyRotation(client, ns, on, to, options, l, registry);
  }

  private static RotationOptions fast() {
    return RotationOptions.defaults().withPropagationWait(Duration.ZERO).withBatchSize(7);
  }

  private Secret keysSecret() {
    return client.secrets().inNamespace(ns).withName(SessionKeys.SECRET_NAME).get();
  }

  /** Every record opens with the keys the operators hold now, to the inner value it had. */
  private void assertEveryRecordReadable() {
    SessionKeyRing ring = SessionKeys.fromSecret(keysSecret());
    inner.forEach(
        (path, value) -> {
          String[] p = path.split("/");
          StoredSecret record = store.get(p[0], List.of(p[1])).get(p[1]);
          assertThat(string(Envelope.open(ring, p[0], p[1], record.sealed())))
              .as(path)
              .isEqualTo(value);
        });
  }

  @Test
  void rotationRewrapsEveryRecordThenDropsTheOldKey() {
    Map<String, StoredSecret> before = snapshot();
    List<String> steps = new ArrayList<>();
    AtomicInteger batches = new AtomicInteger();
    RotationListener listener =
        new RotationListener() {
          @Override
          public void step(String message) {
            steps.add(message);
          }

          @Override
          public void progress(Progress progress) {
            batches.incrementAndGet();
            // Mid-rotation, both keys are held: every record is readable.
            assertThat(SessionKeys.fromSecret(keysSecret()).keyIds()).hasSize(2);
            assertEveryRecordReadable();
          }
        };

    RotationResult result = rotation(store, fast(), listener).run();

    assertThat(result.complete()).isTrue();
    assertThat(result.resumed()).isFalse();
    assertThat(result.counts().get(Outcome.REWRAPPED)).isEqualTo(50);
    assertThat(result.passes()).isEqualTo(2); // one re-wraps, one verifies
    assertThat(result.droppedKeyIds()).containsExactly(oldKey.keyId());
    assertThat(batches.get()).isEqualTo(2 * 8); // 50 records in batches of 7, twice

    Secret secret = keysSecret();
    assertThat(SessionKeys.currentId(secret)).isEqualTo(result.targetKeyId());
    assertThat(SessionKeys.fromSecret(secret).keyIds()).containsExactly(result.targetKeyId());
    assertThat(secret.getMetadata().getAnnotations()).doesNotContainKey(KeySecrets.ROTATING_TO);
    assertThat(SessionKeys.awaitPublicKey(client, ns, Duration.ofSeconds(1)).keyId())
        .isEqualTo(result.targetKeyId());
    assertThat(client.configMaps().inNamespace(ns).withName(SessionKeyRotation.STATE).get())
        .isNull();

    assertEveryRecordReadable();
    snapshot()
        .forEach(
            (path, after) -> {
              assertThat(Envelope.keyId(after.sealed())).isEqualTo(result.targetKeyId());
              assertThat(after.metadata()).as(path).isEqualTo(before.get(path).metadata());
            });
    assertThat(
            registry
                .get("nbsecrets.rotation.items")
                .tags("kind", "session", "outcome", "rewrapped")
                .counter()
                .count())
        .isEqualTo(50);
    assertThat(String.join("\n", steps))
        .contains("added session key", "current", "dropped old session keys")
        .doesNotContain("PRIVATE KEY");
  }

  @Test
  void withoutAnAlgorithmTheNewKeyIsOfTheCurrentKeysAlgorithm() {
    RotationResult result = rotation(store, fast(), RotationListener.NONE).run();

    assertThat(result.targetKeyId()).startsWith("rsa-");
    assertThat(SessionKeys.awaitPublicKey(client, ns, Duration.ofSeconds(1)).algorithm())
        .isEqualTo("rsa-2048");
  }

  @Test
  void anInterruptedMigrationFromRsaToTheHybridKemResumesAndEndsWithNbs2Only() {
    FailingStore failing = new FailingStore(store, 20);

    assertThatThrownBy(
            () ->
                migration(
                        failing, SessionKeyAlgorithm.MLKEM768_X25519, fast(), RotationListener.NONE)
                    .run())
        .isInstanceOf(StoreUnavailableException.class);

    // Mid-migration: an RSA key and an X-Wing key held, the new one current and published; every
    // record (nbs1 or nbs2) opens, and an API replica that reloaded the key now seals nbs2.
    SessionKeyRing mid = SessionKeys.fromSecret(keysSecret());
    assertThat(mid.keyIds()).hasSize(2);
    assertThat(mid.publicKeys().get(0).algorithm()).isEqualTo("mlkem768-x25519");
    SessionPublicKey published = SessionKeys.awaitPublicKey(client, ns, Duration.ofSeconds(1));
    assertThat(published.algorithm()).isEqualTo("mlkem768-x25519");
    assertThat(
            client
                .configMaps()
                .inNamespace(ns)
                .withName(SessionKeys.CONFIGMAP_NAME)
                .get()
                .getData())
        .containsEntry(SessionKeys.ALGORITHM, "mlkem768-x25519")
        .containsEntry(SessionKeys.KEY_ID, published.keyId());
    seal("user-1", "written-mid-migration", published);
    assertThat(
            store
                .get("user-1", List.of("written-mid-migration"))
                .get("written-mid-migration")
                .sealed())
        .startsWith("nbs2." + published.keyId() + ".");
    assertEveryRecordReadable();

    failing.failAfter = Integer.MAX_VALUE;
    RotationResult resumed =
        migration(failing, SessionKeyAlgorithm.MLKEM768_X25519, fast(), RotationListener.NONE)
            .run();

    assertThat(resumed.resumed()).isTrue();
    assertThat(resumed.complete()).isTrue();
    assertThat(resumed.targetKeyId()).isEqualTo(published.keyId());
    assertThat(resumed.droppedKeyIds()).containsExactly(oldKey.keyId());
    assertThat(SessionKeys.fromSecret(keysSecret()).keyIds()).containsExactly(published.keyId());
    snapshot()
        .forEach(
            (path, after) ->
                assertThat(after.sealed()).as(path).startsWith("nbs2." + published.keyId() + "."));
    assertEveryRecordReadable();
  }

  @Test
  void anInterruptedRotationResumesAtItsCursorAndRewrapsEachRecordOnce() {
    FailingStore failing = new FailingStore(store, 20);

    assertThatThrownBy(() -> rotation(failing, fast(), RotationListener.NONE).run())
        .isInstanceOf(StoreUnavailableException.class);

    // Stopped mid-pass: both keys held, the new one current, the cursor saved; nothing unreadable.
    Secret secret = keysSecret();
    assertThat(secret.getMetadata().getAnnotations()).containsKey(KeySecrets.ROTATING_TO);
    assertThat(SessionKeys.fromSecret(secret).keyIds()).hasSize(2);
    Map<String, String> state =
        client.configMaps().inNamespace(ns).withName(SessionKeyRotation.STATE).get().getData();
    assertThat(state).containsKeys("afterUser", "afterName");
    assertEveryRecordReadable();

    failing.failAfter = Integer.MAX_VALUE;
    RotationResult resumed = rotation(failing, fast(), RotationListener.NONE).run();

    assertThat(resumed.resumed()).isTrue();
    assertThat(resumed.complete()).isTrue();
    // The resumed pass began at the cursor: it did not visit the 14 records of the 2 saved batches.
    assertThat(resumed.counts().total()).isEqualTo(50 - 14);
    assertThat(failing.rewrapped.get()).isEqualTo(50); // no record was re-wrapped twice
    assertThat(SessionKeys.fromSecret(keysSecret()).keyIds())
        .containsExactly(resumed.targetKeyId());
    assertEveryRecordReadable();
  }

  @Test
  void recordsSealedUnderTheOldKeyDuringTheRotationAreCaughtByALaterPass() {
    AtomicInteger calls = new AtomicInteger();
    RotationListener lateWriter =
        new RotationListener() {
          @Override
          public void step(String message) {}

          @Override
          public void progress(Progress progress) {
            if (calls.incrementAndGet() == 3) {
              // A secrets API replica that has not seen the new key yet, writing behind the cursor.
              seal("user-0", "late", oldKey);
            }
          }
        };

    RotationResult result = rotation(store, fast(), lateWriter).run();

    assertThat(result.complete()).isTrue();
    assertThat(result.passes()).isEqualTo(3);
    assertThat(Envelope.keyId(store.get("user-0", List.of("late")).get("late").sealed()))
        .isEqualTo(result.targetKeyId());
    assertEveryRecordReadable();
  }

  @Test
  void aSecondRunThatTookTheRotationOverStopsTheFirstBeforeItMakesItsKeyCurrentOrDropsAny() {
    // Run B read the Secret before run A's first edit, as A did; B's add lands right after A's.
    SessionPrivateKey other = SessionKeyAlgorithm.RSA_2048.generate();
    RotationListener otherRunAdds =
        RotationListener.onSteps(
            message -> {
              if (message.startsWith("added session key")) {
                Secret s = keysSecret();
                s.getData().put(other.keyId() + ".pem", KeySecrets.encode(other.pem()));
                s.getMetadata().getAnnotations().put(KeySecrets.ROTATING_TO, other.keyId());
                client.resource(s).update();
              }
            });

    assertThatThrownBy(() -> rotation(store, fast(), otherRunAdds).run())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no longer rotates to")
        .hasMessageContaining(other.keyId());

    // Nothing A would have done to B's rotation: the old key is still current and held, B's key
    // is held and named, and an operator can load the Secret.
    Secret after = keysSecret();
    SessionKeyRing ring = SessionKeys.fromSecret(after);
    assertThat(SessionKeys.currentId(after)).isEqualTo(oldKey.keyId());
    assertThat(ring.keyIds()).contains(oldKey.keyId(), other.keyId());
    assertThat(after.getMetadata().getAnnotations())
        .containsEntry(KeySecrets.ROTATING_TO, other.keyId());
    // Run again, it resumes B's rotation and completes it.
    RotationResult resumed = rotation(store, fast(), RotationListener.NONE).run();
    assertThat(resumed.complete()).isTrue();
    assertThat(resumed.targetKeyId()).isEqualTo(other.keyId());
    assertThat(SessionKeys.fromSecret(keysSecret()).keyIds()).containsExactly(other.keyId());
    assertEveryRecordReadable();
  }

  @Test
  void aRunDoesNotDropKeysOnceAnotherRunMadeItsOwnKeyCurrent() {
    SessionPrivateKey other = SessionKeyAlgorithm.RSA_2048.generate();
    RotationListener otherRunTakesOver =
        RotationListener.onSteps(
            message -> {
              if (message.startsWith("made session key")) {
                // Between A's passes and its drop: B adds its key and makes it current.
                Secret s = keysSecret();
                s.getData().put(other.keyId() + ".pem", KeySecrets.encode(other.pem()));
                s.getData().put(KeySecrets.CURRENT, KeySecrets.encode(other.keyId()));
                s.getMetadata().getAnnotations().put(KeySecrets.ROTATING_TO, other.keyId());
                client.resource(s).update();
              }
            });

    assertThatThrownBy(() -> rotation(store, fast(), otherRunTakesOver).run())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(other.keyId());
    Secret after = keysSecret();
    assertThat(SessionKeys.currentId(after)).isEqualTo(other.keyId());
    assertThat(SessionKeys.fromSecret(after).keyIds()).contains(oldKey.keyId(), other.keyId());
  }

  @Test
  void unreadableRecordsAreLeftAsTheyAreAndDoNotBlockTheRotation() {
    String corrupt = Envelope.seal(oldKey, "user-9", "other-name", bytes("x"));
    store.put("user-9", "copied", corrupt, 1000); // bound to another name: unreadable already

    RotationResult result = rotation(store, fast(), RotationListener.NONE).run();

    assertThat(result.complete()).isTrue();
    assertThat(result.counts().get(Outcome.UNREADABLE)).isEqualTo(1);
    assertThat(store.get("user-9", List.of("copied")).get("copied").sealed()).isEqualTo(corrupt);
    assertEveryRecordReadable();
  }

  @Test
  void keepingTheOldKeysLeavesBothHeld() {
    RotationResult result =
        rotation(store, fast().withDropOldKeys(false), RotationListener.NONE).run();

    assertThat(result.complete()).isTrue();
    assertThat(result.droppedKeyIds()).isEmpty();
    Secret secret = keysSecret();
    assertThat(SessionKeys.fromSecret(secret).keyIds())
        .containsExactly(result.targetKeyId(), oldKey.keyId());
    assertThat(secret.getMetadata().getAnnotations()).doesNotContainKey(KeySecrets.ROTATING_TO);
  }

  @Test
  void aRunIdThatCompletedBeforeIsNotRunAgain() {
    RotationResult first = rotation(store, fast().withRunId("job-1"), RotationListener.NONE).run();
    assertThat(first.complete()).isTrue();
    assertThat(first.alreadyDone()).isFalse();

    RotationResult again = rotation(store, fast().withRunId("job-1"), RotationListener.NONE).run();

    assertThat(again.alreadyDone()).isTrue();
    assertThat(again.targetKeyId()).isEqualTo(first.targetKeyId());
    assertThat(SessionKeys.fromSecret(keysSecret()).keyIds()).containsExactly(first.targetKeyId());
    RotationResult next = rotation(store, fast().withRunId("job-2"), RotationListener.NONE).run();
    assertThat(next.alreadyDone()).isFalse();
    assertThat(next.targetKeyId()).isNotEqualTo(first.targetKeyId());
    assertThat(next.droppedKeyIds()).containsExactly(first.targetKeyId());
  }

  @Test
  void withoutAKeysSecretTheRotationSaysWhatIsMissing() {
    client.secrets().inNamespace(ns).withName(SessionKeys.SECRET_NAME).delete();

    assertThatThrownBy(() -> rotation(store, fast(), RotationListener.NONE).run())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(ns + "/" + SessionKeys.SECRET_NAME)
        .hasMessageContaining("does not exist");
  }

  private Map<String, StoredSecret> snapshot() {
    Map<String, StoredSecret> all = new LinkedHashMap<>();
    for (String path : inner.keySet()) {
      String[] p = path.split("/");
      all.put(path, store.get(p[0], List.of(p[1])).get(p[1]));
    }
    return all;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static String string(byte[] b) {
    return new String(b, StandardCharsets.US_ASCII);
  }
}
