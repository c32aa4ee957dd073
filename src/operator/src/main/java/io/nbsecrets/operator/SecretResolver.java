package io.nbsecrets.operator;

import io.nbsecrets.crypto.CryptoException;
import io.nbsecrets.crypto.DataKeyUnwrapper;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.RecordBindingException;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.crypto.UnknownKeyException;
import io.nbsecrets.init.EnvFile;
import io.nbsecrets.keys.LiveKey;
import io.nbsecrets.model.EnvNames;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.model.SecretsSpec;
import io.nbsecrets.store.SecretMetadata;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.StoreException;
import io.nbsecrets.store.StoreUnavailableException;
import io.nbsecrets.store.StoredSecret;
import io.nbsecrets.util.Counts;
import io.nbsecrets.util.Hashes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a snapshot of a session's secrets: reads the records from the store and removes their outer
 * layer. All or nothing: any missing or unreadable secret fails the whole snapshot.
 */
public final class SecretResolver {
  private static final Logger LOG = LoggerFactory.getLogger(SecretResolver.class);

  private final SecretStore store;
  private final LiveKey<SessionKeyRing> keys;
  private final DataKeyUnwrapper transit;
  private final OpenedRecords opened;

  public SecretResolver(SecretStore store, SessionKeyRing keys) {
    this(store, LiveKey.fixed(keys), null);
  }

  /**
   * A resolver that opens every record at every snapshot, even one it opened a moment ago: to
   * measure that work ({@code bench snapshot}).
   */
  public static SecretResolver openingEveryRecord(SecretStore store, SessionKeyRing keys) {
    return new SecretResolver(store, LiveKey.fixed(keys), null, OpenedRecords.none());
  }

  /**
   * A resolver whose keys follow a rotation ({@link io.nbsecrets.keys.SessionKeys#watch}).
   *
   * <p>Records opened lately are not opened again ({@link OpenedRecords}), unless Vault Transit
   * wraps data keys: then every snapshot asks Vault, so that a change of the operator's Vault
   * policy holds at once.
   *
   * @param transit a Vault Transit key that also wraps records' data keys, or null
   */
  public SecretResolver(SecretStore store, LiveKey<SessionKeyRing> keys, DataKeyUnwrapper transit) {
    this(
        store,
        keys,
        transit,
        transit == null ? OpenedRecords.withDefaults() : OpenedRecords.none());
  }

  SecretResolver(
      SecretStore store,
      LiveKey<SessionKeyRing> keys,
      DataKeyUnwrapper transit,
      OpenedRecords opened) {
    this.store = store;
    this.keys = keys;
    this.transit = transit;
    this.opened = opened;
  }

  /** The records this resolver did not open again, and those it opened. */
  OpenedRecords opened() {
    return opened;
  }

  private DataKeyUnwrapper unwrapper(SessionKeyRing ring) {
    return transit == null ? ring : DataKeyUnwrapper.either(ring, transit);
  }

  /**
   * The hash of what the session asks for: user, selection and refresh annotation. Equal hash, same
   * snapshot; a new hash takes a new one.
   */
  public static String selectionHash(NotebookSession session) {
    Map<String, Object> selection = new LinkedHashMap<>();
    selection.put("user", session.getSpec().getUser());
    selection.put("secrets", session.getSpec().getSecrets());
    Map<String, String> annotations = session.getMetadata().getAnnotations();
    selection.put(
        "refresh",
        annotations == null ? "" : annotations.getOrDefault(Labels.REFRESH_ANNOTATION, ""));
    return Hashes.ofJson(selection);
  }

  public Snapshot resolve(NotebookSession session) throws SessionFailure {
    return resolve(session, false);
  }

