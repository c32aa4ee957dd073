package io.nbsecrets.store;

/**
 * A store's striped write locks: writes of one key from this process take turns instead of racing
 * each other to the backend (where losers retry and could starve). Keys of one stripe share a lock.
 */
final class WriteLocks {
  private static final int STRIPES = 64;

  private final Object[] locks = new Object[STRIPES];

  WriteLocks() {
    for (int i = 0; i < locks.length; i++) {
      locks[i] = new Object();
    }
  }

  /** The lock to hold while writing {@code key}. */
  Object of(String key) {
    return locks[Math.floorMod(key.hashCode(), locks.length)];
  }
}
