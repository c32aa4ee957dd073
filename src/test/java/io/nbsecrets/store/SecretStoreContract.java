package io.nbsecrets.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The behaviour every {@link SecretStore} backend must show. A backend's test extends this class
 * and supplies a fresh, empty store per test ({@link #newStore()}) and one whose backend does not
 * answer ({@link #unreachableStore()}). Keep the whole suite to a few seconds per backend.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class SecretStoreContract {

  /** The sealed size of a 128 KiB value: the largest record a store must hold. */
  protected static final int MAX_SEALED_CHARS = 240_000;

  protected static final int LIMIT = 1000;

  protected SecretStore store;

  /** A new store with no records and no user keys (it may share a backend with other tests). */
  protected abstract SecretStore newStore();

  /** A store whose backend does not answer (quickly): every call must fail as unavailable. */
  protected abstract SecretStore unreachableStore();

  @BeforeEach
  void openStore() {
    store = newStore();
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  // --- create, replace, delete ------------------------------------------------------------------

  @Test
  void createGivesVersionOne() {
    PutResult result = store.put("alice", "db-password", "sealed-1", LIMIT);

    assertThat(result.created()).isTrue();
    assertThat(result.metadata().name()).isEqualTo("db-password");
    assertThat(result.metadata().version()).isEqualTo(1);
    assertThat(result.metadata().updatedAt()).isEqualTo(result.metadata().createdAt());

    StoredSecret stored = store.get("alice", List.of("db-password")).get("db-password");
    assertThat(stored.sealed()).isEqualTo("sealed-1");
    assertThat(stored.metadata()).isEqualTo(result.metadata());
  }

  @Test
  void replaceIncrementsVersionAndKeepsCreatedAt() {
    PutResult first = store.put("alice", "token", "v1", LIMIT);
    PutResult second = store.put("alice", "token", "v2", LIMIT);

    assertThat(second.created()).isFalse();
    assertThat(second.metadata().version()).isEqualTo(2);
    assertThat(second.metadata().createdAt()).isEqualTo(first.metadata().createdAt());
    assertThat(second.metadata().updatedAt()).isAfterOrEqualTo(first.metadata().updatedAt());

    StoredSecret stored = store.get("alice", List.of("token")).get("token");
    assertThat(stored.sealed()).isEqualTo("v2");
    assertThat(stored.metadata()).isEqualTo(second.metadata());
    assertThat(store.list("alice")).containsExactly(second.metadata());
  }

  @Test
  void deleteReportsWhetherThereWasARecord() {
    store.put("alice", "token", "v1", LIMIT);
    store.put("alice", "token", "v2", LIMIT);

    assertThat(store.delete("alice", "token")).isTrue();
    assertThat(store.delete("alice", "token")).isFalse();
    assertThat(store.get("alice", List.of("token"))).isEmpty();
    assertThat(store.list("alice")).isEmpty();
    assertThat(store.getAll("alice")).isEmpty();

    PutResult again = store.put("alice", "token", "v3", LIMIT);
    assertThat(again.created()).isTrue();
    assertThat(again.metadata().version()).isEqualTo(1);
  }

  @Test
  void deleteOfSomethingNeverStoredIsFalse() {
    assertThat(store.delete("nobody", "nothing")).isFalse();
  }

  // --- reads ------------------------------------------------------------------------------------

  @Test
  void listGivesMetadataSortedByName() {
    Map<String, SecretMetadata> written = new HashMap<>();
    for (String name : List.of("zeta", "Alpha", "alpha", "beta_2", "beta-1", "1st", "m.n")) {
      written.put(name, store.put("alice", name, "sealed-of-" + name, LIMIT).metadata());
    }

    List<SecretMetadata> listed = store.list("alice");

    List<String> sorted = written.keySet().stream().sorted().toList();
    assertThat(listed).extracting(SecretMetadata::name).containsExactlyElementsOf(sorted);
    assertThat(listed).containsExactlyElementsOf(sorted.stream().map(written::get).toList());
    assertThat(listed.toString()).doesNotContain("sealed-of-");

    List<StoredSecret> all = store.getAll("alice");
    assertThat(all).extracting(StoredSecret::name).containsExactlyElementsOf(sorted);
    assertThat(all).allSatisfy(s -> assertThat(s.sealed()).isEqualTo("sealed-of-" + s.name()));
    assertThat(all.toString()).doesNotContain("sealed-of-");
  }

  @Test
  void getManyReturnsOnlyExistingNames() {
    store.put("alice", "a", "sa", LIMIT);
    store.put("alice", "b", "sb", LIMIT);
    store.put("alice", "c", "sc", LIMIT);

    Map<String, StoredSecret> got =
        store.get("alice", List.of("c", "missing", "a", "also-missing"));

    assertThat(got).containsOnlyKeys("c", "a");
    assertThat(got.get("a").sealed()).isEqualTo("sa");
    assertThat(got.get("c").sealed()).isEqualTo("sc");
    assertThat(got.get("c").name()).isEqualTo("c");
  }

  @Test
  void missingNamesAndUnknownUsersGiveEmptyResults() {
    assertThat(store.get("alice", List.of("nope"))).isEmpty();
    assertThat(store.get("alice", List.of())).isEmpty();
    assertThat(store.list("alice")).isEmpty();
    assertThat(store.getAll("alice")).isEmpty();
    assertThat(store.getUserKey("alice")).isEmpty();
  }

  // --- isolation --------------------------------------------------------------------------------

  @Test
  void usersSeeOnlyTheirOwnRecords() {
    List<String> users =
        List.of("alice", "Alice", "ALICE", "al/ice", "al:ice", "alice@example.org", "bob");
    for (String user : users) {
      store.put(user, "shared-name", "sealed-for-" + user, LIMIT);
      store.put(user, "own-" + user.length(), "own-of-" + user, LIMIT);
    }

    for (String user : users) {
      assertThat(store.get(user, List.of("shared-name")).get("shared-name").sealed())
          .isEqualTo("sealed-for-" + user);
      assertThat(store.list(user))
          .extracting(SecretMetadata::name)
          .containsExactlyInAnyOrder("shared-name", "own-" + user.length());
      assertThat(store.getAll(user))
          .extracting(StoredSecret::sealed)
          .containsExactlyInAnyOrder("sealed-for-" + user, "own-of-" + user);
    }

    assertThat(store.delete("Alice", "shared-name")).isTrue();
    assertThat(store.get("alice", List.of("shared-name"))).containsOnlyKeys("shared-name");
    assertThat(store.get("ALICE", List.of("shared-name"))).containsOnlyKeys("shared-name");
    assertThat(store.get("Alice", List.of("shared-name"))).isEmpty();
  }

  @Test
  void userAndNameBoundariesAreNotAmbiguous() {
    // (user "a:b", name "c") and (user "a", name "b:c") must not be one record, nor
    // (user "ab", name "c") and (user "a", name "bc").
    store.put("a:b", "c", "one", LIMIT);
    store.put("a", "b:c", "two", LIMIT);
    store.put("ab", "c", "three", LIMIT);
    store.put("a", "bc", "four", LIMIT);

    assertThat(store.get("a:b", List.of("c")).get("c").sealed()).isEqualTo("one");
    assertThat(store.get("a", List.of("b:c")).get("b:c").sealed()).isEqualTo("two");
    assertThat(store.get("ab", List.of("c")).get("c").sealed()).isEqualTo("three");
    assertThat(store.get("a", List.of("bc")).get("bc").sealed()).isEqualTo("four");
    assertThat(store.list("a")).extracting(SecretMetadata::name).containsExactly("b:c", "bc");
  }

  // --- sizes and contents -----------------------------------------------------------------------

  /**
   * Creates run 8 at a time with {@code maxSecrets = Integer.MAX_VALUE} (no limit to count against:
   * a backend that counts with a LIST would otherwise make this test quadratic); the limit of 1,000
   * is then checked once, with 1,000 records present.
   */
  @Test
  void aThousandRecordsForOneUser() {
    int count = LIMIT;
    String user = "many@example.org";
    runConcurrently(
        8,
        IntStream.range(0, count)
            .<Callable<Void>>mapToObj(
                i ->
                    () -> {
                      store.put(user, name(i), "sealed-" + i, Integer.MAX_VALUE);
                      return null;
                    })
            .toList());

    List<String> expected = IntStream.range(0, count).mapToObj(this::name).sorted().toList();
    assertThat(store.list(user)).extracting(SecretMetadata::name).isEqualTo(expected);
    List<StoredSecret> all = store.getAll(user);
    assertThat(all).extracting(StoredSecret::name).isEqualTo(expected);
    assertThat(all)
        .allSatisfy(
            s ->
                assertThat(s.sealed()).isEqualTo("sealed-" + Integer.parseInt(s.name(), 4, 8, 10)));
    List<String> some = List.of(name(0), name(499), name(999), "key-1000");
    assertThat(store.get(user, some)).containsOnlyKeys(name(0), name(499), name(999));
    assertThatThrownBy(() -> store.put(user, "one-too-many", "x", LIMIT))
        .isInstanceOf(TooManySecretsException.class);
    assertThat(store.put(user, name(0), "replaced", LIMIT).metadata().version()).isEqualTo(2);
  }

  private String name(int i) {
    return String.format("key-%04d", i);
  }

  @Test
  void aSealedValueAtTheSizeLimitRoundTrips() {
    String big = randomBase64Url(MAX_SEALED_CHARS, 1);
    store.put("alice", "big", big, LIMIT);

    assertThat(store.get("alice", List.of("big")).get("big").sealed()).isEqualTo(big);
    assertThat(store.getAll("alice"))
        .singleElement()
        .satisfies(s -> assertThat(s.sealed()).isEqualTo(big));

    String bigger = randomBase64Url(MAX_SEALED_CHARS, 2);
    assertThat(bigger).isNotEqualTo(big);
    assertThat(store.put("alice", "big", bigger, LIMIT).metadata().version()).isEqualTo(2);
    assertThat(store.get("alice", List.of("big")).get("big").sealed()).isEqualTo(bigger);
  }

  @Test
  void anyCharactersInTheSealedValueRoundTripExactly() {
    String odd =
        "\u0000\u0001\t\n\r \"'\\/<>&%+=?#{}[]$`~"
            + "\u00e9\u00df\u20ac\u4e2d\u6587\u0627\u0644\u0639\u0631\u0628\u064a\u0629"
            + "e\u0301\u200b\u200d\ufeff\ufffd\uffff"
            + "\uD83D\uDD11\uD83D\uDC4D\uD83C\uDFFD" // non-BMP: surrogate pairs
            + "  trailing spaces  ";
    Map<String, String> values =
        Map.of("odd", odd, "empty", "", "spaces", "   ", "json", "{\"sealed\":\"x\"}");
    values.forEach((name, value) -> store.put("alice", name, value, LIMIT));

    Map<String, StoredSecret> got = store.get("alice", values.keySet());
    values.forEach((name, value) -> assertThat(got.get(name).sealed()).isEqualTo(value));
    assertThat(store.getAll("alice"))
        .allSatisfy(s -> assertThat(s.sealed()).isEqualTo(values.get(s.name())));
  }

  // --- the per-user limit -----------------------------------------------------------------------

  @Test
  void creatingBeyondTheLimitIsRefusedButReplacingIsAllowed() {
    store.put("alice", "a", "1", 3);
    store.put("alice", "b", "1", 3);
    store.put("alice", "c", "1", 3);

    assertThatThrownBy(() -> store.put("alice", "d", "1", 3))
        .isInstanceOf(TooManySecretsException.class)
        .hasMessageContaining("alice")
        .hasMessageNotContaining("\"1\"");
    assertThat(store.list("alice")).hasSize(3);

    PutResult replaced = store.put("alice", "c", "2", 3);
    assertThat(replaced.created()).isFalse();
    assertThat(replaced.metadata().version()).isEqualTo(2);

    // Another user's count is their own.
    assertThat(store.put("bob", "d", "1", 3).created()).isTrue();

    // Deleting frees a place.
    assertThat(store.delete("alice", "a")).isTrue();
    assertThat(store.put("alice", "d", "1", 3).created()).isTrue();

    assertThatThrownBy(() -> store.put("carol", "x", "1", 0))
        .isInstanceOf(TooManySecretsException.class);
  }

  // --- concurrency ------------------------------------------------------------------------------

  @Test
  void concurrentReplacesOfOneNameLoseNothingAndTearNothing() {
    int threads = 8;
    int putsPerThread = 25;
    store.put("alice", "hot", "initial", LIMIT);
    Set<String> written = ConcurrentHashMap.newKeySet();
    List<Callable<Long>> tasks = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      tasks.add(
          () -> {
            long lastVersion = 0;
            for (int i = 0; i < putsPerThread; i++) {
              String value = "thread-" + thread + "-put-" + i + "-" + "x".repeat(200 + thread);
              written.add(value);
              PutResult r = store.put("alice", "hot", value, LIMIT);
              assertThat(r.created()).isFalse();
              assertThat(r.metadata().version()).isGreaterThan(lastVersion);
              lastVersion = r.metadata().version();
            }
            return lastVersion;
          });
    }

    runConcurrently(threads, tasks);

    StoredSecret last = store.get("alice", List.of("hot")).get("hot");
    assertThat(last.version()).isEqualTo(1 + threads * putsPerThread);
    assertThat(written).contains(last.sealed());
    assertThat(store.list("alice"))
        .singleElement()
        .satisfies(m -> assertThat(m.version()).isEqualTo(last.version()));
  }

  @Test
  void concurrentCreatesOfOneNameCreateOnce() {
    int threads = 8;
    List<Callable<PutResult>> tasks = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      String value = "racer-" + t;
      tasks.add(() -> store.put("alice", "fresh", value, LIMIT));
    }

    List<PutResult> results = runConcurrently(threads, tasks);

    assertThat(results).filteredOn(PutResult::created).hasSize(1);
    assertThat(results)
        .extracting(r -> r.metadata().version())
        .containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, threads).boxed().toList());
    assertThat(store.get("alice", List.of("fresh")).get("fresh").version()).isEqualTo(threads);
  }

  // --- user keys --------------------------------------------------------------------------------

  @Test
  void userKeyIsStoredOnceAndKept() {
    assertThat(store.getUserKey("alice")).isEmpty();
    assertThat(store.putUserKeyIfAbsent("alice", "wrapped-1")).isEqualTo("wrapped-1");
    assertThat(store.putUserKeyIfAbsent("alice", "wrapped-2")).isEqualTo("wrapped-1");
    assertThat(store.getUserKey("alice")).contains("wrapped-1");

    assertThat(store.getUserKey("Alice")).isEmpty();
    assertThat(store.putUserKeyIfAbsent("Alice", "wrapped-3")).isEqualTo("wrapped-3");
    assertThat(store.getUserKey("alice")).contains("wrapped-1");

    // Keys are not records.
    assertThat(store.list("alice")).isEmpty();
    assertThat(store.getAll("alice")).isEmpty();
  }

  @Test
  void racingPutUserKeyIfAbsentAgreeOnTheFirstKey() {
    int threads = 8;
    List<Callable<String>> tasks = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      String key = "wrapped-key-" + t;
      tasks.add(() -> store.putUserKeyIfAbsent("racer", key));
    }

    List<String> returned = runConcurrently(threads, tasks);

    assertThat(new HashSet<>(returned)).hasSize(1);
    assertThat(store.getUserKey("racer")).contains(returned.get(0));
  }

  // --- outage -----------------------------------------------------------------------------------

  @Test
  void everyCallToAnUnreachableStoreFailsAsUnavailable() {
    try (SecretStore down = unreachableStore()) {
      List<Consumer<SecretStore>> calls =
          List.of(
              s -> s.list("alice"),
              s -> s.get("alice", List.of("a")),
              s -> s.get("alice", List.of("a", "b")),
              s -> s.getAll("alice"),
              s -> s.put("alice", "a", "sealed-secret-value", LIMIT),
              s -> s.delete("alice", "a"),
              s -> s.getUserKey("alice"),
              s -> s.putUserKeyIfAbsent("alice", "wrapped-secret-key"));
      for (int i = 0; i < calls.size(); i++) {
        Consumer<SecretStore> call = calls.get(i);
        assertThatThrownBy(() -> call.accept(down))
            .as("call #%d", i)
            .isInstanceOf(StoreUnavailableException.class)
            .satisfies(
                e ->
                    assertThat(messagesOf(e))
                        .doesNotContain("sealed-secret-value")
                        .doesNotContain("wrapped-secret-key"));
      }
    }
  }

  // --- helpers ----------------------------------------------------------------------------------

  /** Every message in the cause chain, joined. */
  protected static String messagesOf(Throwable e) {
    StringBuilder all = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      all.append(t).append('\n');
      if (t.getCause() == t) {
        break;
      }
    }
    return all.toString();
  }

  /** A reproducible string of {@code length} base64url characters, like a Fernet token. */
  protected static String randomBase64Url(int length, long seed) {
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    Random random = new Random(seed);
    char[] chars = new char[length];
    for (int i = 0; i < length; i++) {
      chars[i] = alphabet.charAt(random.nextInt(alphabet.length()));
    }
    return new String(chars);
  }

  /** Runs the tasks on {@code threads} threads, released together; fails on any failure. */
  protected static <T> List<T> runConcurrently(int threads, List<? extends Callable<T>> tasks) {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (Callable<T> task : tasks) {
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  return task.call();
                }));
      }
      start.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> f : futures) {
        try {
          results.add(f.get(30, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
          throw new AssertionError("a concurrent task failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException | TimeoutException e) {
          throw new AssertionError("a concurrent task did not finish", e);
        }
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }
}
