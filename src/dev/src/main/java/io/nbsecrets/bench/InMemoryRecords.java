package io.nbsecrets.bench;

import io.nbsecrets.store.PutResult;
import io.nbsecrets.store.ScanCursor;
import io.nbsecrets.store.ScannedSecret;
import io.nbsecrets.store.SecretMetadata;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.StoredSecret;
import io.nbsecrets.store.WrappedUserKey;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One user's records, already in memory: a benchmark's store, so that a measurement leaves the
 * store read out. Read-only; what a snapshot does not call is refused.
 */
final class InMemoryRecords implements SecretStore {
  private final String user;
  private final Map<String, StoredSecret> records;

  InMemoryRecords(String user, Map<String, StoredSecret> records) {
    this.user = user;
    this.records = Map.copyOf(records);
  }

  @Override
  public Map<String, StoredSecret> get(String user, Collection<String> names) {
    Map<String, StoredSecret> found = new LinkedHashMap<>();
    if (this.user.equals(user)) {
      for (String name : names) {
        StoredSecret r = records.get(name);
        if (r != null) {
          found.put(name, r);
        }
      }
    }
    return found;
  }

  @Override
  public List<StoredSecret> getAll(String user) {
    return this.user.equals(user) ? List.copyOf(records.values()) : List.of();
  }

  @Override
  public List<SecretMetadata> list(String user) {
    return getAll(user).stream().map(StoredSecret::metadata).toList();
  }

  @Override
  public long count() {
    return records.size();
  }

  @Override
  public PutResult put(String user, String name, String sealed, int maxSecrets) {
    throw readOnly();
  }

  @Override
  public boolean delete(String user, String name) {
    throw readOnly();
  }

  @Override
  public Optional<String> getUserKey(String user) {
    return Optional.empty();
  }

  @Override
  public String putUserKeyIfAbsent(String user, String wrappedKey) {
    throw readOnly();
  }

  @Override
  public void recordUse(String user, Collection<String> names, Instant at) {
    throw readOnly();
  }

  @Override
  public Map<String, Instant> lastUsed(String user) {
    return Map.of();
  }

  @Override
  public List<ScannedSecret> scan(ScanCursor after, int limit) {
    throw readOnly();
  }

  @Override
  public boolean rewrap(String user, String name, String expectedSealed, String newSealed) {
    throw readOnly();
  }

  @Override
  public List<WrappedUserKey> scanUserKeys(String afterUser, int limit) {
    throw readOnly();
  }

  @Override
  public boolean rewrapUserKey(String user, String expected, String newWrapped) {
    throw readOnly();
  }

  private static UnsupportedOperationException readOnly() {
    return new UnsupportedOperationException("a benchmark's records are read-only");
  }
}
