package io.nbsecrets.integration;

import io.nbsecrets.store.PutResult;
import io.nbsecrets.store.ScanCursor;
import io.nbsecrets.store.ScannedSecret;
import io.nbsecrets.store.SecretMetadata;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.StoreUnavailableException;
import io.nbsecrets.store.StoredSecret;
import io.nbsecrets.store.WrappedUserKey;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** A real store behind a switch: when off, every call fails as an unreachable store would. */
final class FlakyStore implements SecretStore {
  private final SecretStore delegate;

  /** Calls of {@link #recordUse}: the store writes that usage tracking costs. */
  final AtomicInteger usageWrites = new AtomicInteger();

  private volatile boolean available = true;

  FlakyStore(SecretStore delegate) {
    this.delegate = delegate;
  }

  void setAvailable(boolean available) {
    this.available = available;
  }

  private void check() {
    if (!available) {
      throw new StoreUnavailableException(
          "store unavailable: connection refused (simulated outage)", null);
    }
  }

  @Override
  public List<SecretMetadata> list(String user) {
    check();
    return delegate.list(user);
  }

  @Override
  public Map<String, StoredSecret> get(String user, Collection<String> names) {
    check();
    return delegate.get(user, names);
  }

  @Override
  public List<StoredSecret> getAll(String user) {
    check();
    return delegate.getAll(user);
  }

  @Override
  public PutResult put(String user, String name, String sealed, int maxSecrets) {
    check();
    return delegate.put(user, name, sealed, maxSecrets);
  }

  @Override
  public void recordUse(String user, Collection<String> names, Instant at) {
    check();
    usageWrites.incrementAndGet();
    delegate.recordUse(user, names, at);
  }

  @Override
  public Map<String, Instant> lastUsed(String user) {
    check();
    return delegate.lastUsed(user);
  }

  @Override
  public boolean delete(String user, String name) {
    check();
    return delegate.delete(user, name);
  }

  @Override
  public Optional<String> getUserKey(String user) {
    check();
    return delegate.getUserKey(user);
  }

  @Override
  public String putUserKeyIfAbsent(String user, String wrappedKey) {
    check();
    return delegate.putUserKeyIfAbsent(user, wrappedKey);
  }

  @Override
  public long count() {
    check();
    return delegate.count();
  }

  @Override
  public List<ScannedSecret> scan(ScanCursor after, int limit) {
    check();
    return delegate.scan(after, limit);
  }

  @Override
  public boolean rewrap(String user, String name, String expectedSealed, String newSealed) {
    check();
    return delegate.rewrap(user, name, expectedSealed, newSealed);
  }

  @Override
  public List<WrappedUserKey> scanUserKeys(String afterUser, int limit) {
    check();
    return delegate.scanUserKeys(afterUser, limit);
  }

  @Override
  public boolean rewrapUserKey(String user, String expected, String newWrapped) {
    check();
    return delegate.rewrapUserKey(user, expected, newWrapped);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
