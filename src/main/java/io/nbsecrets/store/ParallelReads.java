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
 * Reads many records, one request each, on a store's bounded pool: results in the order of {@code
 * names}; the first failure is rethrown as is and the other reads are cancelled.
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
    List<Optional<StoredSecret>> result = new ArrayList<>(names.size());
    if (names.size() <= 1) {
      for (String name : names) {
        result.add(read.apply(name));
      }
      return result;
    }
    List<Future<Optional<StoredSecret>>> futures = new ArrayList<>(names.size());
    try {
      for (String name : names) {
        futures.add(pool.submit(() -> read.apply(name)));
      }
      for (Future<Optional<StoredSecret>> f : futures) {
        result.add(await(f, store, user));
      }
      return result;
    } catch (RejectedExecutionException e) {
      throw new StoreException(store + " store is closed", e);
    } finally {
      futures.forEach(f -> f.cancel(true));
    }
  }

  private static Optional<StoredSecret> await(
      Future<Optional<StoredSecret>> future, String store, String user) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreUnavailableException(
          store + " store unavailable: interrupted while reading the records of user " + user, e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new StoreException(store + " store: reading records of user " + user + " failed", e);
    }
  }
}
