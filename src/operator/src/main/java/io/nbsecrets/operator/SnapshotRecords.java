package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.nbsecrets.model.NotebookSession;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The record of a session's snapshot: a ConfigMap beside the session Secret that says which Secret
 * holds the snapshot, what is in it (names, file names, versions; never values) and how large it
 * is. The operator reads records, never Secrets: so it needs only {@code create} and {@code delete}
 * on Secrets wherever sessions live, and a cluster-wide grant cannot let it read the platform key
 * or anything else that is secret.
 */
public final class SnapshotRecords {
  static final String MANIFEST = "manifest.json";
  static final String SECRET = "secret";
  static final String SEALED_BYTES = "sealedBytes";

  /**
   * Present (naming {@link SessionSecrets#MANIFEST_KEY}) in the records of this version, whose
   * Secrets hold their manifest; absent in those of earlier versions, whose pods keep receiving the
   * manifest in the init container's environment, so that an operator upgrade neither restarts
   * their sessions nor leaves their init step without its list of files.
   */
  static final String MANIFEST_KEY = "manifestKey";

  /** {@code Live} in the records of {@code refresh: Live} snapshots, whose Secret is updated. */
  static final String REFRESH = "refresh";

  private SnapshotRecords() {}

  /** Named like the snapshot's Secret: by the session and a hash of the contents. */
  public static String name(String session, Snapshot snapshot) {
    return session
        + "-snapshot-"
        + SessionSecrets.contentHash(snapshot.selectionHash(), snapshot.manifest(), true);
  }

  /** The record of {@code snapshot}, sealed into a Secret of {@code sealedBytes}. */
  public static ConfigMap desired(NotebookSession session, Snapshot snapshot, long sealedBytes) {
    String sessionName = session.getMetadata().getName();
    Map<String, String> data = new LinkedHashMap<>();
    data.put(SECRET, SessionSecrets.name(sessionName, snapshot));
    data.put(SEALED_BYTES, Long.toString(sealedBytes));
    data.put(MANIFEST, SessionSecrets.toJson(snapshot.manifest()));
    data.put(MANIFEST_KEY, SessionSecrets.MANIFEST_KEY);
    if (snapshot.live()) {
      data.put(REFRESH, io.nbsecrets.model.Refresh.Live.name());
    }
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(name(sessionName, snapshot))
        .withNamespace(session.getMetadata().getNamespace())
        .withLabels(
            Labels.forSession(sessionName, session.getSpec().getUser(), Labels.COMPONENT_SNAPSHOT))
        .withAnnotations(Map.of(Labels.SELECTION_HASH, snapshot.selectionHash()))
        .withOwnerReferences(Owners.controllerReference(session))
        .endMetadata()
        .withImmutable(true)
        .withData(data)
        .build();
  }

  public static String selectionHash(ConfigMap record) {
    return record.getMetadata().getAnnotations() == null
        ? null
        : record.getMetadata().getAnnotations().get(Labels.SELECTION_HASH);
  }

  /**
   * The name of the record's Secret, derived from what the record says the snapshot holds; empty
   * when the record names another Secret (a forged or damaged record, never followed).
   */
  public static java.util.Optional<String> secretName(String session, ConfigMap record) {
    String derived =
        live(record)
            ? SessionSecrets.liveName(session)
            : SessionSecrets.name(
                session, selectionHash(record), manifest(record), manifestInSecret(record));
    return derived.equals(data(record).get(SECRET))
        ? java.util.Optional.of(derived)
        : java.util.Optional.empty();
  }

  /** Whether the record is of a {@code refresh: Live} snapshot, whose Secret is updated. */
  public static boolean live(ConfigMap record) {
    return io.nbsecrets.model.Refresh.Live.name().equals(data(record).get(REFRESH));
  }

  /** Whether the record's Secret holds its manifest (a snapshot of this version). */
  public static boolean manifestInSecret(ConfigMap record) {
    return SessionSecrets.MANIFEST_KEY.equals(data(record).get(MANIFEST_KEY));
  }

  /** The size of a record's data as the API server counts it (UTF-8 bytes of the values). */
  static long dataBytes(ConfigMap record) {
    return data(record).values().stream()
        .mapToLong(v -> v.getBytes(java.nio.charset.StandardCharsets.UTF_8).length)
        .sum();
  }

  public static long sealedBytes(ConfigMap record) {
    String n = data(record).get(SEALED_BYTES);
    try {
      return n == null ? 0 : Long.parseLong(n);
    } catch (NumberFormatException e) {
      throw new IllegalStateException(
          "snapshot record " + record.getMetadata().getName() + " has an unreadable size", e);
    }
  }

  public static List<Snapshot.ManifestEntry> manifest(ConfigMap record) {
    return SessionSecrets.parseManifest(
        data(record).get(MANIFEST), "snapshot record " + record.getMetadata().getName());
  }

  private static Map<String, String> data(ConfigMap record) {
    return record.getData() == null ? Map.of() : record.getData();
  }
}
