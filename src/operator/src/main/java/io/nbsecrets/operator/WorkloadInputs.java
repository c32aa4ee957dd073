package io.nbsecrets.operator;

import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionSpec;
import java.util.List;
import java.util.Map;

/**
 * What every step of a session's StatefulSet reads: the session, its sealed Secret and snapshot,
 * and the operator's config. The steps are pure functions of these, so equal inputs give equal
 * objects and an equal desired hash.
 *
 * @param secretName the session Secret with the sealed values, mounted for the init step
 * @param snapshotHash the snapshot's hash, a pod template annotation: a new snapshot rolls the pod
 * @param legacyManifest null for a snapshot of this version, whose Secret holds the list of files
 *     that the init step reads from the mounted volume; for a snapshot taken by an earlier version,
 *     its manifest, passed as before in the init container's environment ({@link
 *     Workload#FILES_ENV}), so that such a session's pod template — and its desired hash — stay as
 *     they were and an operator upgrade does not restart it. The init image is the operator's, so
 *     an upgrade brings an init step that reads both; a new snapshot (a new selection) is taken in
 *     the new layout and rolls the pod anyway.
 * @param sealedBytes the sealed values' size, from which the in-memory volume is sized
 * @param parallelPods whether the StatefulSet manages its pod in parallel ({@link
 *     WorkloadBase#parallelPods}): true for a new one; false for one an earlier version made, whose
 *     policy the API server does not let change
 */
public record WorkloadInputs(
    NotebookSession session,
    String secretName,
    String snapshotHash,
    List<Snapshot.ManifestEntry> legacyManifest,
    long sealedBytes,
    OperatorConfig config,
    boolean parallelPods) {

  /** The inputs of a new StatefulSet, which manages its pod in parallel. */
  public WorkloadInputs(
      NotebookSession session,
      String secretName,
      String snapshotHash,
      List<Snapshot.ManifestEntry> legacyManifest,
      long sealedBytes,
      OperatorConfig config) {
    this(session, secretName, snapshotHash, legacyManifest, sealedBytes, config, true);
  }

  static final String DEFAULT_MOUNT_PATH = "/secrets";

  String name() {
    return session.getMetadata().getName();
  }

  NotebookSessionSpec spec() {
    return session.getSpec();
  }

  /** Where the session container sees its secrets' files; the default is never written back. */
  String mountPath() {
    return spec().getSecrets() == null
        ? DEFAULT_MOUNT_PATH
        : spec().getSecrets().effectiveMountPath();
  }

  /** Whether the session's files follow the store while it runs ({@code refresh: Live}). */
  boolean live() {
    return spec().getSecrets() != null && spec().getSecrets().live();
  }

  /** Whether the session exports any secret as an environment variable. */
  boolean exportsEnv() {
    return spec().getSecrets() != null && spec().getSecrets().exportsEnv();
  }

  int port() {
    return port(spec());
  }

  /** The labels of the StatefulSet and of its pods. */
  Map<String, String> labels() {
    return Labels.forSession(name(), spec().getUser(), Labels.COMPONENT_WORKLOAD);
  }

  /** The session container's (and Service's) port: the spec's, or the default. */
  static int port(NotebookSessionSpec spec) {
    return spec.getPort() == null ? OperatorConfig.DEFAULT_PORT : spec.getPort();
  }
}
