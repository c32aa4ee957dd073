package io.nbsecrets.rotation;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.nbsecrets.rotation.RewrapCounts.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Re-wraps every item of a store (records, or user keys) in passes of batches, resumably.
 *
 * <p>A pass scans from a cursor to the end in batches; each batch's items are re-wrapped on {@code
 * parallelism} threads (unwrapping is RSA or AES work, CPU-bound), and the cursor is saved only
 * after the whole batch is done, so an interrupted run resumes at the first unfinished batch and
 * re-checks at most one batch. The first pass starts at the saved cursor; passes then repeat from
 * the start until one finds nothing to re-wrap (a <em>clean</em> pass: items written under the old
 * key by a replica that had not yet seen the new one are caught), at most {@code maxPasses}.
 *
 * <p>Metrics (low cardinality): {@code nbsecrets.rotation.items{kind,outcome}} counts items, {@code
 * nbsecrets.rotation.progress{kind}} is the fraction of the current pass done, {@code
 * nbsecrets.rotation.pass{kind}} the pass number, {@code nbsecrets.rotation.batch{kind}} times
 * batches.
 *
 * @param <T> an item
 * @param <C> a cursor: the position after an item
 */
final class RewrapPasses<T, C> {

  /** The items and how to re-wrap one. Implementations are thread-safe. */
  interface Source<T, C> {
    /** How many items there are, or -1 when the store cannot say cheaply. */
    long count();

    List<T> page(C after, int limit);

    C cursorAfter(T item);

    Outcome rewrap(T item);
  }

  /** Where the cursor of an interrupted pass is kept. */
  interface CursorStore<C> {
    /** The saved cursor, or null to start at the beginning. */
    C load();

    void save(C cursor);

    void clear();
  }

  /** The passes' outcome: {@code clean} when the last pass found nothing left to re-wrap. */
  record Result(int passes, RewrapCounts firstPass, RewrapCounts all, boolean clean) {}

  private final Source<T, C> source;
  private final CursorStore<C> cursors;
  private final RotationOptions options;
  private final RotationListener listener;
  private final Map<Outcome, Counter> counters = new EnumMap<>(Outcome.class);
  private final Timer batchTimer;
  private final AtomicLong progressDone = new AtomicLong();
  private final AtomicLong progressTotal = new AtomicLong();
  private final AtomicInteger passNumber = new AtomicInteger();

  RewrapPasses(String kind, Source<T, C> source, CursorStore<C> cursors, RotationRun run) {
    this.source = source;
    this.cursors = cursors;
    this.options = run.options();
    this.listener = run.listener();
    MeterRegistry registry = run.registry();
    for (Outcome o : Outcome.values()) {
      counters.put(
          o,
          Counter.builder("nbsecrets.rotation.items")
              .description("Items handled by key rotation passes, by outcome")
              .tag("kind", kind)
              .tag("outcome", o.tag())
              .register(registry));
    }
    batchTimer =
        Timer.builder("nbsecrets.rotation.batch")
            .description("Time to re-wrap one batch")
            .tag("kind", kind)
            .register(registry);
    Gauge.builder(
            "nbsecrets.rotation.progress",
            this,
            p -> {
              long total = p.progressTotal.get();
              return total == 0 ? 0 : Math.min(1.0, (double) p.progressDone.get() / total);
            })
        .description("Fraction of the current pass done")
        .tag("kind", kind)
        .register(registry);
    Gauge.builder("nbsecrets.rotation.pass", passNumber, AtomicInteger::get)
        .description("The current pass (1, then verification passes)")
        .tag("kind", kind)
        .register(registry);
  }

  Result run() {
    ExecutorService pool = Executors.newFixedThreadPool(options.parallelism(), this::thread);
    try {
      RewrapCounts all = new RewrapCounts();
      RewrapCounts first = null;
      C start = cursors.load();
      for (int pass = 1; pass <= options.maxPasses(); pass++) {
        RewrapCounts counts = pass(pool, pass, start);
        all.addAll(counts);
        if (first == null) {
          first = counts.copy();
        }
        // Only a pass over the whole store can show that nothing is left.
        if (start == null && counts.clean()) {
          return new Result(pass, first, all, true);
        }
        start = null;
      }
      return new Result(options.maxPasses(), first, all, false);
    } finally {
      pool.shutdownNow();
    }
  }

  private RewrapCounts pass(ExecutorService pool, int pass, C start) {
    passNumber.set(pass);
    long began = System.nanoTime();
    long total = source.count();
    RewrapCounts counts = new RewrapCounts();
    progressTotal.set(Math.max(total, 0));
    progressDone.set(0);
    C cursor = start;
    for (List<T> page = source.page(cursor, options.batchSize());
        !page.isEmpty();
        page = source.page(cursor, options.batchSize())) {
      long batchStart = System.nanoTime();
      List<Future<Outcome>> futures = new ArrayList<>(page.size());
      for (T item : page) {
        futures.add(pool.submit(() -> source.rewrap(item)));
      }
      for (Future<Outcome> f : futures) {
        Outcome outcome = await(f);
        counts.add(outcome);
        counters.get(outcome).increment();
      }
      batchTimer.record(Duration.ofNanos(System.nanoTime() - batchStart));
      cursor = source.cursorAfter(page.get(page.size() - 1));
      cursors.save(cursor);
      progressDone.addAndGet(page.size());
      listener.progress(progress(pass, counts, total, began));
    }
    cursors.clear();
    listener.passDone(progress(pass, counts, total, began));
    return counts;
  }

  /** Where a pass stands; {@code total} is -1 when the source cannot count. */
  private static RotationListener.Progress progress(
      int pass, RewrapCounts counts, long total, long began) {
    return new RotationListener.Progress(
        pass,
        counts.total(),
        total < 0 ? 0 : Math.max(total, counts.total()),
        counts.copy(),
        Duration.ofNanos(System.nanoTime() - began));
  }

  private static <O> O await(Future<O> future) {
    try {
      return future.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while re-wrapping", e);
    }
  }

  private Thread thread(Runnable r) {
    Thread t = new Thread(r, "nbsecrets-rewrap");
    t.setDaemon(true);
    return t;
  }
}
