package io.nbsecrets.api;

import io.nbsecrets.crypto.Fernet;
import io.nbsecrets.crypto.PlatformKey;
import io.nbsecrets.crypto.UnknownKeyException;
import io.nbsecrets.crypto.UserKeys;
import io.nbsecrets.keys.LiveKey;
import io.nbsecrets.keys.PlatformKeys;
import io.nbsecrets.store.SecretStore;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
  private static final Logger LOG = LoggerFactory.getLogger(UserKeyService.class);

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
    Optional<String> existing = wrapped(user);
    if (existing.isPresent()) {
      return unwrapReadAgainIfStale(user, existing.get());
    }
    String fresh = Fernet.generateKey();
    PlatformKey wrapping = keys.get().current();
    String wrapped = UserKeys.wrap(wrapping, user, fresh);
    String winner = store.putUserKeyIfAbsent(user, wrapped);
    if (!winner.equals(wrapped)) {
      wrappedKeys.remember(user, winner);
      return unwrap(user, winner);
    }
    wrappedKeys.remember(user, wrapIfTheKeyChanged(user, fresh, wrapping, wrapped));
    return fresh;
  }

  /**
   * After a new user key is stored: when a platform key rotation made another key current while it
   * was written, the key is wrapped again under the new one, unless it was re-wrapped meanwhile (by
   * the rotation's pass). A store write can take longer than the rotation waits before its passes,
   * and a user key wrapped under the old platform key that lands behind the last pass would become
   * unreadable, and with it every secret of the user, once the old key is dropped. Returns the
   * stored form.
   */
  private String wrapIfTheKeyChanged(
      String user, String fresh, PlatformKey wrapping, String wrapped) {
    for (int attempt = 0; attempt < 3; attempt++) {
      PlatformKey now = keys.get().current();
      if (now.id().equals(wrapping.id())) {
        return wrapped;
      }
      String rewrapped = UserKeys.wrap(now, user, fresh);
      if (!store.rewrapUserKey(user, wrapped, rewrapped)) {
        // Re-wrapped by the rotation's pass meanwhile: read what it wrote.
        return store.getUserKey(user).orElse(wrapped);
      }
      LOG.info(
          "the key of user {}: wrapped again under platform key {}, made current while it was"
              + " stored",
          user,
          now.id());
      wrapping = now;
      wrapped = rewrapped;
    }
    return wrapped;
  }

  /** The user's key; empty when the user has none yet. */
  public Optional<String> find(String user) {
    return wrapped(user).map(w -> unwrapReadAgainIfStale(user, w));
  }

  /**
   * Unwraps a wrapped key that may come from the cache: one wrapped under a platform key dropped
   * since (a rotation whose propagation wait was shorter than {@link #WRAPPED_KEY_TTL}) is read
   * from the store again, where the rotation re-wrapped it.
   */
  private String unwrapReadAgainIfStale(String user, String wrapped) {
    try {
      return unwrap(user, wrapped);
    } catch (UnknownKeyException e) {
      wrappedKeys.forget(user);
      Optional<String> again = store.getUserKey(user);
      if (again.isEmpty() || again.get().equals(wrapped)) {
        throw e;
      }
      wrappedKeys.remember(user, again.get());
      return unwrap(user, again.get());
    }
  }

  /**
   * How long a user's wrapped key, once read, is used without reading the store again: a burst of
   * one user's session starts or writes reads it once. A user key never changes; a platform key
   * rotation re-wraps it, and a cached form under a platform key dropped since is read again. Only
   * the wrapped form is kept, never the key.
   */
  static final Duration WRAPPED_KEY_TTL = Duration.ofSeconds(10);

  private final RecentReads<String> wrappedKeys = new RecentReads<>(WRAPPED_KEY_TTL, 10_000);

  private Optional<String> wrapped(String user) {
    return wrappedKeys.get(user, () -> store.getUserKey(user));
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
