package io.nbsecrets.operator;

import io.nbsecrets.crypto.CryptoException;
import io.nbsecrets.crypto.DataKeyUnwrapper;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.crypto.RecordBindingException;
import io.nbsecrets.crypto.SessionKeyRing;
import io.nbsecrets.crypto.UnknownKeyException;
import io.nbsecrets.keys.LiveKey;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.model.SecretsSpec;
import io.nbsecrets.store.SecretMetadata;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.StoreException;
import io.nbsecrets.store.StoreUnavailableException;
import io.nbsecrets.store.StoredSecret;
import io.nbsecrets.util.Hashes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Takes a snapshot of a session's secrets: reads the records from the store and removes their outer
 * layer. All or nothing: any missing or unreadable secret fails the whole snapshot.
 */
public final class SecretResolver {
  private final SecretStore store;
  private final LiveKey<SessionKeyRing> keys;
  private final DataKeyUnwrapper transit;

  public SecretResolver(SecretStore store, SessionKeyRing keys) {
    this(store, LiveKey.fixed(keys), null);
  }

  /**
   * A resolver whose keys follow a rotation ({@link io.nbsecrets.keys.SessionKeys#watch}).
   *
   * @param transit a Vault Transit key that also wraps records' data keys, or null
   */
  public SecretResolver(SecretStore store, LiveKey<SessionKeyRing> keys, DataKeyUnwrapper transit) {
    this.store = store;
    this.keys = keys;
    this.transit = transit;
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
    String user = session.getSpec().getUser();
    SecretsSpec selection = session.getSpec().getSecrets();
    List<SecretItem> items = selection == null ? List.of() : selection.itemsOrEmpty();
    Map<String, String> fileNames = new LinkedHashMap<>();
    items.forEach(i -> fileNames.put(i.getName(), i.effectiveFileName()));

    Map<String, StoredSecret> records;
    try {
      if (selection != null && selection.includesAll()) {
        records = new TreeMap<>();
        store.getAll(user).forEach(r -> records.put(r.name(), r));
      } else {
        records = new TreeMap<>(store.get(user, fileNames.keySet()));
      }
    } catch (StoreUnavailableException e) {
      throw new SessionFailure(
          SessionFailure.Scope.SECRETS, Reason.STORE_UNAVAILABLE, e.getMessage(), e);
    } catch (StoreException e) {
      throw new SessionFailure(SessionFailure.Scope.SECRETS, Reason.STORE_ERROR, e.getMessage(), e);
    }

    List<String> missing =
        fileNames.keySet().stream().filter(n -> !records.containsKey(n)).sorted().toList();
    if (!missing.isEmpty()) {
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
      entries.add(
          new Snapshot.Entry(record.name(), file, record.version(), openOuter(user, record)));
    }
    return new Snapshot(selectionHash(session), List.copyOf(entries));
  }

  /**
   * The store's current versions of a user's secrets, to mark the snapshot's stale entries, or why
   * the store could not say ({@code versions} null; a reason of the {@code resolve} family and the
   * store's message, which names users and secrets, never values).
   */
  public record CurrentVersions(Map<String, Long> versions, String reason, String message) {
    public static CurrentVersions of(Map<String, Long> versions) {
      return new CurrentVersions(Map.copyOf(versions), null, null);
    }

    public boolean known() {
      return versions != null;
    }

    /** The metric tag: {@code ok} or the failure's reason (a fixed set). */
    public String result() {
      return known() ? "ok" : reason;
    }
  }

  /** One metadata call to the store (no record is opened); never throws for a store failure. */
  public CurrentVersions currentVersions(String user) {
    try {
      return CurrentVersions.of(
          store.list(user).stream()
              .collect(Collectors.toMap(SecretMetadata::name, SecretMetadata::version)));
    } catch (StoreUnavailableException e) {
      return new CurrentVersions(null, Reason.STORE_UNAVAILABLE.value(), e.getMessage());
    } catch (StoreException e) {
      return new CurrentVersions(null, Reason.STORE_ERROR.value(), e.getMessage());
    }
  }

  private String openOuter(String user, StoredSecret record) throws SessionFailure {
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
