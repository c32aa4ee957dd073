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
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.StoreUnavailableException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
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

  /**
   * A new user's key is wrapped under the current platform key, and a whole rotation runs before
   * its write lands (a slow store write): the key landed under a dropped platform key would leave
   * the user's secrets unreadable. The API wraps it again under the key made current meanwhile.
   */
  @Test
  void aUserKeyStoredAcrossARotationIsWrappedAgainUnderTheNewKey() {
    try (LiveKey<PlatformKeys.Ring> live = PlatformKeys.watch(client, ns)) {
      String[] target = new String[1];
      SecretStore slowFirstWrite =
          (SecretStore)
              Proxy.newProxyInstance(
                  SecretStore.class.getClassLoader(),
                  new Class<?>[] {SecretStore.class},
                  (proxy, method, args) -> {
                    if (method.getName().equals("putUserKeyIfAbsent") && target[0] == null) {
                      RotationResult result = rotation(store, RotationListener.NONE).run();
                      assertThat(result.droppedKeyIds()).containsExactly(oldRing.current().id());
                      target[0] = result.targetKeyId();
                      org.awaitility.Awaitility.await()
                          .atMost(Duration.ofSeconds(10))
                          .until(() -> live.get().current().id().equals(target[0]));
                    }
                    try {
                      return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                      throw e.getCause();
                    }
                  });
      UserKeyService api = new UserKeyService(slowFirstWrite, live);

      String key = api.getOrCreate("latecomer");

      String wrapped = store.getUserKey("latecomer").orElseThrow();
      assertThat(UserKeys.platformKeyId(wrapped)).isEqualTo(target[0]);
      PlatformKeys.Ring now = PlatformKeys.fromSecret(keySecret());
      assertThat(now.all()).extracting(k -> k.id()).containsExactly(target[0]);
      assertThat(UserKeys.unwrap(now.all(), "latecomer", wrapped)).isEqualTo(key);
      assertThat(api.find("latecomer")).contains(key);
      assertThat(new UserKeyService(store, live).find("latecomer")).contains(key);
    }
  }

  /** Without a switch, a new user's key is written once, under the current platform key. */
  @Test
  void withoutASwitchANewUserKeyIsWrittenOnce() {
    try (LiveKey<PlatformKeys.Ring> live = PlatformKeys.watch(client, ns)) {
      FailingStore counting = new FailingStore(store, Integer.MAX_VALUE);
      String key = new UserKeyService(counting, live).getOrCreate("newcomer");
      assertThat(counting.rewrapped.get()).isZero();
      String wrapped = store.getUserKey("newcomer").orElseThrow();
      assertThat(UserKeys.platformKeyId(wrapped)).isEqualTo(oldRing.current().id());
      assertThat(UserKeys.unwrap(oldRing.all(), "newcomer", wrapped)).isEqualTo(key);
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
