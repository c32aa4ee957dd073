package io.nbsecrets.api;

import io.nbsecrets.crypto.DataKeyWrapper;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.Fernet;
import io.nbsecrets.crypto.SessionPublicKey;
import io.nbsecrets.keys.SessionKeys;
import io.nbsecrets.model.SecretNames;
import io.nbsecrets.store.PutResult;
import io.nbsecrets.store.SecretMetadata;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.StoreException;
import io.nbsecrets.store.StoredSecret;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores, lists and deletes users' secrets, double-encrypted: the value under the user's Fernet key
 * (inner layer), that token sealed for the session key pair and bound to owner and name (outer
 * layer). This service holds only the session <em>public</em> key, so it can never decrypt what it
 * stores.
 *
 * <p>Validates its input itself (names, empty and oversized values; the store enforces the count),
 * so every caller gets the same rules.
 */
public final class SecretService {
  private static final Logger LOG = LoggerFactory.getLogger(SecretService.class);

  /** A user name no human can have ({@code system:} is reserved by Kubernetes): readiness probe. */
  static final String PROBE_USER = "system:nbsecrets:readiness-probe";

  private final SecretStore store;
  private final UserKeyService userKeys;
  private final Supplier<? extends DataKeyWrapper> sessionKey;
  private final ApiConfig config;

  public SecretService(
      SecretStore store, UserKeyService userKeys, SessionPublicKey sessionKey, ApiConfig config) {
    this(store, userKeys, fixed(sessionKey), config);
  }

  private static Supplier<DataKeyWrapper> fixed(SessionPublicKey key) {
    Objects.requireNonNull(key, "sessionKey");
    return () -> key;
  }

  /**
   * A service whose outer-layer key may change: the session public key following a rotation ({@link
   * SessionKeys#watchPublicKey}), or a Vault Transit key.
   */
  public SecretService(
      SecretStore store,
      UserKeyService userKeys,
      Supplier<? extends DataKeyWrapper> sessionKey,
      ApiConfig config) {
    this.store = Objects.requireNonNull(store, "store");
    this.userKeys = Objects.requireNonNull(userKeys, "userKeys");
    this.sessionKey = Objects.requireNonNull(sessionKey, "sessionKey");
    this.config = Objects.requireNonNull(config, "config");
  }

  /**
   * Creates or replaces {@code user}'s secret {@code name}.
   *
   * @throws ApiException 400 for an invalid name or an empty value, 413 for a value over the limit
   * @throws io.nbsecrets.store.TooManySecretsException when the user has too many secrets
   */
  public PutResult put(String user, String name, byte[] value) {
    checkName(name);
    if (value == null || value.length == 0) {
      throw ApiException.badRequest("invalid_value", "value must not be empty");
    }
    if (value.length > config.maxValueBytes()) {
      throw new ApiException(
          413,
          "value_too_large",
          "value is " + value.length + " bytes; the limit is " + config.maxValueBytes() + " bytes");
    }
    byte[] inner =
        Fernet.fromKey(userKeys.getOrCreate(user))
            .encrypt(value)
            .getBytes(StandardCharsets.US_ASCII);
    DataKeyWrapper key = sessionKey.get();
    String sealed = Envelope.seal(key, user, name, inner);
    requireStoreHolds(value.length, sealed);
    PutResult result = store.put(user, name, sealed, config.maxSecretsPerUser());
    resealIfTheKeyChanged(user, name, key, sealed, inner);
    return result;
  }

  /**
   * Refuses, before anything is written, a value whose record is longer than the store holds (the
   * {@code kubernetes} store keeps a record in one Secret, 1 MiB): a value's record takes about 1.8
   * times its bytes, both layers encoded, so {@code api.maxValueBytes} may allow more than the
   * store can hold.
   */
  private void requireStoreHolds(int valueBytes, String sealed) {
    long max = store.maxSealedBytes();
    long bytes = sealed.length(); // a sealed record is ASCII: one byte per character
    if (bytes > max) {
      long fits = Math.max(0, (long) valueBytes * max / bytes - 4096);
      throw new ApiException(
          413,
          "value_too_large",
          "value is "
              + valueBytes
              + " bytes, "
              + bytes
              + " once encrypted, and the secret store holds records of at most "
              + max
              + " bytes (values up to about "
              + fits
              + " bytes): store a smaller value (and an administrator may lower api.maxValueBytes"
              + " to match)");
    }
  }

  /**
   * After a write: when the session key changed while it was under way (a rotation made a new key
   * current), the record is sealed again under the new key, unless another write replaced it
   * meanwhile. A store write can take longer than the rotation waits before its passes (retries, a
   * slow database), and a record sealed under the old key that lands behind the last pass's cursor
   * would become unreadable once the old key is dropped.
   */
  private void resealIfTheKeyChanged(
      String user, String name, DataKeyWrapper key, String sealed, byte[] inner) {
    for (int attempt = 0; attempt < 3; attempt++) {
      DataKeyWrapper now = sessionKey.get();
      if (now.keyId().equals(key.keyId())) {
        return;
      }
      String resealed = Envelope.seal(now, user, name, inner);
      if (!store.rewrap(user, name, sealed, resealed)) {
        return; // replaced by another write since, which seals for itself
      }
      LOG.info(
          "secret {} of {}: sealed again under session key {}, made current while it was written",
          name,
          user,
          now.keyId());
      key = now;
      sealed = resealed;
    }
  }

  /** Metadata of the user's secrets, sorted by name. */
  public List<SecretMetadata> list(String user) {
    return store.list(user);
  }

  /**
   * When each of the user's secrets was last delivered to a session (see {@link
   * SecretStore#lastUsed}). Informational: when the store cannot say (e.g. the API may not read the
   * usage record), the answer is empty and a warning is logged, and the secrets still list.
   */
  public Map<String, Instant> lastUsed(String user) {
    try {
      return store.lastUsed(user);
    } catch (StoreException e) {
      LOG.warn("could not read when the secrets of {} were last used: {}", user, e.getMessage());
      return Map.of();
    }
  }

  /** Metadata of one secret. */
  public Optional<SecretMetadata> get(String user, String name) {
    checkName(name);
    return Optional.ofNullable(store.get(user, List.of(name)).get(name))
        .map(StoredSecret::metadata);
  }

  /** Deletes the secret; false when there was none. */
  public boolean delete(String user, String name) {
    checkName(name);
    return store.delete(user, name);
  }

  /**
   * Asks the store a cheap question (one user-key read).
   *
   * @throws io.nbsecrets.store.StoreException when it cannot answer
   */
  public void checkStore() {
    store.getUserKey(PROBE_USER);
  }

  private static void checkName(String name) {
    SecretNames.problem(name)
        .ifPresent(
            problem -> {
              throw ApiException.badRequest("invalid_name", problem);
            });
  }
}
