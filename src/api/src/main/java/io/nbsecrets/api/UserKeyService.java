package io.nbsecrets.api;

import io.nbsecrets.crypto.Fernet;
import io.nbsecrets.crypto.PlatformKey;
import io.nbsecrets.crypto.UnknownKeyException;
import io.nbsecrets.crypto.UserKeys;
import io.nbsecrets.keys.LiveKey;
import io.nbsecrets.keys.PlatformKeys;
import io.nbsecrets.store.SecretStore;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Users' own Fernet keys: created on first need, stored wrapped under the platform key, unwrapped
 * on every use.
 *
 * <p><b>No cache of unwrapped keys.</b> Unwrapping costs microseconds and the store read is needed
 * anyway to see a rotated key; a cache would keep every active user's plaintext key in the heap
 * (heap dumps, core files) for no measurable gain, since a user key is needed once per stored value
 * and once per session start, and it would delay a user-key rotation by the cache's lifetime.
 */
public final class UserKeyService {
  private final SecretStore store;
  private final LiveKey<PlatformKeys.Ring> keys;

  /**
   * @param current the platform key that wraps new user keys
   * @param others other platform keys that may still wrap stored user keys (during a rotation); may
   *     include {@code current}
   */
  public UserKeyService(SecretStore store, PlatformKey current, Collection<PlatformKey> others) {
    this(store, fixed(current, others));
  }

  public UserKeyService(SecretStore store, PlatformKey current) {
    this(store, current, List.of());
  }

  /** A service whose platform keys follow a rotation ({@link PlatformKeys#watch}). */
  public UserKeyService(SecretStore store, LiveKey<PlatformKeys.Ring> keys) {
    this.store = Objects.requireNonNull(store, "store");
    this.keys = Objects.requireNonNull(keys, "keys");
  }

  private static LiveKey<PlatformKeys.Ring> fixed(
      PlatformKey current, Collection<PlatformKey> others) {
    Objects.requireNonNull(current, "current");
    Map<String, PlatformKey> byId = new LinkedHashMap<>();
    byId.put(current.id(), current);
    for (PlatformKey key : others) {
      byId.putIfAbsent(key.id(), key);
    }
    return LiveKey.fixed(new PlatformKeys.Ring(current, List.copyOf(byId.values())));
  }

  /**
   * The user's key, created (and stored wrapped) when the user has none. Two racing callers, in one
   * process or in two replicas, get the same key: the store keeps the first one written.
   */
  public String getOrCreate(String user) {
    Optional<String> existing = store.getUserKey(user);
    if (existing.isPresent()) {
      return unwrap(user, existing.get());
    }
    String fresh = Fernet.generateKey();
    String wrapped = UserKeys.wrap(keys.get().current(), user, fresh);
    String winner = store.putUserKeyIfAbsent(user, wrapped);
    return winner.equals(wrapped) ? fresh : unwrap(user, winner);
  }

  /** The user's key; empty when the user has none yet. */
  public Optional<String> find(String user) {
    return store.getUserKey(user).map(wrapped -> unwrap(user, wrapped));
  }

  /**
   * Unwraps with the keys held; a key id not held yet (wrapped by a replica that saw a new key
   * first) makes a live ring re-read its Secret once.
   */
  private String unwrap(String user, String wrapped) {
    try {
      return UserKeys.unwrap(keys.get().all(), user, wrapped);
    } catch (UnknownKeyException e) {
      return UserKeys.unwrap(keys.refresh().all(), user, wrapped);
    }
  }
}