  /**
   * A snapshot of the session's selection. {@code allowRemoved}: a selected secret that the store
   * no longer has is left out instead of failing the snapshot — for a {@code refresh: Live} session
   * that is running already, whose file of a deleted secret then disappears. A session that starts
   * never starts without a secret it names.
   */
  public Snapshot resolve(NotebookSession session, boolean allowRemoved) throws SessionFailure {
    String user = session.getSpec().getUser();
    SecretsSpec selection = session.getSpec().getSecrets();
    List<SecretItem> items = selection == null ? List.of() : selection.itemsOrEmpty();
    Map<String, String> fileNames = new LinkedHashMap<>();
    items.forEach(i -> fileNames.put(i.getName(), i.effectiveFileName()));
    Map<String, String> envNames = new HashMap<>();
    items.stream()
        .filter(i -> i.getEnv() != null)
        .forEach(i -> envNames.put(i.getName(), i.getEnv()));
    boolean envAll = selection != null && selection.exportsAll();

    Map<String, StoredSecret> records;
    try {
      records = read(user, selection != null && selection.includesAll(), fileNames.keySet());
    } catch (StoreUnavailableException e) {
      throw new SessionFailure(
          SessionFailure.Scope.SECRETS, Reason.STORE_UNAVAILABLE, e.getMessage(), e);
    } catch (StoreException e) {
      throw new SessionFailure(SessionFailure.Scope.SECRETS, Reason.STORE_ERROR, e.getMessage(), e);
    }

    List<String> missing =
        fileNames.keySet().stream().filter(n -> !records.containsKey(n)).sorted().toList();
    if (!missing.isEmpty() && !allowRemoved) {
      throw new SessionFailure(
          SessionFailure.Scope.SECRETS,
          Reason.SECRET_NOT_FOUND,
          (missing.size() == 1 ? "secret " : "secrets ")
              + String.join(", ", missing)
              + " of user "
              + user
              + (missing.size() == 1 ? " does" : " do")
              + " not exist: store "
              + (missing.size() == 1 ? "it" : "them")
              + " or remove "
              + (missing.size() == 1 ? "it" : "them")
              + " from spec.secrets.items (a pod already running keeps its previous snapshot)");
    }

    Map<String, String> byFile = new HashMap<>();
    Map<String, String> byEnv = new HashMap<>();
    Set<String> plainEnv = SessionValidator.plainEnvNames(session.getSpec());
    List<Snapshot.Entry> entries = new ArrayList<>();
    for (StoredSecret record : records.values()) {
      String file = fileNames.getOrDefault(record.name(), record.name());
      String clash = byFile.putIfAbsent(file, record.name());
      if (clash != null) {
        throw new SessionFailure(
            SessionFailure.Scope.SECRETS,
            Reason.INVALID_SPEC,
            "secrets "
                + clash
                + " and "
                + record.name()
                + " would both be written to file "
                + file);
      }
      String env = envNames.get(record.name());
      if (env == null && envAll && EnvNames.isValid(record.name())) {
        env = record.name();
      }
      String token = openOuter(user, record);
      if (env != null) {
        String other = byEnv.putIfAbsent(env, record.name());
        if (other != null) {
          throw SessionValidator.envClash(
              "secrets " + other + " and " + record.name() + " would both be exported as " + env);
        }
        if (plainEnv.contains(env)) {
          throw SessionValidator.envClash(
              "secret "
                  + record.name()
                  + " would be exported as "
                  + env
                  + ", which spec.env also sets: rename one of them");
        }
        requireFitsEnv(record.name(), env, token);
      }
      entries.add(
          new Snapshot.Entry(
              record.name(),
              file,
              record.version(),
              token,
              env,
              Snapshot.createdMillis(record.createdAt())));
    }
    return new Snapshot(
        selectionHash(session), List.copyOf(entries), selection != null && selection.live());
  }

  /**
   * Refuses, before anything is written, a secret whose value is certainly too long for one
   * environment string: a Fernet token is 57 bytes and the value's AES blocks (the value plus 1 to
   * 16 bytes of padding), so its length bounds the value's from below. The init step checks the
   * exact length (and NUL bytes, which only the plaintext shows).
   */
  static void requireFitsEnv(String secret, String env, String token) throws SessionFailure {
    long tokenBytes = SessionSecrets.decodedLength(token.replace('-', '+').replace('_', '/'));
    long leastValueBytes = Math.max(0, tokenBytes - FERNET_OVERHEAD - 16);
    long entryBytes = env.length() + 1 + leastValueBytes + 1;
    if (entryBytes > EnvFile.MAX_ENTRY_BYTES) {
      throw new SessionFailure(
          SessionFailure.Scope.SECRETS,
          Reason.ENV_VALUE_TOO_LARGE,
          "secret "
              + secret
              + " is exported as environment variable "
              + env
              + ", and its value is at least "
              + Counts.of(leastValueBytes, "byte")
              + ": over Linux's limit of "
              + Counts.of(EnvFile.MAX_ENTRY_BYTES, "byte")
              + " for one environment string; read it from its file instead");
    }
  }

  /** A Fernet token's bytes besides the ciphertext: version, time, IV and HMAC. */
  private static final int FERNET_OVERHEAD = 1 + 8 + 16 + 32;

