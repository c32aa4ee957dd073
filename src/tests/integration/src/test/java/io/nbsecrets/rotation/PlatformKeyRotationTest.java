package io.nbsecrets.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nbsecrets.api.UserKeyService;
import io.nbsecrets.crypto.UserKeys;
import io.nbsecrets.keys.LiveKey;
import io.nbsecrets.keys.PlatformKeys;
import io.nbsecrets.rotation.RewrapCounts.Outcome;
import io.nbsecrets.store.InMemorySecretStore;
import io.nbsecrets.store.StoreUnavailableException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class PlatformKeyRotationTest {
  static KubernetesMockServer server;
  static KubernetesClient client;

  String ns;
  InMemorySecretStore store = new InMemorySecretStore();
  PlatformKeys.Ring oldRing;

  /** user → their Fernet key, which a platform rotation must not change. */
  Map<String, String> userKeys = new LinkedHashMap<>();

  @BeforeEach
  void setUp() {
    ns = "ns-" + UUID.randomUUID().toString().substring(0, 8);
    client
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .create();
    oldRing = PlatformKeys.loadOrCreate(client, ns);
    UserKeyService service = new UserKeyService(store, oldRing.current());
    for (int i = 0; i < 30; i++) {
      userKeys.put("user-" + i, service.getOrCreate("user-" + i));
    }
  }

  private PlatformKeyRotation rotation(
      io.nbsecrets.store.SecretStore on, RotationListener listener) {
    return new PlatformKeyRotation(
        client,
        ns,
        on,
        RotationOptions.defaults().withPropagationWait(Duration.ZERO).withBatchSize(4),
        listener,
        new SimpleMeterRegistry());
  }

  private Secret keySecret() {
    return client.secrets().inNamespace(ns).withName(PlatformKeys.SECRET_NAME).get();
  }

  @Test
  void everyUserKeyIsRewrappedAndARunningApiKeepsWorkingThroughout() {
    try (LiveKey<PlatformKeys.Ring> live = PlatformKeys.watch(client, ns)) {
      UserKeyService api = new UserKeyService(store, live);
      RotationListener checkEveryBatch =
          new RotationListener() {
            @Override
            public void step(String message) {}

            @Override
            public void progress(Progress progress) {
              userKeys.forEach((user, key) -> assertThat(api.find(user)).contains(key));
            }
          };

      RotationResult result = rotation(store, checkEveryBatch).run();

      assertThat(result.complete()).isTrue();
      assertThat(result.counts().get(Outcome.REWRAPPED)).isEqualTo(30);
      assertThat(result.droppedKeyIds()).containsExactly(oldRing.current().id());
      PlatformKeys.Ring now = PlatformKeys.fromSecret(keySecret());
      assertThat(now.current().id()).isEqualTo(result.targetKeyId());
      assertThat(now.all()).hasSize(1);
      userKeys.forEach(
          (user, key) -> {
            String wrapped = store.getUserKey(user).orElseThrow();
            assertThat(UserKeys.platformKeyId(wrapped)).isEqualTo(result.targetKeyId());
            assertThat(UserKeys.unwrap(now.all(), user, wrapped)).isEqualTo(key);
          });
      // The running API follows the Secret: new users get keys under the new platform key.
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> live.get().current().id().equals(result.targetKeyId()));
      api.getOrCreate("newcomer");
      assertThat(UserKeys.platformKeyId(store.getUserKey("newcomer").orElseThrow()))
          .isEqualTo(result.targetKeyId());
      userKeys.forEach((user, key) -> assertThat(api.find(user)).contains(key));
    }
  }

  @Test
  void anInterruptedPlatformRotationResumes() {
    FailingStore failing = new FailingStore(store, 10);
    assertThatThrownBy(() -> rotation(failing, RotationListener.NONE).run())
        .isInstanceOf(StoreUnavailableException.class);
    PlatformKeys.Ring midway = PlatformKeys.fromSecret(keySecret());
    assertThat(midway.all()).hasSize(2);
    userKeys.forEach(
        (user, key) ->
            assertThat(UserKeys.unwrap(midway.all(), user, store.getUserKey(user).orElseThrow()))
                .isEqualTo(key));

    failing.failAfter = Integer.MAX_VALUE;
    RotationResult result = rotation(failing, RotationListener.NONE).run();

    assertThat(result.resumed()).isTrue();
    assertThat(result.complete()).isTrue();
    assertThat(failing.rewrapped.get()).isEqualTo(30);
    assertThat(PlatformKeys.fromSecret(keySecret()).all()).hasSize(1);
  }
}
