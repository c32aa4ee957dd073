package io.nbsecrets.store;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Reads many things, one request each, on a store's bounded pool: results in the order of the
 * inputs; the first failure is rethrown as is and the other reads are cancelled.
 */
final class ParallelReads {
  private ParallelReads() {}

  /**
   * A store's pool of {@code parallelism} daemon threads for reads, named {@code threadPrefix}
   * followed by a number.
   */
  static ExecutorService pool(String threadPrefix, int parallelism) {
    AtomicInteger threads = new AtomicInteger();
    return Executors.newFixedThreadPool(
        parallelism,
        r -> {
          Thread t = new Thread(r, threadPrefix + threads.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

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
    return map(pool, store, "the records of user " + user, names, read);
  }

  /**
   * A store's {@link SecretStore#get}: each distinct name read once, in parallel; the records that
   * exist, by name, in the order of {@code names}.
   *
   * @param store the store's name, for messages ("kubernetes", "vault")
   * @param read reads one record by name; empty when absent
   */
  static Map<String, StoredSecret> readPresent(
      ExecutorService pool,
      String store,
      String user,
      Collection<String> names,
      Function<String, Optional<StoredSecret>> read) {
    List<String> distinct = new ArrayList<>(new LinkedHashSet<>(names));
    List<Optional<StoredSecret>> found = readAll(pool, store, user, distinct, read);
    Map<String, StoredSecret> result = new LinkedHashMap<>();
    for (int i = 0; i < distinct.size(); i++) {
      String name = distinct.get(i);
      found.get(i).ifPresent(r -> result.put(name, r));
    }
    return result;
  }

  /**
   * {@code read} applied to each of {@code inputs}; a single input is read on the calling thread.
   *
   * @param store the store's name, for messages ("kubernetes", "vault")
   * @param what what is read, for messages ("the records of user alice")
   */
  static <T, R> List<R> map(
      ExecutorService pool,
      String store,
      String what,
      List<T> inputs,
      Function<? super T, ? extends R> read) {
    List<R> result = new ArrayList<>(inputs.size());
    if (inputs.size() <= 1) {
      for (T input : inputs) {
        result.add(read.apply(input));
      }
      return result;
    }
    List<Future<R>> futures = new ArrayList<>(inputs.size());
    try {
      for (T input : inputs) {
        futures.add(pool.submit(() -> read.apply(input)));
      }
      for (Future<R> f : futures) {
        result.add(await(f, store, what));
      }
      return result;
    } catch (RejectedExecutionException e) {
      throw new StoreException(store + " store is closed", e);
    } finally {
      futures.forEach(f -> f.cancel(true));
    }
  }

  private static <R> R await(Future<R> future, String store, String what) {
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
