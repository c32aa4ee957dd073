package io.nbsecrets.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.nbsecrets.util.Bytes;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SecretStore} in PostgreSQL, through a HikariCP pool.
 *
 * <h2>Schema</h2>
 *
 * <p>Created and migrated by this program with Flyway at {@link #open} (scripts in {@code
 * db/migration}, history in {@code nbsecrets_schema_history}); all tables are prefixed {@code
 * nbsecrets_}, so the store may share a database (a schema that already holds other tables is
 * baselined at version 0, then migrated). Opening an up-to-date database changes nothing; Flyway
 * holds a database lock while it migrates, so replicas starting together migrate once. Records are
 * rows of {@code nbsecrets_secrets}, keyed by (user_id, name); user keys are rows of {@code
 * nbsecrets_user_keys}. Identifiers are {@code text COLLATE "C"}, so {@code ORDER BY name} is byte
 * order of UTF-8, i.e. code-point order, whatever the database's locale (the same as Java's order
 * for the ASCII names callers allow).
 *
 * <p><b>Sealed values and wrapped keys are {@code bytea}</b> holding the UTF-8 of the text, not
 * {@code text}: the contract includes U+0000, which a PostgreSQL text value cannot hold. A string
 * with an unpaired surrogate (not encodable as UTF-8) is refused with a {@link StoreException}
 * rather than silently altered.
 *
 * <h2>Writes</h2>
 *
 * <p>{@link #put} is one transaction. It first takes {@code
 * pg_advisory_xact_lock(hashtextextended(user_id, 0))}, so a user's puts run one at a time (across
 * all replicas: the lock lives in the database) and the count taken next is still true when the
 * insert runs: <b>the per-user limit is exact</b>, unlike the Kubernetes store's. (A hash collision
 * between two users only makes them take turns.) Then, when the name is new, it counts the user's
 * records and refuses with {@link TooManySecretsException} at the limit. (With {@code maxSecrets =
 * Integer.MAX_VALUE}, which no count can reach, it takes the lock shared and does not count:
 * unlimited puts run side by side, yet still wait for, and are waited for by, limited ones.) Then
 * one {@code INSERT ... ON CONFLICT (user_id, name) DO UPDATE SET version =
 * nbsecrets_secrets.version + 1, ...}: the version is incremented by the database on the row it
 * locks, not read and written back by the program, so <b>no update is lost</b> and no record is
 * torn, without retries. {@code created} is whether the row was inserted ({@code xmax = 0}). {@code
 * updated_at} never goes back (the greater of the stored and the new time, in case replicas' clocks
 * differ). Times are truncated to microseconds (PostgreSQL's precision) before they are written, so
 * what {@code put} returns equals what reads return. {@link #putUserKeyIfAbsent} is {@code INSERT
 * ... ON CONFLICT DO NOTHING}, then a read of the key that won.
 *
 * <h2>Reads</h2>
 *
 * <p>{@link #get} is one query ({@code name = ANY(?)}); {@link #getAll} and {@link #list} are one
 * query each, ordered by name; {@link #list} does not select the sealed column.
 *
 * <h2>Errors and secrecy</h2>
 *
 * <p>Connection failures (SQLState class 08), server shutdown or restart (57P01, 57P02, 57P03), too
 * many connections (53300) and the pool's timeout ({@link SQLTransientConnectionException}, after
 * {@link DatabaseConfig#connectionTimeout()}, 5 s by default) become {@link
 * StoreUnavailableException}; anything else a {@link StoreException}. Messages name the operation,
 * user, secret name and SQLState, never values; the driver's exception is kept as the cause. The
 * driver is configured with {@code logServerErrorDetail=false}, so the server's error detail (which
 * for a constraint violation is the whole failing row, sealed value included) never reaches an
 * exception message. The pool reconnects by itself: after an outage the same store works again. The
 * first connection found broken (the database restarted or failed over) makes the pool drop all its
 * connections, and a read that hit it is tried once more on a new connection; a write is not (it
 * fails as unavailable), since whether it was committed may be unknown.
 */
public final class DatabaseSecretStore implements SecretStore {

  private static final Logger LOG = LoggerFactory.getLogger(DatabaseSecretStore.class);

  static final String HISTORY_TABLE = "nbsecrets_schema_history";
  static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(5);
  static final int DEFAULT_MAX_POOL_SIZE = 10;
  private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(30);
  private static final Set<String> UNAVAILABLE_STATES = Set.of("57P01", "57P02", "57P03", "53300");
  private static final AtomicInteger POOL_IDS = new AtomicInteger();

  /**
   * How to reach the database. {@code password} may be null (e.g. trust or a password in the URL's
   * {@code password} parameter); {@link #toString()} never shows it.
   *
   * @param jdbcUrl {@code store.database.url}, e.g. {@code jdbc:postgresql://db:5432/nbsecrets}
   * @param username {@code store.database.username}
   * @param password {@code store.database.password}
   * @param maxPoolSize {@code store.database.maxPoolSize}, at least 1
   * @param connectionTimeout {@code store.database.connectionTimeout}: how long a call waits for a
   *     connection before failing as unavailable, at least 250 ms
   */
  public record DatabaseConfig(
      String jdbcUrl,
      String username,
      String password,
      int maxPoolSize,
      Duration connectionTimeout) {

    public DatabaseConfig {
      if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:postgresql:")) {
        throw new IllegalArgumentException(
            "store.database.url must be a PostgreSQL JDBC URL starting with jdbc:postgresql:"
                + " (e.g. jdbc:postgresql://db.example.org:5432/nbsecrets)");
      }
      if (username == null || username.isBlank()) {
        throw new IllegalArgumentException("store.database.username must not be blank");
      }
      if (maxPoolSize < 1) {
        throw new IllegalArgumentException(
            "store.database.maxPoolSize must be at least 1, not " + maxPoolSize);
      }
      if (connectionTimeout == null || connectionTimeout.compareTo(Duration.ofMillis(250)) < 0) {
        throw new IllegalArgumentException(
            "store.database.connectionTimeout must be at least 250 ms, not " + connectionTimeout);
      }
    }

    /** The defaults: a pool of 10 connections, a connection timeout of 5 s. */
    public static DatabaseConfig of(String jdbcUrl, String username, String password) {
      return new DatabaseConfig(
          jdbcUrl, username, password, DEFAULT_MAX_POOL_SIZE, DEFAULT_CONNECTION_TIMEOUT);
    }

    /** Without the password, whatever it is. */
    @Override
    public String toString() {
      return "DatabaseConfig[jdbcUrl="
          + jdbcUrl.replaceAll("(?i)(password=)[^&]*", "$1***")
          + ", username="
          + username
          + ", password="
          + (password == null ? "null" : "***")
          + ", maxPoolSize="
          + maxPoolSize
          + ", connectionTimeout="
          + connectionTimeout
          + "]";
    }
  }

  private final HikariDataSource dataSource;
  private final Clock clock;

  private DatabaseSecretStore(HikariDataSource dataSource, Clock clock) {
    this.dataSource = dataSource;
    this.clock = clock;
  }

  /**
   * Opens a pool and creates or migrates the schema.
   *
   * @throws StoreUnavailableException when the database does not answer (nothing is left open)
   * @throws StoreException when the migration fails otherwise
   */
  public static DatabaseSecretStore open(DatabaseConfig config) {
    DatabaseSecretStore store = connect(config);
    try {
      store.migrate();
      return store;
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }

  /** A store on a pool that connects lazily, without touching the schema (for tests). */
  static DatabaseSecretStore connect(DatabaseConfig config) {
    Objects.requireNonNull(config, "config");
    HikariConfig hikari = new HikariConfig();
    hikari.setPoolName("nbsecrets-db-" + POOL_IDS.incrementAndGet());
    hikari.setDriverClassName("org.postgresql.Driver");
    hikari.setJdbcUrl(config.jdbcUrl());
    hikari.setUsername(config.username());
    hikari.setPassword(config.password());
    hikari.setMaximumPoolSize(config.maxPoolSize());
    long timeoutMillis = config.connectionTimeout().toMillis();
    hikari.setConnectionTimeout(timeoutMillis);
    hikari.setValidationTimeout(Math.min(timeoutMillis, DEFAULT_CONNECTION_TIMEOUT.toMillis()));
    // Do not connect while building the pool: an outage is reported by the calls, as unavailable.
    hikari.setInitializationFailTimeout(-1);
    hikari.setAutoCommit(true);
    // The server's error detail can hold a whole row (a sealed value): keep it out of messages.
    hikari.addDataSourceProperty("logServerErrorDetail", "false");
    hikari.addDataSourceProperty("ApplicationName", "nbsecrets");
    hikari.addDataSourceProperty("tcpKeepAlive", "true");
    hikari.addDataSourceProperty(
        "connectTimeout", String.valueOf(Math.max(1, (timeoutMillis + 999) / 1000)));
    hikari.addDataSourceProperty("socketTimeout", String.valueOf(SOCKET_TIMEOUT.toSeconds()));
    return new DatabaseSecretStore(new HikariDataSource(hikari), Clock.systemUTC());
  }

  /** Applies pending migrations; returns how many ran (0 on an up-to-date database). */
  int migrate() {
    ensureOpen();
    try {
      MigrateResult result =
          Flyway.configure(DatabaseSecretStore.class.getClassLoader())
              .dataSource(dataSource)
              .table(HISTORY_TABLE)
              .locations("classpath:db/migration")
              .baselineOnMigrate(true)
              .baselineVersion("0")
              .load()
              .migrate();
      if (result.migrationsExecuted > 0) {
        LOG.info(
            "database store: applied {} schema migration(s), now at version {}",
            result.migrationsExecuted,
            result.targetSchemaVersion);
      } else {
        LOG.debug("database store: schema is up to date");
      }
      return result.migrationsExecuted;
    } catch (FlywayException e) {
      for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
        if (t instanceof SQLException sql && isUnavailable(sql)) {
          throw new StoreUnavailableException(
              "database store unavailable: cannot migrate the schema (SQLState "
                  + sql.getSQLState()
                  + ")",
              e);
        }
      }
      throw new StoreException("database store: migrating the schema failed", e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Reads

  @Override
  public List<SecretMetadata> list(String user) {
    return userSecrets(
        "list",
        user,
        "name, version, created_at, updated_at",
        rs -> new SecretMetadata(rs.getString(1), rs.getLong(2), instant(rs, 3), instant(rs, 4)));
  }

  /** These {@code columns} of all the user's secrets, in name order. */
  private <T> List<T> userSecrets(String verb, String user, String columns, RowMapper<T> mapper) {
    Objects.requireNonNull(user, "user");
    String sql = "SELECT " + columns + " FROM nbsecrets_secrets WHERE user_id = ? ORDER BY name";
    return read(
        verb,
        "the secrets of user " + user,
        c -> {
          try (PreparedStatement s = prepare(c, sql, user)) {
            return rows(s, mapper);
          }
        });
  }

  @Override
  public Map<String, StoredSecret> get(String user, Collection<String> names) {
    Objects.requireNonNull(user, "user");
    Set<String> distinct = new LinkedHashSet<>(names);
    distinct.forEach(n -> Objects.requireNonNull(n, "name"));
    if (distinct.isEmpty()) {
      return new LinkedHashMap<>();
    }
    String what =
        distinct.size() == 1
            ? Descriptions.secret(user, distinct.iterator().next())
            : "secrets of user " + user;
    return read(
        "get",
        what,
        c -> {
          Array array = c.createArrayOf("text", distinct.toArray());
          try (PreparedStatement s =
              prepare(
                  c,
                  "SELECT name, version, created_at, updated_at, sealed FROM nbsecrets_secrets"
                      + " WHERE user_id = ? AND name = ANY(?) ORDER BY name",
                  user,
                  array)) {
            Map<String, StoredSecret> result = new LinkedHashMap<>();
            for (StoredSecret record : rows(s, DatabaseSecretStore::record)) {
              result.put(record.name(), record);
            }
            return result;
          } finally {
            array.free();
          }
        });
  }

  /** {@inheritDoc} One query. */
  @Override
  public boolean readsAllAtOnce() {
    return true;
  }

  @Override
  public List<StoredSecret> getAll(String user) {
    return userSecrets(
        "get", user, "name, version, created_at, updated_at, sealed", DatabaseSecretStore::record);
  }

  @Override
  public Optional<String> getUserKey(String user) {
    Objects.requireNonNull(user, "user");
    return read("get", Descriptions.userKey(user), c -> readUserKey(c, user));
  }

  private static Optional<String> readUserKey(Connection c, String user) throws SQLException {
    try (PreparedStatement s =
        prepare(c, "SELECT wrapped FROM nbsecrets_user_keys WHERE user_id = ?", user)) {
      return rows(s, rs -> text(rs, 1)).stream().findFirst();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Writes

  @Override
  public PutResult put(String user, String name, String sealed, int maxSecrets) {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(sealed, "sealed");
    String what = Descriptions.secret(user, name);
    byte[] utf8 = utf8(sealed, "the sealed value of " + what);
    OffsetDateTime now = now();
    return inTransaction(
        "put",
        what,
        c -> {
          boolean unlimited = maxSecrets == Integer.MAX_VALUE;
          try (PreparedStatement lock =
              prepare(
                  c,
                  unlimited
                      ? "SELECT pg_advisory_xact_lock_shared(hashtextextended(?, 0))"
                      : "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))",
                  user)) {
            lock.execute();
          }
          if (!unlimited) {
            try (PreparedStatement count =
                prepare(
                    c,
                    "SELECT count(*), coalesce(bool_or(name = ?), false)"
                        + " FROM nbsecrets_secrets WHERE user_id = ?",
                    name,
                    user)) {
              // (records, exists): a new name at the limit is refused.
              if (oneRow(count, rs -> !rs.getBoolean(2) && rs.getLong(1) >= maxSecrets)) {
                throw new TooManySecretsException(user, maxSecrets);
              }
            }
          }
          try (PreparedStatement upsert =
              prepare(
                  c,
                  "INSERT INTO nbsecrets_secrets"
                      + " (user_id, name, version, created_at, updated_at, sealed)"
                      + " VALUES (?, ?, 1, ?, ?, ?)"
                      + " ON CONFLICT (user_id, name) DO UPDATE SET"
                      + " version = nbsecrets_secrets.version + 1,"
                      + " sealed = EXCLUDED.sealed,"
                      + " updated_at = GREATEST(nbsecrets_secrets.updated_at, EXCLUDED.updated_at)"
                      + " RETURNING version, created_at, updated_at, (xmax = 0) AS created",
                  user,
                  name,
                  now,
                  now,
                  utf8)) {
            return oneRow(
                upsert,
                rs ->
                    new PutResult(
                        new SecretMetadata(name, rs.getLong(1), instant(rs, 2), instant(rs, 3)),
                        rs.getBoolean(4)));
          }
        });
  }

  @Override
  public boolean delete(String user, String name) {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(name, "name");
    return withConnection(
        "delete",
        Descriptions.secret(user, name),
        c -> {
          try (PreparedStatement s =
              prepare(
                  c, "DELETE FROM nbsecrets_secrets WHERE user_id = ? AND name = ?", user, name)) {
            return s.executeUpdate() > 0;
          }
        });
  }

  @Override
  public void recordUse(String user, Collection<String> names, Instant at) {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(at, "at");
    // Sorted and distinct: one upsert may not touch a row twice.
    Set<String> distinct = new TreeSet<>(names);
    if (distinct.isEmpty()) {
      return;
    }
    OffsetDateTime when =
        OffsetDateTime.ofInstant(at.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
    inTransaction(
        "record the use of",
        "secrets of user " + user,
        c -> {
          // One user's usage writes take turns: the prune below locks rows in rank order, which
          // could deadlock against another upsert, or drop a name that one just used.
          try (PreparedStatement lock =
              prepare(c, "SELECT pg_advisory_xact_lock(hashtextextended(?, 1))", user)) {
            lock.execute();
          }
          Array array = c.createArrayOf("text", distinct.toArray());
          try (PreparedStatement upsert =
                  prepare(
                      c,
                      "INSERT INTO nbsecrets_usage (user_id, name, last_used_at)"
                          + " SELECT ?, n, ? FROM unnest(?::text[]) AS n ORDER BY n"
                          + " ON CONFLICT (user_id, name) DO UPDATE SET last_used_at ="
                          + " GREATEST(nbsecrets_usage.last_used_at, EXCLUDED.last_used_at)",
                      user,
                      when,
                      array);
              PreparedStatement prune =
                  prepare(
                      c,
                      "DELETE FROM nbsecrets_usage WHERE user_id = ? AND name IN (SELECT name"
                          + " FROM nbsecrets_usage WHERE user_id = ?"
                          + " ORDER BY last_used_at DESC, name OFFSET ?)",
                      user,
                      user,
                      MAX_USAGE_ENTRIES)) {
            upsert.executeUpdate();
            prune.executeUpdate();
            return null;
          } finally {
            array.free();
          }
        });
  }

  @Override
  public Map<String, Instant> lastUsed(String user) {
    Objects.requireNonNull(user, "user");
    return read(
        "get the use of",
        "secrets of user " + user,
        c -> {
          try (PreparedStatement s =
              prepare(
                  c, "SELECT name, last_used_at FROM nbsecrets_usage WHERE user_id = ?", user)) {
            Map<String, Instant> used = new TreeMap<>();
            for (Map.Entry<String, Instant> e :
                rows(s, rs -> Map.entry(rs.getString(1), instant(rs, 2)))) {
              used.put(e.getKey(), e.getValue());
            }
            return used;
          }
        });
  }

  @Override
  public String putUserKeyIfAbsent(String user, String wrappedKey) {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(wrappedKey, "wrappedKey");
    String what = Descriptions.userKey(user);
    byte[] utf8 = utf8(wrappedKey, what);
    OffsetDateTime now = now();
    return withConnection(
        "store",
        what,
        c -> {
          try (PreparedStatement s =
              prepare(
                  c,
                  "INSERT INTO nbsecrets_user_keys (user_id, wrapped, created_at)"
                      + " VALUES (?, ?, ?) ON CONFLICT (user_id) DO NOTHING",
                  user,
                  utf8,
                  now)) {
            s.executeUpdate();
          }
          // Ours or the one a racing replica committed first: ON CONFLICT waited for it.
          return readUserKey(c, user)
              .orElseThrow(
                  () -> new StoreException("database store: " + what + " vanished after insert"));
        });
  }

  // ---------------------------------------------------------------------------------------------
  // Whole-store operations (key rotation)

  @Override
  public long count() {
    return read(
        "count",
        "all secrets",
        c -> {
          try (PreparedStatement s = c.prepareStatement("SELECT count(*) FROM nbsecrets_secrets")) {
            return oneRow(s, rs -> rs.getLong(1));
          }
        });
  }

  /** One indexed range query on the primary key: {@code (user_id, name) > cursor}. */
  @Override
  public List<ScannedSecret> scan(ScanCursor after, int limit) {
    return page(
        "all secrets",
        "SELECT name, version, created_at, updated_at, sealed, user_id FROM nbsecrets_secrets",
        "user_id, name",
        after == null ? List.of() : List.of(after.user(), after.name()),
        limit,
        rs -> new ScannedSecret(rs.getString(6), record(rs)));
  }

  /**
   * One {@code UPDATE ... WHERE sealed = expected}: PostgreSQL re-checks the condition on the
   * newest row version when a concurrent put committed first, so a put is never overwritten.
   */
  @Override
  public boolean rewrap(String user, String name, String expectedSealed, String newSealed) {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(name, "name");
    String what = Descriptions.secret(user, name);
    return updateIf(
        what,
        "UPDATE nbsecrets_secrets SET sealed = ? WHERE user_id = ? AND name = ? AND sealed = ?",
        utf8(Objects.requireNonNull(newSealed, "newSealed"), what),
        user,
        name,
        utf8(Objects.requireNonNull(expectedSealed, "expectedSealed"), what));
  }

  @Override
  public List<WrappedUserKey> scanUserKeys(String afterUser, int limit) {
    return page(
        "all user keys",
        "SELECT user_id, wrapped FROM nbsecrets_user_keys",
        "user_id",
        afterUser == null ? List.of() : List.of(afterUser),
        limit,
        rs -> new WrappedUserKey(rs.getString(1), text(rs, 2)));
  }

  /**
   * One page of a scan in {@code key} order (the primary key, so one indexed range query): the rows
   * of {@code select} whose key is after {@code after} (empty: from the start), at most {@code
   * limit}.
   */
  private <T> List<T> page(
      String what, String select, String key, List<String> after, int limit, RowMapper<T> mapper) {
    requirePositive(limit);
    String from =
        after.isEmpty()
            ? ""
            : " WHERE ("
                + key
                + ") > ("
                + String.join(", ", Collections.nCopies(after.size(), "?"))
                + ")";
    String sql = select + from + " ORDER BY " + key + " LIMIT ?";
    return read(
        "scan",
        what,
        c -> {
          List<Object> parameters = new ArrayList<>(after);
          parameters.add(limit);
          try (PreparedStatement s = prepare(c, sql, parameters.toArray())) {
            return rows(s, mapper);
          }
        });
  }

  @Override
  public boolean rewrapUserKey(String user, String expected, String newWrapped) {
    Objects.requireNonNull(user, "user");
    String what = Descriptions.userKey(user);
    return updateIf(
        what,
        "UPDATE nbsecrets_user_keys SET wrapped = ? WHERE user_id = ? AND wrapped = ?",
        utf8(Objects.requireNonNull(newWrapped, "newWrapped"), what),
        user,
        utf8(Objects.requireNonNull(expected, "expected"), what));
  }

  /**
   * A re-wrap: one conditional {@code UPDATE} (texts and byte arrays as parameters, in order);
   * whether it changed a row.
   */
  private boolean updateIf(String what, String sql, Object... parameters) {
    return withConnection(
        "re-wrap",
        what,
        c -> {
          try (PreparedStatement s = prepare(c, sql, parameters)) {
            return s.executeUpdate() > 0;
          }
        });
  }

  /**
   * {@code sql} prepared with {@code parameters} bound in order: texts, byte arrays, SQL arrays,
   * ints, and other objects (timestamps) as they are.
   */
  private static PreparedStatement prepare(Connection c, String sql, Object... parameters)
      throws SQLException {
    PreparedStatement s = c.prepareStatement(sql);
    try {
      for (int i = 0; i < parameters.length; i++) {
        Object parameter = parameters[i];
        if (parameter instanceof String text) {
          s.setString(i + 1, text);
        } else if (parameter instanceof byte[] bytes) {
          s.setBytes(i + 1, bytes);
        } else if (parameter instanceof Array array) {
          s.setArray(i + 1, array);
        } else if (parameter instanceof Integer number) {
          s.setInt(i + 1, number);
        } else {
          s.setObject(i + 1, parameter);
        }
      }
      return s;
    } catch (SQLException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  private static void requirePositive(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, not " + limit);
    }
  }

  /** Closes the pool. */
  @Override
  public void close() {
    dataSource.close();
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  @FunctionalInterface
  private interface SqlWork<T> {
    T run(Connection connection) throws SQLException;
  }

  private <T> T withConnection(String verb, String what, SqlWork<T> work) {
    ensureOpen();
    try (Connection c = dataSource.getConnection()) {
      return work.run(c);
    } catch (SQLException e) {
      if (isBrokenConnection(e)) {
        evictPooledConnections();
      }
      throw translate(e, verb, what);
    }
  }

  /**
   * Runs a read; when a pooled connection turns out broken (the database restarted since it was
   * opened), evicts the pool's connections and tries once more, on a new one. Writes are not
   * retried: whether a write on a connection that broke was committed may be unknown.
   */
  private <T> T read(String verb, String what, SqlWork<T> work) {
    ensureOpen();
    try (Connection c = dataSource.getConnection()) {
      return work.run(c);
    } catch (SQLException e) {
      if (!isBrokenConnection(e)) {
        throw translate(e, verb, what);
      }
      LOG.info(
          "database store: a pooled connection was broken (SQLState {}); reading {} once more",
          e.getSQLState(),
          what);
      evictPooledConnections();
    }
    return withConnection(verb, what, work);
  }

  /**
   * After one broken connection the others are likely broken too (a restart or failover): evict the
   * idle ones now and the busy ones when returned, so the next calls get new connections.
   */
  private void evictPooledConnections() {
    HikariPoolMXBean pool = dataSource.getHikariPoolMXBean();
    if (pool != null && !dataSource.isClosed()) {
      pool.softEvictConnections();
    }
  }

  /** A connection that failed (not the pool's timeout, which has waited already). */
  private static boolean isBrokenConnection(SQLException e) {
    return !(e instanceof SQLTransientConnectionException) && isUnavailable(e);
  }

  private <T> T inTransaction(String verb, String what, SqlWork<T> work) {
    return withConnection(
        verb,
        what,
        c -> {
          c.setAutoCommit(false);
          try {
            T result = work.run(c);
            c.commit();
            return result;
          } catch (SQLException | RuntimeException e) {
            try {
              c.rollback();
            } catch (SQLException rollback) {
              e.addSuppressed(rollback);
            }
            throw e;
          }
        });
  }

  private void ensureOpen() {
    if (dataSource.isClosed()) {
      throw new StoreException("database store is closed");
    }
  }

  private OffsetDateTime now() {
    return OffsetDateTime.ofInstant(clock.instant().truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
  }

  /** One row of a result, as a value. */
  @FunctionalInterface
  private interface RowMapper<T> {
    T map(ResultSet row) throws SQLException;
  }

  /** Runs the query; each row mapped, in order. */
  private static <T> List<T> rows(PreparedStatement query, RowMapper<T> mapper)
      throws SQLException {
    List<T> result = new ArrayList<>();
    try (ResultSet rs = query.executeQuery()) {
      while (rs.next()) {
        result.add(mapper.map(rs));
      }
    }
    return result;
  }

  /** Runs a query that answers exactly one row (a count, a {@code RETURNING}); that row mapped. */
  private static <T> T oneRow(PreparedStatement query, RowMapper<T> mapper) throws SQLException {
    try (ResultSet rs = query.executeQuery()) {
      rs.next();
      return mapper.map(rs);
    }
  }

  /** A {@code bytea} column holding UTF-8 text (a sealed value, a wrapped key). */
  private static String text(ResultSet rs, int column) throws SQLException {
    return new String(rs.getBytes(column), StandardCharsets.UTF_8);
  }

  private static Instant instant(ResultSet rs, int column) throws SQLException {
    return rs.getObject(column, OffsetDateTime.class).toInstant();
  }

  private static StoredSecret record(ResultSet rs) throws SQLException {
    return new StoredSecret(
        rs.getString(1), rs.getLong(2), instant(rs, 3), instant(rs, 4), text(rs, 5));
  }

  private static byte[] utf8(String text, String what) {
    try {
      return Bytes.strictUtf8(text);
    } catch (IllegalArgumentException e) {
      throw new StoreException(
          "database store: " + what + " is not well-formed Unicode (unpaired surrogate)");
    }
  }

  private static StoreException translate(SQLException e, String verb, String what) {
    if (isUnavailable(e)) {
      return new StoreUnavailableException(
          "database store unavailable: cannot "
              + verb
              + " "
              + what
              + " ("
              + describeFailure(e)
              + ")",
          e);
    }
    return new StoreException(
        "database store: cannot " + verb + " " + what + " (" + describeFailure(e) + ")", e);
  }

  private static String describeFailure(SQLException e) {
    if (e instanceof SQLTransientConnectionException) {
      return "no connection within the connection timeout";
    }
    return "SQLState " + e.getSQLState();
  }

  /** Whether {@code e} (or a cause) means the database cannot be reached or is going away. */
  static boolean isUnavailable(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientConnectionException) {
        return true;
      }
      if (t instanceof SQLException sql) {
        String state = sql.getSQLState();
        if (state != null && (state.startsWith("08") || UNAVAILABLE_STATES.contains(state))) {
          return true;
        }
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }
}
