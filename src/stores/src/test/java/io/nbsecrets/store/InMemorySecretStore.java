package io.nbsecrets.store;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A fake store for tests: the contract, in memory. {@link #setAvailable(boolean)} simulates an
 * outage: every call then throws {@link StoreUnavailableException}. {@link #reads()} counts the
 * calls that read records or their metadata; {@link #readingAllAtOnce} makes it a store whose
 * {@link #getAll} is one request, as the Kubernetes store's.
 */
public final class InMemorySecretStore implements SecretStore {
  private final Map<String, TreeMap<String, StoredSecret>> records = new ConcurrentHashMap<>();
  private final Map<String, String> userKeys = new ConcurrentHashMap<>();
  private final Map<String, Map<String, Instant>> usage = new ConcurrentHashMap<>();
  private final Clock clock;
  private volatile boolean available = true;
  private volatile boolean allAtOnce;
  private final Map<String, Integer> reads = new ConcurrentHashMap<>();

  public InMemorySecretStore() {
    this(Clock.systemUTC());
  }

  public InMemorySecretStore(Clock clock) {
    this.clock = clock;
  }

  public void setAvailable(boolean available) {
    this.available = available;
  }

  private volatile long maxSealedBytes = Long.MAX_VALUE;

  /** Holds records of at most {@code max} bytes from now on, as a backend with a limit would. */
  public void setMaxSealedBytes(long max) {
    this.maxSealedBytes = max;
  }

  @Override
  public long maxSealedBytes() {
    return maxSealedBytes;
  }

  /** This store, now saying that {@link #getAll} reads all of a user's records at once. */
  public InMemorySecretStore readingAllAtOnce() {
    this.allAtOnce = true;
    return this;
  }

  @Override
  public boolean readsAllAtOnce() {
    return allAtOnce;
  }

  /** How many times {@code list}, {@code get} and {@code getAll} were called, by method. */
  public Map<String, Integer> reads() {
    return Map.copyOf(reads);
  }

  private void counted(String method) {
    reads.merge(method, 1, Integer::sum);
  }

  private void check() {
    if (!available) {
      throw new StoreUnavailableException("in-memory store is switched off", null);
    }
  }

  private TreeMap<String, StoredSecret> of(String user) {
    return records.computeIfAbsent(user, u -> new TreeMap<>());
  }

  @Override
  public synchronized List<SecretMetadata> list(String user) {
    check();
    counted("list");
    return of(user).values().stream().map(StoredSecret::metadata).toList();
  }

  @Override
  public synchronized Map<String, StoredSecret> get(String user, Collection<String> names) {
    check();
    counted("get");
    Map<String, StoredSecret> result = new LinkedHashMap<>();
    for (String name : names) {
      StoredSecret s = of(user).get(name);
      if (s != null) {
        result.put(name, s);
      }
    }
    return result;
  }

  @Override
  public synchronized List<StoredSecret> getAll(String user) {
    check();
    counted("getAll");
    return new ArrayList<>(of(user).values());
  }

  @Override
  public synchronized PutResult put(String user, String name, String sealed, int maxSecrets) {
    check();
    TreeMap<String, StoredSecret> mine = of(user);
    StoredSecret old = mine.get(name);
    Instant now = clock.instant();
    if (old == null && mine.size() >= maxSecrets) {
      throw new TooManySecretsException(user, maxSecrets);
    }
    StoredSecret next =
        old == null
            ? new StoredSecret(name, 1, now, now, sealed)
            : new StoredSecret(name, old.version() + 1, old.createdAt(), now, sealed);
    mine.put(name, next);
    return new PutResult(next.metadata(), old == null);
  }

  @Override
  public synchronized boolean delete(String user, String name) {
    check();
    return of(user).remove(name) != null;
  }

  @Override
  public synchronized void recordUse(String user, Collection<String> names, Instant at) {
    check();
    usage.put(user, Usage.merge(usage.getOrDefault(user, Map.of()), names, at));
  }

  @Override
  public synchronized Map<String, Instant> lastUsed(String user) {
    check();
    return Map.copyOf(usage.getOrDefault(user, Map.of()));
  }

  @Override
  public Optional<String> getUserKey(String user) {
    check();
    return Optional.ofNullable(userKeys.get(user));
  }

  @Override
  public String putUserKeyIfAbsent(String user, String wrappedKey) {
    check();
    return userKeys.computeIfAbsent(user, u -> wrappedKey);
  }

  @Override
  public synchronized long count() {
    check();
    return records.values().stream().mapToLong(Map::size).sum();
  }

  @Override
  public synchronized List<ScannedSecret> scan(ScanCursor after, int limit) {
    check();
    List<ScannedSecret> all = new ArrayList<>();
    records.forEach(
        (user, mine) -> mine.values().forEach(s -> all.add(new ScannedSecret(user, s))));
    return all.stream()
        .filter(r -> ScanCursor.isAfter(after, r.user(), r.secret().name()))
        .sorted(Comparator.comparing(ScanCursor::after))
        .limit(limit)
        .toList();
  }

  @Override
  public synchronized boolean rewrap(
      String user, String name, String expectedSealed, String newSealed) {
    check();
    StoredSecret old = of(user).get(name);
    if (old == null || !old.sealed().equals(expectedSealed)) {
      return false;
    }
    of(user)
        .put(
            name,
            new StoredSecret(name, old.version(), old.createdAt(), old.updatedAt(), newSealed));
    return true;
  }

  @Override
  public List<WrappedUserKey> scanUserKeys(String afterUser, int limit) {
    check();
    return userKeys.entrySet().stream()
        .filter(e -> afterUser == null || ScanCursor.UTF8_ORDER.compare(e.getKey(), afterUser) > 0)
        .sorted(Map.Entry.comparingByKey(ScanCursor.UTF8_ORDER))
        .limit(limit)
        .map(e -> new WrappedUserKey(e.getKey(), e.getValue()))
        .toList();
  }

  @Override
  public boolean rewrapUserKey(String user, String expected, String newWrapped) {
    check();
    return userKeys.replace(user, expected, newWrapped);
  }
}
