package io.nbsecrets.rotation;

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

/**
 * A real store that goes down after {@code failAfter} successful re-wraps (an interrupted rotation:
 * the job killed, the store lost); counts successful re-wraps of records and user keys.
 */
final class FailingStore implements SecretStore {
  private final SecretStore delegate;
  volatile int failAfter;
  final AtomicInteger rewrapped = new AtomicInteger();

  FailingStore(SecretStore delegate, int failAfter) {
    this.delegate = delegate;
    this.failAfter = failAfter;
  }

  private synchronized void beforeRewrap() {
    if (rewrapped.get() >= failAfter) {
      throw new StoreUnavailableException("store went away (simulated)", null);
    }
  }

  @Override
  public synchronized boolean rewrap(String user, String name, String expected, String sealed) {
    beforeRewrap();
    boolean done = delegate.rewrap(user, name, expected, sealed);
    if (done) {
      rewrapped.incrementAndGet();
    }
    return done;
  }

  @Override
  public synchronized boolean rewrapUserKey(String user, String expected, String newWrapped) {
    beforeRewrap();
    boolean done = delegate.rewrapUserKey(user, expected, newWrapped);
    if (done) {
      rewrapped.incrementAndGet();
    }
    return done;
  }

  @Override
  public List<SecretMetadata> list(String user) {
    return delegate.list(user);
  }

  @Override
  public Map<String, StoredSecret> get(String user, Collection<String> names) {
    return delegate.get(user, names);
  }

  @Override
  public List<StoredSecret> getAll(String user) {
    return delegate.getAll(user);
  }

  @Override
  public PutResult put(String user, String name, String sealed, int maxSecrets) {
    return delegate.put(user, name, sealed, maxSecrets);
  }

  @Override
  public void recordUse(String user, Collection<String> names, Instant at) {
    delegate.recordUse(user, names, at);
  }

  @Override
  public Map<String, Instant> lastUsed(String user) {
    return delegate.lastUsed(user);
  }

  @Override
  public boolean delete(String user, String name) {
    return delegate.delete(user, name);
  }

  @Override
  public Optional<String> getUserKey(String user) {
    return delegate.getUserKey(user);
  }

  @Override
  public String putUserKeyIfAbsent(String user, String wrappedKey) {
    return delegate.putUserKeyIfAbsent(user, wrappedKey);
  }

  @Override
  public long count() {
    return delegate.count();
  }

  @Override
  public List<ScannedSecret> scan(ScanCursor after, int limit) {
    return delegate.scan(after, limit);
  }

  @Override
  public List<WrappedUserKey> scanUserKeys(String afterUser, int limit) {
    return delegate.scanUserKeys(afterUser, limit);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