  /**
   * The store's current versions of a user's secrets, to mark the snapshot's stale entries, or why
   * the store could not say ({@code versions} null; a reason of the {@code resolve} family and the
   * store's message, which names users and secrets, never values). {@code created}: when each
   * record was created ({@link Snapshot#createdMillis}), where known. Versions start again at 1
   * when a secret is deleted and stored again, so a version alone may name an earlier secret of the
   * same name; its creation time does not.
   */
  public record CurrentVersions(
      Map<String, Long> versions, Map<String, Long> created, String reason, String message) {
    /** The store's answer, the records' creation times unknown. */
    public static CurrentVersions of(Map<String, Long> versions) {
      return new CurrentVersions(Map.copyOf(versions), Map.of(), null, null);
    }

    /** The store's answer. */
    public static CurrentVersions of(Collection<? extends SecretMetadata> records) {
      Map<String, Long> versions = new HashMap<>();
      Map<String, Long> created = new HashMap<>();
      for (SecretMetadata r : records) {
        versions.put(r.name(), r.version());
        Long millis = Snapshot.createdMillis(r.createdAt());
        if (millis != null) {
          created.put(r.name(), millis);
        }
      }
      return new CurrentVersions(Map.copyOf(versions), Map.copyOf(created), null, null);
    }

    /** Why the store could not say. */
    public static CurrentVersions failed(String reason, String message) {
      return new CurrentVersions(null, null, reason, message);
    }

    public boolean known() {
      return versions != null;
    }

    /**
     * Whether the store holds version {@code version} of secret {@code name}, of the record created
     * at {@code created} ({@link Snapshot#createdMillis}) where both sides know it.
     */
    public boolean holds(String name, Long version, Long created) {
      if (versions == null || !java.util.Objects.equals(versions.get(name), version)) {
        return false;
      }
      Long now = this.created == null ? null : this.created.get(name);
      return created == null || now == null || created.equals(now);
    }

    /** The metric tag: {@code ok} or the failure's reason (a fixed set). */
    public String result() {
      return known() ? "ok" : reason;
    }
  }

  /**
   * How precise "last used" is: a name this operator noted less than this long before is not
   * written again, so a burst of one user's sessions costs one store write a minute, not one per
   * session.
   */
  static final Duration USAGE_PRECISION = Duration.ofMinutes(1);

  /** Users remembered for {@link #USAGE_PRECISION}; beyond, the memory starts again. */
  private static final int MAX_USAGE_USERS = 10_000;

  /** When this operator last noted each user's names in the store. */
  private final Map<String, Map<String, Instant>> recentUse = new ConcurrentHashMap<>();

  /**
   * Notes in the store that {@code names} reached a session now: one write, once per snapshot (see
   * {@link SecretStore#recordUse}), unless this operator noted every one of them within {@link
   * #USAGE_PRECISION}. Usage is informational, so a failure never fails the session: it is logged
   * (names only) and the result returned, as a metric tag ({@code ok}, {@code coalesced}, {@code
   * StoreUnavailable} or {@code StoreError}).
   */
  public String recordUse(String user, Collection<String> names, Instant at) {
    return recordUse(user, names, Map.of(), at);
  }

  /**
   * As {@link #recordUse(String, Collection, Instant)}, for a snapshot's entries: a name noted
   * before its record was created (a secret deleted and stored again since) is noted again, so that
   * the new record shows as taken.
   */
  public String recordUse(String user, List<Snapshot.Entry> entries, Instant at) {
    Map<String, Long> created = new HashMap<>();
    entries.stream()
        .filter(e -> e.created() != null)
        .forEach(e -> created.put(e.name(), e.created()));
    return recordUse(user, names(entries), created, at);
  }

  private String recordUse(
      String user, Collection<String> names, Map<String, Long> created, Instant at) {
    Map<String, Instant> recent = recentUse.get(user);
    Instant since = at.minus(USAGE_PRECISION);
    if (recent != null
        && names.stream()
            .allMatch(
                n -> {
                  Instant noted = recent.get(n);
                  Long made = created.get(n);
                  return noted != null
                      && noted.isAfter(since)
                      && (made == null || noted.toEpochMilli() >= made);
                })) {
      return "coalesced";
    }
    try {
      store.recordUse(user, names, at);
    } catch (StoreException e) {
      LOG.warn(
          "could not record the use of {} secrets of {}: {}", names.size(), user, e.getMessage());
      return (e instanceof StoreUnavailableException
              ? Reason.STORE_UNAVAILABLE
              : Reason.STORE_ERROR)
          .value();
    }
    if (recentUse.size() >= MAX_USAGE_USERS && !recentUse.containsKey(user)) {
      recentUse.clear();
    }
    Map<String, Instant> noted = recentUse.computeIfAbsent(user, u -> new ConcurrentHashMap<>());
    names.forEach(n -> noted.merge(n, at, (a, b) -> a.isAfter(b) ? a : b));
    return "ok";
  }

