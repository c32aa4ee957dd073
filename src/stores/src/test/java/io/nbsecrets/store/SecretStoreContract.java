package io.nbsecrets.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
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

  // --- whole-store scans and re-wraps (key rotation) -----------------------------------------

  /** Users whose order differs between UTF-16 and UTF-8, and that share prefixes. */
  private static final List<String> SCAN_USERS =
      List.of(
          "alice",
          "alice/x",
          "alice-x",
          "Bob",
          "system:serviceaccount:ns:sa",
          "\u00e9mile",
          "\uff21",
          "\uD83D\uDE00x");

  @Test
  void scanOfAnEmptyStoreIsEmpty() {
    assertThat(store.count()).isZero();
    assertThat(store.scan(null, 10)).isEmpty();
    assertThat(store.scanUserKeys(null, 10)).isEmpty();
  }

  @Test
  void scanVisitsEveryRecordOnceInUserThenNameOrder() {
    List<ScanCursor> expected = new ArrayList<>();
    for (String user : SCAN_USERS) {
      for (String name : List.of("b", "A", "a.b", "a_b", "z-9")) {
        store.put(user, name, "sealed-" + user + "-" + name, LIMIT);
        expected.add(new ScanCursor(user, name));
      }
    }
    expected.sort(ScanCursor.ORDER);
    assertThat(store.count()).isEqualTo(expected.size());

    List<ScannedSecret> seen = scanAll(store, 4);

    assertThat(seen).extracting(ScanCursor::after).containsExactlyElementsOf(expected);
    for (ScannedSecret r : seen) {
      assertThat(r.secret().sealed()).isEqualTo("sealed-" + r.user() + "-" + r.secret().name());
      assertThat(r.secret().version()).isEqualTo(1);
    }
  }

  @Test
  void scanPagesHoldAtMostTheLimit() {
    for (int i = 0; i < 25; i++) {
      store.put("user-" + (i % 3), "s" + i, "sealed-" + i, LIMIT);
    }
    ScanCursor cursor = null;
    int total = 0;
    for (List<ScannedSecret> page = store.scan(cursor, 10);
        !page.isEmpty();
        page = store.scan(cursor, 10)) {
      assertThat(page).hasSizeLessThanOrEqualTo(10);
      total += page.size();
      cursor = ScanCursor.after(page.get(page.size() - 1));
    }
    assertThat(total).isEqualTo(25);
  }

  @Test
  void scanResumesFromASavedCursorAndSeesRecordsThatLastedThroughChanges() {
    for (int i = 0; i < 20; i++) {
      store.put(i < 10 ? "anna" : "zoe", String.format("s%02d", i), "sealed-" + i, LIMIT);
    }
    List<ScannedSecret> first = store.scan(null, 5);
    ScanCursor saved = ScanCursor.after(first.get(first.size() - 1));
    assertThat(saved).isEqualTo(new ScanCursor("anna", "s04"));
    // Meanwhile: a record behind the cursor is deleted, one ahead is deleted, one is added ahead.
    store.delete("anna", "s01");
    store.delete("zoe", "s15");
    store.put("mia", "new", "sealed-new", LIMIT);

    List<ScannedSecret> rest = new ArrayList<>();
    for (List<ScannedSecret> page = store.scan(saved, 5);
        !page.isEmpty();
        page = store.scan(ScanCursor.after(page.get(page.size() - 1)), 5)) {
      rest.addAll(page);
    }

    Set<String> names = new HashSet<>();
    rest.forEach(r -> names.add(r.user() + "/" + r.secret().name()));
    assertThat(names).hasSize(rest.size()).doesNotContain("anna/s00", "anna/s04", "zoe/s15");
    for (int i = 5; i < 20; i++) {
      if (i != 15) {
        assertThat(names).contains((i < 10 ? "anna/" : "zoe/") + String.format("s%02d", i));
      }
    }
  }

  @Test
  void rewrapReplacesTheSealedValueAndKeepsVersionAndTimes() {
    store.put("alice", "token", "sealed-v1", LIMIT);
    store.put("alice", "token", "sealed-v2", LIMIT);
    StoredSecret before = store.get("alice", List.of("token")).get("token");

    assertThat(store.rewrap("alice", "token", "sealed-v2", "rewrapped-v2")).isTrue();

    StoredSecret after = store.get("alice", List.of("token")).get("token");
    assertThat(after.sealed()).isEqualTo("rewrapped-v2");
    assertThat(after.metadata()).isEqualTo(before.metadata());
    assertThat(store.list("alice")).containsExactly(before.metadata());
  }

  @Test
  void rewrapOfAReplacedOrMissingRecordWritesNothing() {
    store.put("alice", "token", "sealed-v1", LIMIT);
    store.put("alice", "token", "sealed-v2", LIMIT);

    assertThat(store.rewrap("alice", "token", "sealed-v1", "rewrapped-v1")).isFalse();
    assertThat(store.rewrap("alice", "absent", "sealed-v1", "rewrapped")).isFalse();
    assertThat(store.rewrap("bob", "token", "sealed-v2", "rewrapped")).isFalse();

    assertThat(store.get("alice", List.of("token")).get("token").sealed()).isEqualTo("sealed-v2");
    assertThat(store.list("alice")).extracting(SecretMetadata::name).containsExactly("token");
    assertThat(store.list("bob")).isEmpty();
  }

  @Test
  void aPutRacingARewrapIsNeverLost() {
    for (int round = 0; round < 10; round++) {
      String name = "race-" + round;
      store.put("alice", name, "old-" + round, LIMIT);
      String put = "put-" + round;
      String old = "old-" + round;
      String rewrapped = "rewrapped-" + round;
      runConcurrently(
          2,
          List.<Callable<Object>>of(
              () -> store.put("alice", name, put, LIMIT),
              () -> store.rewrap("alice", name, old, rewrapped)));
      StoredSecret after = store.get("alice", List.of(name)).get(name);
      assertThat(after.sealed()).as("round %d", round).isEqualTo(put);
      assertThat(after.version()).as("round %d", round).isEqualTo(2);
    }
  }

  @Test
  void scanUserKeysVisitsEveryUserKeyInOrder() {
    for (String user : SCAN_USERS) {
      store.putUserKeyIfAbsent(user, "wrapped-" + user);
    }
    List<String> expected = new ArrayList<>(SCAN_USERS);
    expected.sort(ScanCursor.UTF8_ORDER);

    List<WrappedUserKey> seen = new ArrayList<>();
    String after = null;
    for (List<WrappedUserKey> page = store.scanUserKeys(after, 3);
        !page.isEmpty();
        page = store.scanUserKeys(after, 3)) {
      assertThat(page).hasSizeLessThanOrEqualTo(3);
      seen.addAll(page);
      after = page.get(page.size() - 1).user();
    }

    assertThat(seen).extracting(WrappedUserKey::user).containsExactlyElementsOf(expected);
    seen.forEach(k -> assertThat(k.wrappedKey()).isEqualTo("wrapped-" + k.user()));
  }

  @Test
  void rewrapUserKeyIsACheckAndSet() {
    store.putUserKeyIfAbsent("alice", "wrapped-1");

    assertThat(store.rewrapUserKey("alice", "wrapped-0", "wrapped-2")).isFalse();
    assertThat(store.rewrapUserKey("bob", "wrapped-1", "wrapped-2")).isFalse();
    assertThat(store.getUserKey("alice")).contains("wrapped-1");
    assertThat(store.getUserKey("bob")).isEmpty();

    assertThat(store.rewrapUserKey("alice", "wrapped-1", "wrapped-2")).isTrue();
    assertThat(store.getUserKey("alice")).contains("wrapped-2");
    assertThat(store.putUserKeyIfAbsent("alice", "wrapped-3")).isEqualTo("wrapped-2");
  }

  /** All records, page by page. */
  protected static List<ScannedSecret> scanAll(SecretStore store, int pageSize) {
    List<ScannedSecret> all = new ArrayList<>();
    ScanCursor cursor = null;
    for (List<ScannedSecret> page = store.scan(cursor, pageSize);
        !page.isEmpty();
        page = store.scan(cursor, pageSize)) {
      all.addAll(page);
      cursor = ScanCursor.after(page.get(page.size() - 1));
    }
    return all;
  }

  // --- usage ------------------------------------------------------------------------------------

  private static final Instant T0 = Instant.parse("2026-12-01T10:00:00.123456Z");

  @Test
  void usageKeepsTheLatestTimeOfEachNameAndUsersApart() {
    assertThat(store.lastUsed("alice")).isEmpty();

    store.recordUse("alice", List.of("db-password", "api-token"), T0.plusSeconds(60));
    store.recordUse("alice", List.of("api-token"), T0.plusSeconds(120));
    store.recordUse("alice", List.of("db-password", "ssh"), T0); // an earlier time moves nothing
    store.recordUse("bob", List.of("db-password"), T0.plusSeconds(600));

    assertThat(store.lastUsed("alice"))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "db-password", T0.plusSeconds(60),
                "api-token", T0.plusSeconds(120),
                "ssh", T0));
    assertThat(store.lastUsed("bob"))
        .containsExactlyEntriesOf(Map.of("db-password", T0.plusSeconds(600)));
    assertThat(store.lastUsed("alic")).isEmpty();
    // Usage is not a record: it neither creates secrets nor counts against the limit.
    assertThat(store.list("alice")).isEmpty();
  }

  @Test
  void concurrentUsageOfOneUserLosesNoName() throws Exception {
    int writers = 6;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int id = w;
        done.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < 3; i++) {
                    store.recordUse("alice", List.of("s" + id + "-" + i), T0.plusSeconds(id));
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(50, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(store.lastUsed("alice"))
        .hasSize(writers * 3)
        .containsEntry("s5-2", T0.plusSeconds(5));
  }

  @Test
  void usageKeepsTheMostRecentlyUsedNamesUpToTheCap() {
    List<String> many =
        IntStream.range(0, SecretStore.MAX_USAGE_ENTRIES).mapToObj(i -> "n" + i).toList();
    store.recordUse("alice", many.subList(1, many.size()), T0);
    store.recordUse("alice", List.of("n0"), T0.minusSeconds(1));
    store.recordUse("alice", List.of("newest"), T0.plusSeconds(1));

    Map<String, Instant> used = store.lastUsed("alice");
    assertThat(used).hasSize(SecretStore.MAX_USAGE_ENTRIES);
    assertThat(used).containsEntry("newest", T0.plusSeconds(1)).containsEntry("n999", T0);
    assertThat(used).doesNotContainKey("n0");
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
              s -> s.putUserKeyIfAbsent("alice", "wrapped-secret-key"),
              s -> s.count(),
              s -> s.scan(null, 10),
              s -> s.rewrap("alice", "a", "sealed-secret-value", "sealed-secret-value"),
              s -> s.scanUserKeys(null, 10),
              s -> s.rewrapUserKey("alice", "wrapped-secret-key", "wrapped-secret-key"),
              s -> s.recordUse("alice", List.of("a"), T0),
              s -> s.lastUsed("alice"));
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
