package io.nbsecrets.store;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Optimistic writes that lost a race (a resourceVersion conflict, a Vault check-and-set mismatch):
 * read again after a short jittered backoff, a bounded number of times.
 */
final class WriteRetries {
  static final int MAX_ATTEMPTS = 40;
  private static final long CAP_MILLIS = 50;

  private WriteRetries() {}

  /** Sleeps a random 0..min(2^attempt, 50) ms. */
  static void backoff(String store, int attempt, String what) {
    long cap = Math.min(CAP_MILLIS, 1L << Math.min(attempt, 10));
    try {
      Thread.sleep(ThreadLocalRandom.current().nextLong(cap + 1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreUnavailableException(
          store + " store unavailable: interrupted while retrying a write of " + what, e);
    }
  }

  /** What to throw when every attempt conflicted with another writer. */
  static StoreUnavailableException gaveUp(String store, String what) {
    return new StoreUnavailableException(
        store
            + " store unavailable: gave up writing "
            + what
            + " after "
            + MAX_ATTEMPTS
            + " attempts conflicting with concurrent writers",
        null);
  }
}
