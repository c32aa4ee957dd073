package io.nbsecrets.rotation;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.nbsecrets.crypto.CryptoException;
import io.nbsecrets.crypto.PlatformKey;
import io.nbsecrets.crypto.UserKeys;
import io.nbsecrets.keys.PlatformKeys;
import io.nbsecrets.rotation.RewrapCounts.Outcome;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.WrappedUserKey;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rotates the platform key, which wraps users' keys at rest ({@link KeyRotation} has the steps).
 * Only the secrets APIs hold it; they watch its Secret. Re-wrapping unwraps each user key in this
 * process's memory and wraps it again at once; no record is touched (records are encrypted with the
 * user keys, which do not change).
 */
public final class PlatformKeyRotation extends KeyRotation<WrappedUserKey, String> {
  /** The ConfigMap holding an interrupted rotation's cursor. */
  public static final String STATE = "nbsecrets-rotation-platform-key";

  private static final Logger LOG = LoggerFactory.getLogger(PlatformKeyRotation.class);
  private static final int REWRAP_ATTEMPTS = 3;

  public PlatformKeyRotation(
      KubernetesClient client,
      String namespace,
      SecretStore store,
      RotationOptions options,
      RotationListener listener,
      MeterRegistry registry) {
    super(new KeySecrets(client, namespace), store, new RotationRun(options, listener, registry));
  }

  @Override
  String kind() {
    return "platform";
  }

  @Override
  String secretName() {
    return PlatformKeys.SECRET_NAME;
  }

  @Override
  String stateName() {
    return STATE;
  }

  @Override
  NewKey generateKey(Secret current) {
    PlatformKey key = PlatformKey.generate();
    return new NewKey(key.id(), key.id(), KeySecrets.encode(key.encoded()));
  }

  @Override
  String entryOf(String id) {
    return id;
  }

  @Override
  boolean isKeyEntry(String entry) {
    return !entry.equals(KeySecrets.CURRENT);
  }

  @Override
  String idOfEntry(String entry) {
    return entry;
  }

  @Override
  String currentId(Secret secret) {
    return PlatformKeys.fromSecret(secret).current().id();
  }

  @Override
  RewrapPasses.Source<WrappedUserKey, String> source(Secret secret, String target) {
    return new UserKeysSource(PlatformKeys.fromSecret(secret));
  }

  @Override
  String cursorFrom(Map<String, String> state) {
    return state.get("afterUser");
  }

  @Override
  Map<String, String> cursorTo(String cursor) {
    return Map.of("afterUser", cursor);
  }

  /** Users' keys, re-wrapped under the current platform key. */
  private final class UserKeysSource implements RewrapPasses.Source<WrappedUserKey, String> {
    private final PlatformKeys.Ring ring;

    /** Unreadable user keys already logged (each pass meets them again). */
    private final Set<String> reported = ConcurrentHashMap.newKeySet();

    UserKeysSource(PlatformKeys.Ring ring) {
      this.ring = ring;
    }

    @Override
    public long count() {
      // No count of user keys in the contract: progress shows users handled, not a fraction.
      return -1;
    }

    @Override
    public List<WrappedUserKey> page(String after, int limit) {
      return store.scanUserKeys(after, limit);
    }

    @Override
    public String cursorAfter(WrappedUserKey item) {
      return item.user();
    }

    @Override
    public Outcome rewrap(WrappedUserKey item) {
      String user = item.user();
      String wrapped = item.wrappedKey();
      String target = ring.current().id();
      for (int attempt = 1; attempt <= REWRAP_ATTEMPTS; attempt++) {
        String rewrapped;
        try {
          if (UserKeys.platformKeyId(wrapped).equals(target)) {
            return attempt == 1 ? Outcome.CURRENT : Outcome.CHANGED;
          }
          rewrapped =
              UserKeys.wrap(ring.current(), user, UserKeys.unwrap(ring.all(), user, wrapped));
        } catch (CryptoException e) {
          if (reported.add(user)) {
            LOG.warn(
                "the key of user {} is unreadable and was left as it is: {}", user, e.getMessage());
          }
          return Outcome.UNREADABLE;
        }
        if (store.rewrapUserKey(user, wrapped, rewrapped)) {
          return Outcome.REWRAPPED;
        }
        Optional<String> now = store.getUserKey(user);
        if (now.isEmpty()) {
          return Outcome.CHANGED;
        }
        wrapped = now.get();
      }
      return Outcome.PENDING;
    }
  }
}
