package io.nbsecrets.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.nbsecrets.store.DatabaseSecretStore.DatabaseConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The contract on a real PostgreSQL (embedded, one server for the class), plus what is particular
 * to the database: migrations, where values are kept, and surviving a database restart. Contract
 * tests share one database whose tables are emptied before each test; the database-specific tests
 * make their own databases (or, for the restart, their own server).
 */
class DatabaseSecretStoreContractTest extends SecretStoreContract {

  private static final String CONTRACT_DB = "contract";
  private static final AtomicInteger DATABASES = new AtomicInteger();
  private static final Duration SECOND = Duration.ofSeconds(1);

  private static EmbeddedPostgres postgres;

  @BeforeAll
  static void startPostgres() throws IOException, SQLException {
    postgres = EmbeddedPostgres.builder().start();
    createDatabase(CONTRACT_DB);
    DatabaseSecretStore.open(config(CONTRACT_DB)).close();
  }

  @AfterAll
  static void stopPostgres() throws IOException {
    if (postgres != null) {
      postgres.close();
    }
  }

  @Override
  protected SecretStore newStore() {
    try (Connection c = connect(CONTRACT_DB);
        Statement s = c.createStatement()) {
      s.execute("TRUNCATE nbsecrets_secrets, nbsecrets_user_keys, nbsecrets_usage");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return DatabaseSecretStore.open(config(CONTRACT_DB));
  }

  @Override
  protected SecretStore unreachableStore() {
    return DatabaseSecretStore.connect(
        new DatabaseConfig("jdbc:postgresql://127.0.0.1:1/x", "nobody", null, 2, SECOND));
  }

  private static DatabaseConfig config(String database) {
    return config(postgres, database, DatabaseSecretStore.DEFAULT_CONNECTION_TIMEOUT);
  }

  private static DatabaseConfig config(EmbeddedPostgres pg, String database, Duration timeout) {
    return new DatabaseConfig(
        "jdbc:postgresql://localhost:" + pg.getPort() + "/" + database,
        "postgres",
        null,
        DatabaseSecretStore.DEFAULT_MAX_POOL_SIZE,
        timeout);
  }

  private static Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:postgresql://localhost:" + postgres.getPort() + "/" + database, "postgres", "");
  }

  private static void createDatabase(String name) throws SQLException {
    try (Connection c = connect("postgres");
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
  }

  private static String freshDatabase() throws SQLException {
    String name = "db_" + DATABASES.incrementAndGet();
    createDatabase(name);
    return name;
  }

  private static List<List<String>> query(String database, String sql) throws SQLException {
    try (Connection c = connect(database);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      List<List<String>> rows = new ArrayList<>();
      int columns = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> row = new ArrayList<>();
        for (int i = 1; i <= columns; i++) {
          row.add(rs.getString(i));
        }
        rows.add(row);
      }
      return rows;
    }
  }

  // --- configuration ----------------------------------------------------------------------------

