package io.nbsecrets.rotation;

import io.nbsecrets.crypto.CryptoException;
import io.nbsecrets.rotation.RewrapCounts.Outcome;
import io.nbsecrets.store.ScanCursor;
import io.nbsecrets.store.ScannedSecret;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.StoredSecret;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's records as a {@link RewrapPasses.Source}: a record is replaced by {@link #rewrapped}
 * with a check-and-set ({@link SecretStore#rewrap}); when a put wins the race, the record is read
 * again and handled again, a few times, then left for the next pass. Each rotation gives only its
 * {@link Rewrapper}.
 */
final class RecordRewraps implements RewrapPasses.Source<ScannedSecret, ScanCursor> {
  private static final Logger LOG = LoggerFactory.getLogger(RecordRewraps.class);
  private static final int ATTEMPTS = 3;

  /** What a rotation does to one record. */
  @FunctionalInterface
  interface Rewrapper {
    /**
     * {@code sealed} under the target key, or null when it is under it already.
     *
     * @throws CryptoException when the record cannot be opened (it is left as it is)
     */
    String rewrapped(String user, String name, String sealed);
  }

  private final SecretStore store;
  private final Rewrapper rewrapper;

  /** Unreadable records already logged (each pass meets them again). */
  private final Set<String> reported = ConcurrentHashMap.newKeySet();

  RecordRewraps(SecretStore store, Rewrapper rewrapper) {
    this.store = store;
    this.rewrapper = rewrapper;
  }

  @Override
  public long count() {
    return store.count();
  }

  @Override
  public List<ScannedSecret> page(ScanCursor after, int limit) {
    return store.scan(after, limit);
  }

  @Override
  public ScanCursor cursorAfter(ScannedSecret item) {
    return ScanCursor.after(item);
  }

  @Override
  public Outcome rewrap(ScannedSecret item) {
    String user = item.user();
    String name = item.secret().name();
    String sealed = item.secret().sealed();
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      String next;
      try {
        next = rewrapper.rewrapped(user, name, sealed);
      } catch (CryptoException e) {
        if (reported.add(user + "\u0000" + name)) {
          LOG.warn(
              "secret {} of user {} is unreadable and was left as it is: {}",
              name,
              user,
              e.getMessage());
        }
        return Outcome.UNREADABLE;
      }
      if (next == null) {
        return attempt == 1 ? Outcome.CURRENT : Outcome.CHANGED;
      }
      if (store.rewrap(user, name, sealed, next)) {
        return Outcome.REWRAPPED;
      }
      StoredSecret now = store.get(user, List.of(name)).get(name);
      if (now == null) {
        return Outcome.CHANGED;
      }
      sealed = now.sealed();
    }
    return Outcome.PENDING;
  }
}
