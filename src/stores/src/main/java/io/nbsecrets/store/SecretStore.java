package io.nbsecrets.store;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where users' secrets live, double-encrypted. A store never sees a plaintext value: {@code sealed}
 * is the outer envelope (see {@code io.nbsecrets.crypto.Envelope}) and user keys are wrapped under
 * the platform key. Every backend passes the same contract suite ({@code SecretStoreContract}).
 *
 * <p>Users and names are validated by callers ({@link io.nbsecrets.model.SecretNames}); a store
 * treats them as opaque strings and keeps users apart. Implementations are thread-safe. Errors are
 * {@link StoreException}s; their messages name users and secrets, never values.
 */
public interface SecretStore extends AutoCloseable {

  /** Metadata of all the user's secrets, sorted by name. */
  List<SecretMetadata> list(String user);

  /** The user's records for {@code names}; a name without a record is absent from the result. */
  Map<String, StoredSecret> get(String user, Collection<String> names);

  /** All the user's records, sorted by name. */
  List<StoredSecret> getAll(String user);

  /**
   * Whether {@link #getAll} reads the user's records in one request to the backend (one LIST, one
   * query; pages of many records at most), so that reading all of a user's few records costs less
   * than reading some of them one by one. False when it reads each record apart (Vault's KV).
   */
  default boolean readsAllAtOnce() {
    return false;
  }

  /**
   * The longest sealed record, in bytes of UTF-8, the store can hold; {@link Long#MAX_VALUE} when
   * it sets no limit of its own. A longer one is refused before anything is written.
   */
  default long maxSealedBytes() {
    return Long.MAX_VALUE;
  }

  /**
   * Creates the secret (version 1) or replaces its sealed value (version + 1), atomically: two
   * concurrent puts of one name both succeed, one after the other, and neither is lost or torn.
   *
   * @throws TooManySecretsException when creating would give the user more than {@code maxSecrets}
   */
  PutResult put(String user, String name, String sealed, int maxSecrets);

  /** Deletes the secret; false when there was none. */
  boolean delete(String user, String name);

  /** The user's key, wrapped under the platform key; empty when the user has none yet. */
  Optional<String> getUserKey(String user);

  /**
   * Stores {@code wrappedKey} as the user's key unless one exists; returns the key that is stored
   * afterwards (so two racing API replicas agree on one key).
   */
  String putUserKeyIfAbsent(String user, String wrappedKey);

  // --- usage: when a secret was last delivered to a session --------------------------------------

  /** How many names a user's usage record keeps: the most recently used ones. */
  int MAX_USAGE_ENTRIES = 1000;

  /**
   * Notes that the user's secrets {@code names} were delivered to a session at {@code at}, in
   * <b>one write</b> whatever the number of names: a user's usage is one small record (a row per
   * name in the database), written once per snapshot, never per reconcile. Times only move forward:
   * a name whose stored time is later than {@code at} keeps it. Concurrent calls lose no name. The
   * record keeps at most {@link #MAX_USAGE_ENTRIES} names, the most recently used.
   */
  void recordUse(String user, Collection<String> names, Instant at);

  /**
   * When each of the user's secrets was last delivered to a session. An entry may outlive its
   * secret (a delete does not touch usage): callers ignore an entry older than the secret's {@code
   * createdAt}, which also covers a name deleted and stored again.
   */
  Map<String, Instant> lastUsed(String user);

  // --- whole-store operations, for key rotation (never called on a user's behalf) -------------

  /** How many records the store holds, over all users. */
  long count();

  /**
   * Records of all users strictly after {@code after} (from the start when null), in {@link
   * ScanCursor#ORDER}, at most {@code limit} of them; the scan is complete when a page is empty.
   * Pass {@link ScanCursor#after} of a page's last record to get the next page. Every record that
   * exists for the whole scan is returned once; records created, replaced or deleted meanwhile may
   * or may not be. Pages may be shorter than {@code limit}.
   */
  List<ScannedSecret> scan(ScanCursor after, int limit);

  /**
   * Replaces the sealed value of {@code user}'s secret {@code name} with {@code newSealed} if it is
   * still {@code expectedSealed}, atomically, keeping its version and timestamps: a re-encryption
   * under a new key is not a change of the secret (sessions must not see it as stale).
   *
   * @return false if the record is gone or holds another value (a put won; nothing is written)
   */
  boolean rewrap(String user, String name, String expectedSealed, String newSealed);

  /**
   * Wrapped user keys of users strictly after {@code afterUser} (from the start when null), in
   * {@link ScanCursor#UTF8_ORDER}, at most {@code limit}; complete when a page is empty.
   */
  List<WrappedUserKey> scanUserKeys(String afterUser, int limit);

  /**
   * Replaces {@code user}'s wrapped key with {@code newWrapped} if it is still {@code expected},
   * atomically (re-wrapping under a new platform key).
   *
   * @return false if the user has no key or another one (nothing is written)
   */
  boolean rewrapUserKey(String user, String expected, String newWrapped);

  /** Releases connections and threads. */
  @Override
  default void close() {}
}
