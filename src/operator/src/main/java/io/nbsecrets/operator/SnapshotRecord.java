package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.nbsecrets.model.Refresh;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The record of a session's snapshot: which Secret holds it, what is in it (names, file names,
 * versions; never values) and how large it is. The operator reads records, never Secrets.
 *
 * <p>A record travels in the session's StatefulSet (an annotation, {@link
 * SnapshotRecords#WORKLOAD_ANNOTATION}), written with the workload that mounts its Secret: no write
 * of its own. A ConfigMap carries it instead when it is too large for annotations, or when an
 * earlier version wrote it.
 *
 * @param name named like the snapshot's Secret: by the session and a hash of the contents
 * @param selectionHash the hash of the selection it snapshots
 * @param data what it says, under {@link SnapshotRecords}' keys
 * @param configMap the ConfigMap that carries it; null when the StatefulSet does (or will)
 */
public record SnapshotRecord(
    String name, String selectionHash, Map<String, String> data, ConfigMap configMap) {

  public SnapshotRecord {
    data = data == null ? Map.of() : Map.copyOf(data);
  }

  /** The same record, carried by {@code carrier}. */
  SnapshotRecord carriedBy(ConfigMap carrier) {
    return new SnapshotRecord(name, selectionHash, data, carrier);
  }

  /** Whether a ConfigMap carries it (rather than the StatefulSet). */
  boolean inConfigMap() {
    return configMap != null;
  }

  /**
   * The name of the record's Secret, derived from what the record says the snapshot holds; empty
   * when the record names another Secret or its manifest cannot be read (a forged or damaged
   * record, never followed, and deleted with the superseded ones).
   */
  public Optional<String> secretName(String session) {
    String derived;
    try {
      derived =
          live()
              ? SessionSecrets.liveName(session)
              : SessionSecrets.name(session, selectionHash, manifest(), manifestInSecret());
    } catch (IllegalStateException damaged) {
      return Optional.empty();
    }
    return derived.equals(data.get(SnapshotRecords.SECRET))
        ? Optional.of(derived)
        : Optional.empty();
  }

  /** Whether the record is of a {@code refresh: Live} snapshot, whose Secret is updated. */
  public boolean live() {
    return Refresh.Live.name().equals(data.get(SnapshotRecords.REFRESH));
  }

  /** Whether the record's Secret holds its manifest (a snapshot of this version). */
  public boolean manifestInSecret() {
    return SessionSecrets.MANIFEST_KEY.equals(data.get(SnapshotRecords.MANIFEST_KEY));
  }

  /** The size of its data as the API server counts a ConfigMap's (UTF-8 bytes of the values). */
  long dataBytes() {
    return data.values().stream().mapToLong(v -> v.getBytes(StandardCharsets.UTF_8).length).sum();
  }

  /** The size of the sealed values in its Secret. */
  public long sealedBytes() {
    String n = data.get(SnapshotRecords.SEALED_BYTES);
    try {
      return n == null ? 0 : Long.parseLong(n);
    } catch (NumberFormatException e) {
      throw new IllegalStateException("snapshot record " + name + " has an unreadable size", e);
    }
  }

  /** Which secrets its Secret holds: names, files, versions and variables. */
  public List<Snapshot.ManifestEntry> manifest() {
    return SessionSecrets.parseManifest(
        data.get(SnapshotRecords.MANIFEST), "snapshot record " + name);
  }
}
