package io.nbsecrets.api;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * What was read lately, by key, reused for a short time: a burst of requests about the same key
 * reads it once. Only values found are kept (an absent one is read again next time); when {@code
 * maxEntries} keys are held, the memory starts again.
 */
final class RecentReads<V> {
  private record Entry<V>(V value, long readAtNanos) {}

  private final long ttlNanos;
  private final int maxEntries;
  private final Map<String, Entry<V>> entries = new ConcurrentHashMap<>();

  RecentReads(Duration ttl, int maxEntries) {
    this.ttlNanos = ttl.toNanos();
    this.maxEntries = maxEntries;
  }

  /** The value of {@code key} read less than the time to live ago, else {@code read}'s. */
  Optional<V> get(String key, Supplier<Optional<V>> read) {
    Entry<V> e = entries.get(key);
    if (e != null && System.nanoTime() - e.readAtNanos() < ttlNanos) {
      return Optional.of(e.value());
    }
    long asked = System.nanoTime();
    Optional<V> value = read.get();
    value.ifPresentOrElse(v -> put(key, v, asked), () -> entries.remove(key));
    return value;
  }

  /** {@code value} as read now (a write's result). */
  void remember(String key, V value) {
    put(key, value, System.nanoTime());
  }

  void forget(String key) {
    entries.remove(key);
  }

  private void put(String key, V value, long readAtNanos) {
    if (entries.size() >= maxEntries && !entries.containsKey(key)) {
      entries.clear();
    }
    entries.put(key, new Entry<>(value, readAtNanos));
  }
}
