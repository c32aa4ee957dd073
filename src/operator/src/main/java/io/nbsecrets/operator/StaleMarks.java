package io.nbsecrets.operator;

import io.nbsecrets.model.MountedSecret;
import io.nbsecrets.model.NotebookSessionStatus;
import java.util.List;
import java.util.Map;
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
      return current.holds(m.name(), m.version(), m.created()) ? null : Boolean.TRUE;
    }
    return before.stream()
        .filter(b -> m.name().equals(b.getName()) && Objects.equals(m.version(), b.getVersion()))
        .map(MountedSecret::getStale)
        .filter(Objects::nonNull)
        .findFirst()
        .orElse(null);
  }

  /**
   * The mark of version {@code version} of secret {@code name} when the store holds {@code
   * versions}: stale ({@code true}) unless the store holds that very version; null (not stale)
   * otherwise. The status does not say when a mounted record was created, so a secret deleted and
   * stored again at the same version is not seen here: the poller compares whole answers of the
   * store, and a reconcile the snapshot's own manifest, which says.
   */
  static Boolean mark(Map<String, Long> versions, String name, Long version) {
    return Objects.equals(versions.get(name), version) ? null : Boolean.TRUE;
  }
}
