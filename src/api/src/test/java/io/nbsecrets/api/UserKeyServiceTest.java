package io.nbsecrets.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nbsecrets.crypto.CryptoException;
import io.nbsecrets.crypto.Fernet;
import io.nbsecrets.crypto.PlatformKey;
import io.nbsecrets.store.InMemorySecretStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class UserKeyServiceTest {
  final InMemorySecretStore store = new InMemorySecretStore();
  final PlatformKey platformKey = PlatformKey.generate();

  @Test
  void createsOnceThenReturnsTheSameKey() {
    UserKeyService keys = new UserKeyService(store, platformKey);
    assertThat(keys.find("alice")).isEmpty();
    String key = keys.getOrCreate("alice");
    assertThat(keys.getOrCreate("alice")).isEqualTo(key);
    assertThat(keys.find("alice")).contains(key);
    // A real Fernet key.
    Fernet fernet = Fernet.fromKey(key);
    assertThat(fernet.decrypt(fernet.encrypt("x".getBytes(StandardCharsets.UTF_8))))
        .isEqualTo("x".getBytes(StandardCharsets.UTF_8));
    // Stored wrapped, not in the clear.
    assertThat(store.getUserKey("alice").orElseThrow()).doesNotContain(key);
    // Users have different keys.
    assertThat(keys.getOrCreate("bob")).isNotEqualTo(key);
  }

  @Test
  void aBurstReadsTheStoreOnceAndANewUserIsAlwaysReadAfresh() {
    UserKeyService keys = new UserKeyService(store, platformKey);
    String key = keys.getOrCreate("alice");
    // Within WRAPPED_KEY_TTL the wrapped key is not read again: the store being down changes
    // nothing for alice ...
    store.setAvailable(false);
    assertThat(keys.getOrCreate("alice")).isEqualTo(key);
    assertThat(keys.find("alice")).contains(key);
    // ... while a user not read yet needs the store.
    assertThatThrownBy(() -> keys.getOrCreate("bob"))
        .isInstanceOf(io.nbsecrets.store.StoreUnavailableException.class);
    store.setAvailable(true);
    // A user without a key is not remembered as such: once created elsewhere it is found.
    assertThat(keys.find("dave")).isEmpty();
    String daves = new UserKeyService(store, platformKey).getOrCreate("dave");
    assertThat(keys.find("dave")).contains(daves);
  }

  @Test
  void racingReplicasAgreeOnOneKey() throws Exception {
    // Two API replicas (two services, one store) and many threads.
    UserKeyService a = new UserKeyService(store, platformKey);
    UserKeyService b = new UserKeyService(store, platformKey);
    Set<String> seen = ConcurrentHashMap.newKeySet();
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      UserKeyService s = i % 2 == 0 ? a : b;
      Thread t =
          new Thread(
              () -> {
                try {
                  go.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                seen.add(s.getOrCreate("carol"));
              });
      threads.add(t);
      t.start();
    }
    go.countDown();
    for (Thread t : threads) {
      t.join();
    }
    assertThat(seen).hasSize(1);
    assertThat(a.find("carol")).contains(seen.iterator().next());
  }

  @Test
  void keysWrappedUnderARetiredPlatformKeyStillOpen() {
    String key = new UserKeyService(store, platformKey).getOrCreate("dave");
    PlatformKey next = PlatformKey.generate();
    UserKeyService rotated = new UserKeyService(store, next, List.of(platformKey));
    assertThat(rotated.getOrCreate("dave")).isEqualTo(key);
    // New users get keys under the new platform key only.
    rotated.getOrCreate("erin");
    assertThatThrownBy(() -> new UserKeyService(store, platformKey).find("erin"))
        .isInstanceOf(CryptoException.class);
    // Without the old platform key, dave's key cannot be unwrapped.
    assertThatThrownBy(() -> new UserKeyService(store, next).find("dave"))
        .isInstanceOf(CryptoException.class);
  }

  @Test
  void aWrappedKeyCopiedToAnotherUserDoesNotOpen() {
    UserKeyService keys = new UserKeyService(store, platformKey);
    keys.getOrCreate("frank");
    store.putUserKeyIfAbsent("mallory", store.getUserKey("frank").orElseThrow());
    assertThatThrownBy(() -> keys.find("mallory")).isInstanceOf(CryptoException.class);
  }
}
