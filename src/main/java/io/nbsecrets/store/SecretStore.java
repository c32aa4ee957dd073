package io.nbsecrets.store;

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

  /** Releases connections and threads. */
  @Override
  default void close() {}
}