  @Test
  void configurationIsValidatedAndNeverShowsThePassword() {
    assertThatThrownBy(() -> DatabaseConfig.of("jdbc:mysql://db/x", "u", "p"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("store.database.url")
        .hasMessageContaining("jdbc:postgresql:");
    assertThatThrownBy(() -> DatabaseConfig.of(null, "u", "p"))
        .hasMessageContaining("store.database.url");
    assertThatThrownBy(() -> DatabaseConfig.of("jdbc:postgresql://db/x", " ", "p"))
        .hasMessageContaining("store.database.username");
    assertThatThrownBy(
            () -> new DatabaseConfig("jdbc:postgresql://db/x", "u", "p", 0, Duration.ofSeconds(5)))
        .hasMessageContaining("store.database.maxPoolSize");
    assertThatThrownBy(
            () -> new DatabaseConfig("jdbc:postgresql://db/x", "u", "p", 1, Duration.ofMillis(10)))
        .hasMessageContaining("store.database.connectionTimeout");

    DatabaseConfig config =
        DatabaseConfig.of("jdbc:postgresql://db/x?password=in-url-secret", "u", "pw-secret");
    assertThat(config.connectionTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.toString()).doesNotContain("pw-secret").doesNotContain("in-url-secret");
  }

  // --- schema -----------------------------------------------------------------------------------

  @Test
  void migrationsRunOnceAndReopeningChangesNothing() throws SQLException {
    String db = freshDatabase();
    String history = "SELECT version, success, installed_on FROM nbsecrets_schema_history";
    try (DatabaseSecretStore first = DatabaseSecretStore.open(config(db))) {
      List<List<String>> applied = query(db, history);
      assertThat(applied).hasSize(2);
      assertThat(applied.get(0).subList(0, 2)).containsExactly("1", "t");
      assertThat(applied.get(1).subList(0, 2)).containsExactly("2", "t");
      first.put("alice", "kept", "sealed-kept", LIMIT);

      assertThat(first.migrate()).isZero();
      try (DatabaseSecretStore second = DatabaseSecretStore.open(config(db))) {
        assertThat(query(db, history)).isEqualTo(applied);
        assertThat(second.get("alice", List.of("kept")).get("kept").sealed())
            .isEqualTo("sealed-kept");
      }
    }
    assertThat(query(db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        .extracting(row -> row.get(0))
        .containsExactlyInAnyOrder(
            "nbsecrets_secrets",
            "nbsecrets_user_keys",
            "nbsecrets_usage",
            "nbsecrets_schema_history");
  }

  @Test
  void aDatabaseOfTheFirstReleaseIsMigratedKeepingItsRecords() throws SQLException {
    String db = freshDatabase();
    Flyway.configure()
        .dataSource("jdbc:postgresql://localhost:" + postgres.getPort() + "/" + db, "postgres", "")
        .table("nbsecrets_schema_history")
        .locations("classpath:db/migration")
        .target("1")
        .load()
        .migrate();
    try (Connection c = connect(db);
        Statement s = c.createStatement()) {
      s.execute(
          "INSERT INTO nbsecrets_secrets VALUES ('alice', 'old', 1, now(), now(), 'sealed'::bytea)");
    }
    try (DatabaseSecretStore store = DatabaseSecretStore.open(config(db))) {
      assertThat(store.list("alice")).extracting(SecretMetadata::name).containsExactly("old");
      store.recordUse("alice", List.of("old"), Instant.parse("2026-12-01T10:00:00Z"));
      assertThat(store.lastUsed("alice")).containsOnlyKeys("old");
    }
    assertThat(query(db, "SELECT version FROM nbsecrets_schema_history ORDER BY installed_rank"))
        .extracting(row -> row.get(0))
        .containsExactly("1", "2");
  }

  @Test
  void aDatabaseWithOtherTablesIsBaselinedThenMigrated() throws SQLException {
    String db = freshDatabase();
    try (Connection c = connect(db);
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE someone_elses (x int)");
    }
    try (DatabaseSecretStore store = DatabaseSecretStore.open(config(db))) {
      assertThat(store.put("alice", "a", "s", LIMIT).created()).isTrue();
    }
    assertThat(query(db, "SELECT version FROM nbsecrets_schema_history ORDER BY installed_rank"))
        .extracting(row -> row.get(0))
        .containsExactly("0", "1", "2");
  }

  @Test
  void openingAnUnreachableDatabaseFailsAsUnavailable() {
    assertThatThrownBy(
            () ->
                DatabaseSecretStore.open(
                    new DatabaseConfig(
                        "jdbc:postgresql://127.0.0.1:1/x", "nobody", "pw-secret", 2, SECOND)))
        .isInstanceOf(StoreUnavailableException.class)
        .satisfies(e -> assertThat(messagesOf(e)).doesNotContain("pw-secret"));
  }

  // --- the limit is exact ----------------------------------------------------------------------

  @Test
  void racingCreatesNeverOvershootTheLimit() {
    int limit = 5;
    store.put("alice", "existing", "s", limit);
    List<Callable<Boolean>> tasks = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      String name = "racer-" + i;
      tasks.add(
          () -> {
            try {
              return store.put("alice", name, "s", limit).created();
            } catch (TooManySecretsException e) {
              return false;
            }
          });
    }
    // Unlimited creates of another user's secrets run alongside, unaffected.
    for (int i = 0; i < 8; i++) {
      String name = "free-" + i;
      tasks.add(() -> store.put("bob", name, "s", Integer.MAX_VALUE).created());
    }

    List<Boolean> created = runConcurrently(8, tasks);

    assertThat(created.subList(0, 16)).filteredOn(c -> c).hasSize(limit - 1);
    assertThat(created.subList(16, 24)).containsOnly(true);
    assertThat(store.list("alice")).hasSize(limit);
    assertThat(store.list("bob")).hasSize(8);
  }

  // --- where values are kept --------------------------------------------------------------------

  @Test
  void theSealedValueIsKeptOnlyInTheSealedColumn() throws SQLException {
    String sealed = "sealed-\u0000-marker-\u00e9-" + randomBase64Url(64, 7);
    String key = "wrapped-marker-" + randomBase64Url(64, 8);
    store.put("alice", "where", sealed, LIMIT);
    store.putUserKeyIfAbsent("alice", key);

    assertColumns("nbsecrets_secrets", "sealed", sealed);
    assertColumns("nbsecrets_user_keys", "wrapped", key);
  }

  private static void assertColumns(String table, String valueColumn, String value)
      throws SQLException {
    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
    String hex = HexFormat.of().formatHex(utf8);
    String marker = value.substring(value.length() - 32);
    try (Connection c = connect(CONTRACT_DB);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT * FROM " + table)) {
      ResultSetMetaData meta = rs.getMetaData();
      assertThat(rs.next()).isTrue();
      int found = 0;
      for (int i = 1; i <= meta.getColumnCount(); i++) {
        if (meta.getColumnName(i).equals(valueColumn)) {
          assertThat(rs.getBytes(i)).isEqualTo(utf8);
          found++;
        } else {
          assertThat(String.valueOf(rs.getString(i)))
              .as("column %s", meta.getColumnName(i))
              .doesNotContain(marker)
              .doesNotContainIgnoringCase(hex.substring(hex.length() - 64));
        }
      }
      assertThat(found).isEqualTo(1);
      assertThat(rs.next()).isFalse();
    }
  }

  @Test
  void aFailingWriteNamesTheRecordButNotTheRowTheServerReports() throws SQLException {
    String db = freshDatabase();
    try (DatabaseSecretStore own = DatabaseSecretStore.open(config(db))) {
      try (Connection c = connect(db);
          Statement s = c.createStatement()) {
        // A constraint violation: the server's detail then holds the whole failing row.
        s.execute("ALTER TABLE nbsecrets_secrets ADD CHECK (length(sealed) < 8)");
      }
      String sealed = "sealed-too-long-" + randomBase64Url(32, 9);
      String hex = HexFormat.of().formatHex(sealed.getBytes(StandardCharsets.UTF_8));

      assertThatThrownBy(() -> own.put("alice", "checked", sealed, LIMIT))
          .isInstanceOf(StoreException.class)
          .isNotInstanceOf(StoreUnavailableException.class)
          .hasMessageContaining("secret checked of user alice")
          .hasMessageContaining("23514")
          .satisfies(
              e ->
                  assertThat(messagesOf(e))
                      .doesNotContain("Failing row")
                      .doesNotContain(sealed.substring(16))
                      .doesNotContainIgnoringCase(hex.substring(32, 56)));
      assertThat(own.list("alice")).isEmpty();
    }
  }

  @Test
  void textThatIsNotUnicodeIsRefused() {
    assertThatThrownBy(() -> store.put("alice", "bad", "half-\uD800-pair", LIMIT))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("alice")
        .hasMessageNotContaining("half-");
    assertThatThrownBy(() -> store.putUserKeyIfAbsent("alice", "\uDC00"))
        .isInstanceOf(StoreException.class);
    assertThat(store.list("alice")).isEmpty();
    assertThat(store.getUserKey("alice")).isEmpty();
  }

  @Test
  void aClosedStoreRefusesCalls() {
    SecretStore closed = newStore();
    closed.close();
    assertThatThrownBy(() -> closed.list("alice"))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("closed");
  }

  // --- outage and recovery ----------------------------------------------------------------------

  @Test
  void theSameStoreWorksAgainAfterTheDatabaseRestarts() throws Exception {
    Path dir = Files.createTempDirectory("nbsecrets-pg-");
    EmbeddedPostgres first =
        EmbeddedPostgres.builder().setDataDirectory(dir).setCleanDataDirectory(false).start();
    int port = first.getPort();
    try (DatabaseSecretStore restarted =
        DatabaseSecretStore.open(config(first, "postgres", SECOND))) {
      restarted.put("alice", "survivor", "sealed-survivor", LIMIT);
      restarted.putUserKeyIfAbsent("alice", "wrapped-survivor");

      first.close();
      assertThatThrownBy(() -> restarted.list("alice"))
          .isInstanceOf(StoreUnavailableException.class)
          .hasMessageStartingWith("database store unavailable: ");
      assertThatThrownBy(() -> restarted.put("alice", "survivor", "sealed-during-outage", LIMIT))
          .isInstanceOf(StoreUnavailableException.class)
          .satisfies(e -> assertThat(messagesOf(e)).doesNotContain("sealed-during-outage"));
      assertThatThrownBy(() -> restarted.getUserKey("alice"))
          .isInstanceOf(StoreUnavailableException.class);

      EmbeddedPostgres second =
          EmbeddedPostgres.builder()
              .setDataDirectory(dir)
              .setCleanDataDirectory(false)
              .setPort(port)
              .start();
      try {
        // The pool retries connecting with a backoff that grew during the outage (up to seconds).
        await()
            .atMost(Duration.ofSeconds(20))
            .pollInterval(Duration.ofMillis(100))
            .ignoreExceptionsInstanceOf(StoreUnavailableException.class)
            .until(() -> restarted.list("alice").size() == 1);
        StoredSecret survivor = restarted.get("alice", List.of("survivor")).get("survivor");
        assertThat(survivor.sealed()).isEqualTo("sealed-survivor");
        assertThat(survivor.version()).isEqualTo(1);
        assertThat(restarted.getUserKey("alice")).contains("wrapped-survivor");
        assertThat(restarted.put("alice", "survivor", "sealed-after", LIMIT).metadata().version())
            .isEqualTo(2);
      } finally {
        second.close();
      }
    } finally {
      deleteRecursively(dir);
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    }
  }
}