  /**
   * The records of the selection, read in one of two ways. A selection of all, or of at least half
   * of the user's records (as many as the store's last answer for the user counted) from a store
   * that reads them all in one request ({@link SecretStore#readsAllAtOnce}): all the user's
   * records, at once, whose versions are then remembered as the store's answer for the stale marks,
   * which need not ask again. Otherwise only the selected records, one by one.
   */
  private Map<String, StoredSecret> read(String user, boolean all, Set<String> names) {
    Map<String, StoredSecret> records = new TreeMap<>();
    if (all || readsAllAtOnce(user, names.size())) {
      long asked = System.nanoTime();
      List<StoredSecret> every;
      try {
        every = store.getAll(user);
      } catch (StoreUnavailableException e) {
        throw e;
      } catch (StoreException e) {
        if (all) {
          throw e;
        }
        // A record the selection does not name may be unreadable; reading it must not fail a
        // session that does not use it. The user's records are read by name for a while, so that
        // the failing read is not paid again at every snapshot.
        LOG.warn(
            "reading all the records of user {} at once failed ({}); reading the selected ones by"
                + " name for {} minutes",
            user,
            e.getMessage(),
            FULL_READ_PAUSE.toMinutes());
        if (fullReadFailed.size() >= MAX_REMEMBERED_USERS) {
          fullReadFailed.clear();
        }
        fullReadFailed.put(user, System.nanoTime());
        records.putAll(store.get(user, names));
        return records;
      }
      for (StoredSecret r : every) {
        if (all || names.contains(r.name())) {
          records.put(r.name(), r);
        }
      }
      remember(
          user, CurrentVersions.of(every.stream().map(StoredSecret::metadata).toList()), asked);
      return records;
    }
    records.putAll(store.get(user, names));
    return records;
  }

  /** How long a user's records are read by name after a read of all of them failed. */
  static final Duration FULL_READ_PAUSE = Duration.ofMinutes(10);

  /**
   * Users whose records could not all be read at once ({@code System.nanoTime()} of the failure):
   * one of them the store refuses to read, and their snapshots read by name for a while.
   */
  private final Map<String, Long> fullReadFailed = new ConcurrentHashMap<>();

  /**
   * Whether reading all the user's records costs less than reading {@code selected} of them: the
   * store reads them all at once, and its last answer counted at most twice as many.
   */
  private boolean readsAllAtOnce(String user, int selected) {
    if (selected == 0 || !store.readsAllAtOnce()) {
      return false;
    }
    Long failed = fullReadFailed.get(user);
    if (failed != null) {
      if (System.nanoTime() - failed < FULL_READ_PAUSE.toNanos()) {
        return false;
      }
      fullReadFailed.remove(user, failed);
    }
    Read read = lastRead.get(user);
    return read != null
        && read.versions().known()
        && read.versions().versions().size() <= 2L * selected;
  }

  /**
   * The longest an answer of {@link #currentVersions(String)} is reused by {@link
   * #currentVersions(String, OptionalLong)}: one period of the stale poller, which reads every user
   * with mounted secrets that often and reconciles the sessions whose answer changed.
   */
  static final Duration VERSIONS_MAX_AGE = StaleSecretsPoller.PERIOD;

  /** Users whose last answer is remembered; beyond, the memory starts again. */
  private static final int MAX_REMEMBERED_USERS = 10_000;

  /** An answer of the store, and when (this JVM's {@code System.nanoTime()}) it was asked. */
  private record Read(CurrentVersions versions, long askedAtNanos) {}

  private final Map<String, Read> lastRead = new ConcurrentHashMap<>();

