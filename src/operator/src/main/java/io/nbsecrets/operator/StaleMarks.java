package io.nbsecrets.operator;

import io.nbsecrets.model.MountedSecret;
import io.nbsecrets.model.NotebookSessionStatus;
import java.util.List;
import java.util.Objects;

/**
 * The mounted secrets as the status lists them, each marked stale when the store holds another
 * version than the snapshot's.
 */
final class StaleMarks {
  private StaleMarks() {}

  /**
   * The snapshot's entries with their stale marks: from the store's current versions, or, when the
   * store could not say, as the previous status had them (an outage must not clear a mark).
   */
  static List<MountedSecret> mounted(
      List<Snapshot.ManifestEntry> manifest,
      SecretResolver.CurrentVersions current,
      NotebookSessionStatus previous) {
    List<MountedSecret> before =
        previous == null || previous.getSecrets() == null ? List.of() : previous.getSecrets();
    return manifest.stream()
        .map(m -> new MountedSecret(m.name(), m.version(), stale(m, current, before), m.env()))
        .toList();
  }

  private static Boolean stale(
      Snapshot.ManifestEntry m,
      SecretResolver.CurrentVersions current,
      List<MountedSecret> before) {
    if (current.known()) {
      return Objects.equals(current.versions().get(m.name()), m.version()) ? null : Boolean.TRUE;
    }
    return before.stream()
        .filter(b -> m.name().equals(b.getName()) && Objects.equals(m.version(), b.getVersion()))
        .map(MountedSecret::getStale)
        .filter(Objects::nonNull)
        .findFirst()
        .orElse(null);
  }
}
