package io.nbsecrets.operator;

import io.nbsecrets.util.Hashes;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * Store records whose outer layer the operator removed lately, and what was under it: a user's
 * sessions with the same selection, and a {@code refresh: Live} session whose one secret changed,
 * open each record once rather than once per snapshot.
 *
 * <p>What it holds is what the per-session Secrets hold: values still encrypted with their user's
 * key, which the operator never has. An entry is found only by the exact record (its bytes, owner
 * and name, so a record copied to another owner or name is opened, and refused, as before), and is
 * used only while the key ring still holds the session key the record is sealed under: a key
 * retired by a rotation stops opening its records at once. Entries go after a maximum age (ten
 * minutes) or, least recently used first, when they hold more than a number of bytes (16 MiB).
 */
final class OpenedRecords {
  /** About 11,000 values of 1,000 characters (their Fernet tokens); a few megabytes of heap. */
  static final long DEFAULT_MAX_BYTES = 16L << 20;

  static final Duration DEFAULT_MAX_AGE = Duration.ofMinutes(10);

  /** A map entry's own bytes besides the value (key string, entry and record objects). */
  static final int ENTRY_OVERHEAD = 256;

  private record Entry(String keyId, String inner, long openedAtNanos) {}

  private final long maxBytes;
  private final long maxAgeNanos;
  private final LongSupplier nanos;
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(64, 0.75f, true);
  private long bytes;
  private long reused;
  private long opened;

  OpenedRecords(long maxBytes, Duration maxAge, LongSupplier nanos) {
    this.maxBytes = maxBytes;
    this.maxAgeNanos = maxAge.toNanos();
    this.nanos = nanos;
  }

  static OpenedRecords withDefaults() {
    return new OpenedRecords(DEFAULT_MAX_BYTES, DEFAULT_MAX_AGE, System::nanoTime);
  }

  /** Keeps nothing: every snapshot opens every record (the {@code bench snapshot} command). */
  static OpenedRecords none() {
    return new OpenedRecords(0, Duration.ZERO, System::nanoTime);
  }

  /**
   * The inner value of {@code sealed} (owner {@code user}, secret {@code name}) if it was opened
   * within the maximum age and {@code keyHeld} still accepts the key id it was sealed under; else
   * null.
   */
  synchronized String get(String user, String name, String sealed, Predicate<String> keyHeld) {
    Entry entry = maxBytes == 0 ? null : entries.get(key(user, name, sealed));
    boolean usable =
        entry != null
            && nanos.getAsLong() - entry.openedAtNanos() <= maxAgeNanos
            && keyHeld.test(entry.keyId());
    if (!usable) {
      if (entry != null) {
        remove(key(user, name, sealed));
      }
      opened++;
      return null;
    }
    reused++;
    return entry.inner();
  }

  /** Keeps what {@code sealed}, sealed under {@code keyId}, holds under its outer layer. */
  void put(String user, String name, String sealed, String keyId, String inner) {
    long size = size(inner);
    if (size > maxBytes) {
      return;
    }
    String key = key(user, name, sealed);
    synchronized (this) {
      remove(key);
      entries.put(key, new Entry(keyId, inner, nanos.getAsLong()));
      bytes += size;
      Iterator<Map.Entry<String, Entry>> eldest = entries.entrySet().iterator();
      while (bytes > maxBytes && eldest.hasNext()) {
        bytes -= size(eldest.next().getValue().inner());
        eldest.remove();
      }
    }
  }

  /** Records found here, not opened again, since start. */
  synchronized long reused() {
    return reused;
  }

  /** Records not found here (or not kept for long enough), which had to be opened. */
  synchronized long opened() {
    return opened;
  }

  synchronized int size() {
    return entries.size();
  }

  synchronized long bytes() {
    return bytes;
  }

  private void remove(String key) {
    Entry old = entries.remove(key);
    if (old != null) {
      bytes -= size(old.inner());
    }
  }

  private static long size(String inner) {
    return inner.length() + (long) ENTRY_OVERHEAD;
  }

  /** SHA-256 over owner, name and record, each prefixed with its length. */
  private static String key(String user, String name, String sealed) {
    return Hashes.ofParts(user, name, sealed);
  }
}