  /**
   * One metadata call to the store (no record is opened); never throws for a store failure. The
   * answer (or the failure) is remembered for {@link #currentVersions(String, OptionalLong)}.
   */
  public CurrentVersions currentVersions(String user) {
    long asked = System.nanoTime();
    CurrentVersions answer;
    try {
      answer = CurrentVersions.of(store.list(user));
    } catch (StoreUnavailableException e) {
      answer = CurrentVersions.failed(Reason.STORE_UNAVAILABLE.value(), e.getMessage());
    } catch (StoreException e) {
      answer = CurrentVersions.failed(Reason.STORE_ERROR.value(), e.getMessage());
    }
    remember(user, answer, asked);
    return answer;
  }

  /** Remembers the store's {@code answer} for {@code user}, asked at {@code asked}. */
  private void remember(String user, CurrentVersions answer, long asked) {
    if (lastRead.size() >= MAX_REMEMBERED_USERS && !lastRead.containsKey(user)) {
      lastRead.clear();
    }
    // The latest question wins: a failure is remembered too, so that the reconciles the stale
    // poller triggers when the store stops answering show it.
    lastRead.merge(
        user, new Read(answer, asked), (a, b) -> a.askedAtNanos() - b.askedAtNanos() > 0 ? a : b);
  }

  /** The store's last answer for {@code user} that this resolver remembers, of any age. */
  public Optional<CurrentVersions> remembered(String user) {
    Read read = lastRead.get(user);
    return read == null ? Optional.empty() : Optional.of(read.versions());
  }

  /**
   * The user's versions as the store gave them in an answer asked at or after {@code
   * notBeforeNanos} ({@code System.nanoTime()}; empty: any) and at most {@link #VERSIONS_MAX_AGE}
   * ago, else a new call. A reconcile passes the time of its session's latest snapshot, so that a
   * stale mark never compares a snapshot with an answer older than it; the stale poller's reads
   * keep the answers of users with sessions fresh, so a reconcile that only re-reads the workload's
   * state costs the store nothing.
   */
  public CurrentVersions currentVersions(String user, OptionalLong notBeforeNanos) {
    Read read = lastRead.get(user);
    long now = System.nanoTime();
    if (read != null
        && (notBeforeNanos.isEmpty() || read.askedAtNanos() - notBeforeNanos.getAsLong() >= 0)
        && now - read.askedAtNanos() <= VERSIONS_MAX_AGE.toNanos()) {
      return read.versions();
    }
    return currentVersions(user);
  }

  private String openOuter(String user, StoredSecret record) throws SessionFailure {
    String known = opened.get(user, record.name(), record.sealed(), id -> keys.get().holds(id));
    if (known != null) {
      return known;
    }
    String inner = openOuterNow(user, record);
    opened.put(user, record.name(), record.sealed(), Envelope.keyId(record.sealed()), inner);
    return inner;
  }

  private String openOuterNow(String user, StoredSecret record) throws SessionFailure {
    try {
      byte[] inner;
      try {
        inner = Envelope.open(unwrapper(keys.get()), user, record.name(), record.sealed());
      } catch (UnknownKeyException e) {
        // Sealed under a key added since the last watch event, perhaps: read the keys now.
        inner = Envelope.open(unwrapper(keys.refresh()), user, record.name(), record.sealed());
      }
      return new String(inner, StandardCharsets.US_ASCII);
    } catch (UnknownKeyException e) {
      throw new SessionFailure(
          SessionFailure.Scope.SECRETS,
          Reason.UNKNOWN_SESSION_KEY,
          "secret "
              + record.name()
              + " is sealed with session key "
              + e.keyId()
              + ", which this operator does not hold");
    } catch (RecordBindingException e) {
      throw new SessionFailure(
          SessionFailure.Scope.SECRETS,
          Reason.SECRET_UNREADABLE,
          "secret " + record.name() + " is bound to another owner or name and was refused");
    } catch (CryptoException e) {
      throw new SessionFailure(
          SessionFailure.Scope.SECRETS,
          Reason.SECRET_UNREADABLE,
          "secret " + record.name() + " could not be decrypted: the record is corrupt or tampered");
    } catch (StoreUnavailableException e) {
      // Vault Transit, which unwraps the data key, did not answer.
      throw new SessionFailure(
          SessionFailure.Scope.SECRETS, Reason.STORE_UNAVAILABLE, e.getMessage(), e);
    } catch (StoreException e) {
      throw new SessionFailure(SessionFailure.Scope.SECRETS, Reason.STORE_ERROR, e.getMessage(), e);
    }
  }

  static List<String> names(Collection<Snapshot.Entry> entries) {
    return entries.stream().map(Snapshot.Entry::name).toList();
  }
}
