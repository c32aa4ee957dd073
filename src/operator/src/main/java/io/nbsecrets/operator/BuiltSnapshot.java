package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.Secret;
import io.nbsecrets.model.NotebookSession;

/**
 * The operator's own work for a snapshot, before anything is written: the selected records read and
 * their outer layer removed ({@link SecretResolver#resolve}), the per-session Secret and the
 * snapshot record built, and both checked against the API server's limits. The snapshot step writes
 * them; {@code nbsecrets bench snapshot} measures this work alone.
 */
public record BuiltSnapshot(Snapshot snapshot, Secret secret, SnapshotRecord record) {

  /**
   * Builds the snapshot of {@code session}'s selection.
   *
   * @param allowRemoved leave out a selected secret the store no longer has (a live session)
   * @throws SessionFailure naming what is wrong (a missing secret, a limit, a record that does not
   *     open)
   */
  public static BuiltSnapshot build(
      SecretResolver resolver, NotebookSession session, boolean allowRemoved)
      throws SessionFailure {
    Snapshot snapshot = resolver.resolve(session, allowRemoved);
    Secret sealed = SessionSecrets.desired(session, snapshot);
    SnapshotRecord record =
        SnapshotRecords.desired(session, snapshot, SessionSecrets.dataBytes(sealed));
    // Before either is written: nothing half-made when the API server would refuse one.
    SessionSecrets.requireFits(snapshot, sealed, record);
    return new BuiltSnapshot(snapshot, sealed, record);
  }

  /** Never shows the Secret's data. */
  @Override
  public String toString() {
    return "BuiltSnapshot{" + secret.getMetadata().getName() + "}";
  }
}
