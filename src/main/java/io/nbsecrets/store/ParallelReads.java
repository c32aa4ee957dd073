package io.nbsecrets.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;

/**
 * Reads many records (or user keys), one request each, on a store's bounded pool: results in the
 * order asked for; the first failure is rethrown as is and the other reads are cancelled.
 */
final class ParallelReads {
  private ParallelReads() {}

  /**
   * @param store the store's name, for messages ("kubernetes", "vault")
   * @param read reads one record by name; empty when absent
   */
  static List<Optional<StoredSecret>> readAll(
      ExecutorService pool,
      String store,
      String user,
      List<String> names,
      Function<String, Optional<StoredSecret>> read) {
    return readEach(pool, store, "the records of user " + user, names, read);
  }

  /**
   * Like {@link #readAll}, for reads keyed by anything (a whole-store scan reads records of many
   * users, or user keys).
   *
   * @param what what is read, for messages ("the records of user alice")
   */
  static <K, V> List<V> readEach(
      ExecutorService pool, String store, String what, List<K> keys, Function<K, V> read) {
    List<V> result = new ArrayList<>(keys.size());
    if (keys.size() <= 1) {
      for (K key : keys) {
        result.add(read.apply(key));
      }
      return result;
    }
    List<Future<V>> futures = new ArrayList<>(keys.size());
    try {
      for (K key : keys) {
        futures.add(pool.submit(() -> read.apply(key)));
      }
      for (Future<V> f : futures) {
        result.add(await(f, store, what));
      }
      return result;
    } catch (RejectedExecutionException e) {
      throw new StoreException(store + " store is closed", e);
    } finally {
      futures.forEach(f -> f.cancel(true));
    }
  }

  private static <V> V await(Future<V> future, String store, String what) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreUnavailableException(
          store + " store unavailable: interrupted while reading " + what, e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new StoreException(store + " store: reading " + what + " failed", e);
    }
  }
}
