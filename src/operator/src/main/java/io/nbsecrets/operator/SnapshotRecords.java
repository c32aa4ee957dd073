package io.nbsecrets.operator;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.ObjectKeys;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Makes, writes out and reads {@link SnapshotRecord}s: as the annotation of the session's
 * StatefulSet (the usual way), or as a ConfigMap beside the session Secret (a record too large for
 * annotations, or one an earlier version wrote). The operator reads records, never Secrets: so it
 * needs only {@code create} and {@code delete} on Secrets wherever sessions live, and a
 * cluster-wide grant cannot let it read the platform key or anything else that is secret.
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

  /** The StatefulSet's annotation that carries its record. */
  static final String WORKLOAD_ANNOTATION = ObjectKeys.SNAPSHOT_RECORD;

  /**
   * The largest record the StatefulSet carries, in bytes of its annotation's value: half of what
   * the API server allows all of an object's annotations together ({@code
   * TotalAnnotationSizeLimitB}, 256 KiB), so that the other annotations keep their room. A larger
   * record (hundreds of secrets with long names) goes into a ConfigMap.
   */
  static final int WORKLOAD_MAX_BYTES = 128 * 1024;

  private SnapshotRecords() {}

  /** Named like the snapshot's Secret: by the session and a hash of the contents. */
  public static String name(String session, Snapshot snapshot) {
    return session
        + "-snapshot-"
        + SessionSecrets.contentHash(snapshot.selectionHash(), snapshot.manifest(), true);
  }

  /**
   * The record of {@code snapshot}, sealed into a Secret of {@code sealedBytes}: carried by the
   * StatefulSet when it fits ({@link #WORKLOAD_MAX_BYTES}), else by a ConfigMap (not written yet).
   */
  public static SnapshotRecord desired(
      NotebookSession session, Snapshot snapshot, long sealedBytes) {
    String sessionName = session.getMetadata().getName();
    Map<String, String> data = new LinkedHashMap<>();
    data.put(SECRET, SessionSecrets.name(sessionName, snapshot));
    data.put(SEALED_BYTES, Long.toString(sealedBytes));
    data.put(MANIFEST, SessionSecrets.toJson(snapshot.manifest()));
    data.put(MANIFEST_KEY, SessionSecrets.MANIFEST_KEY);
    if (snapshot.live()) {
      data.put(REFRESH, io.nbsecrets.model.Refresh.Live.name());
    }
    SnapshotRecord record =
        new SnapshotRecord(name(sessionName, snapshot), snapshot.selectionHash(), data, null);
    return annotationBytes(record) <= WORKLOAD_MAX_BYTES
        ? record
        : record.carriedBy(configMap(session, record));
  }

  /** The ConfigMap that carries {@code record}, owned by {@code session}. */
  static ConfigMap configMap(NotebookSession session, SnapshotRecord record) {
    String sessionName = session.getMetadata().getName();
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(record.name())
        .withNamespace(session.getMetadata().getNamespace())
        .withLabels(
            Labels.forSession(sessionName, session.getSpec().getUser(), Labels.COMPONENT_SNAPSHOT))
        .withAnnotations(Map.of(Labels.SELECTION_HASH, record.selectionHash()))
        .withOwnerReferences(Owners.controllerReference(session))
        .endMetadata()
        .withImmutable(true)
        .withData(record.data())
        .build();
  }

  /** The record a ConfigMap carries (its selection hash null when the annotation is missing). */
  public static SnapshotRecord of(ConfigMap configMap) {
    Map<String, String> annotations = configMap.getMetadata().getAnnotations();
    return new SnapshotRecord(
        configMap.getMetadata().getName(),
        annotations == null ? null : annotations.get(Labels.SELECTION_HASH),
        configMap.getData(),
        configMap);
  }

  /** The annotation's value that carries {@code record} in the StatefulSet. */
  static String annotation(SnapshotRecord record) {
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("name", record.name());
    value.put("selectionHash", record.selectionHash());
    value.put("data", new TreeMap<>(record.data()));
    return SessionSecrets.toJson(value);
  }

  private static long annotationBytes(SnapshotRecord record) {
    return annotation(record).getBytes(StandardCharsets.UTF_8).length;
  }

  /**
   * The record {@code sts} (may be null) carries; empty when it carries none, or one that does not
   * read as a record (a damaged annotation is never followed: a new snapshot replaces it).
   */
  public static Optional<SnapshotRecord> ofWorkload(StatefulSet sts) {
    if (sts == null || sts.getMetadata().getAnnotations() == null) {
      return Optional.empty();
    }
    String value = sts.getMetadata().getAnnotations().get(WORKLOAD_ANNOTATION);
    if (value == null) {
      return Optional.empty();
    }
    try {
      Carried carried = SessionSecrets.JSON.readValue(value, Carried.class);
      if (carried.name() == null
          || carried.selectionHash() == null
          || carried.data() == null
          || carried.data().containsKey(null)
          || carried.data().containsValue(null)) {
        return Optional.empty();
      }
      SnapshotRecord record =
          new SnapshotRecord(carried.name(), carried.selectionHash(), carried.data(), null);
      record.manifest(); // readable, or not followed
      record.sealedBytes();
      return Optional.of(record);
    } catch (JsonProcessingException | IllegalStateException e) {
      return Optional.empty();
    }
  }

  /** The annotation's value as it reads. */
  record Carried(String name, String selectionHash, Map<String, String> data) {}
}
