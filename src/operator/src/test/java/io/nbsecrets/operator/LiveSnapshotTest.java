package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.Refresh;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.model.SecretsSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** When a live session's snapshot is behind the store, and what its Event says. */
class LiveSnapshotTest {
  private static NotebookSession live(Boolean all, String... items) {
    NotebookSession s = Sessions.session("ns", "nb", "erin");
    s.getSpec()
        .setSecrets(
            new SecretsSpec(
                null,
                all,
                null,
                Refresh.Live,
                java.util.Arrays.stream(items).map(n -> new SecretItem(n, null)).toList()));
    return s;
  }

  private static List<Snapshot.ManifestEntry> mounted(Object... nameVersion) {
    List<Snapshot.ManifestEntry> out = new java.util.ArrayList<>();
    for (int i = 0; i < nameVersion.length; i += 2) {
      String n = (String) nameVersion[i];
      out.add(new Snapshot.ManifestEntry(n, n, (Long) nameVersion[i + 1]));
    }
    return out;
  }

  private static SecretResolver.CurrentVersions store(Map<String, Long> versions) {
    return SecretResolver.CurrentVersions.of(versions);
  }

  @Test
  void aSelectionIsBehindWhenASecretWasReplacedDeletedOrStoredAgain() {
    NotebookSession s = live(null, "A", "B");
    var both = mounted("A", 1L, "B", 1L);
    assertThat(SnapshotStep.outdated(s, both, store(Map.of("A", 1L, "B", 1L, "other", 9L))))
        .isFalse();
    assertThat(SnapshotStep.outdated(s, both, store(Map.of("A", 2L, "B", 1L)))).isTrue();
    assertThat(SnapshotStep.outdated(s, both, store(Map.of("A", 1L)))).isTrue();
    // B was deleted and left out; stored again, it is taken again.
    var onlyA = mounted("A", 1L);
    assertThat(SnapshotStep.outdated(s, onlyA, store(Map.of("A", 1L)))).isFalse();
    assertThat(SnapshotStep.outdated(s, onlyA, store(Map.of("A", 1L, "B", 3L)))).isTrue();
    // A store that did not answer changes nothing.
    assertThat(
            SnapshotStep.outdated(
                s, both, SecretResolver.CurrentVersions.failed("StoreUnavailable", "down")))
        .isFalse();
  }

  @Test
  void aSecretDeletedAndStoredAgainAtTheSameVersionIsBehindByItsCreationTime() {
    NotebookSession s = live(null, "A");
    var taken = List.of(new Snapshot.ManifestEntry("A", "A", 1, null, 1_000L));
    assertThat(SnapshotStep.outdated(s, taken, created("A", 1L, 1_000L))).isFalse();
    // Versions start again at 1: the creation time alone tells the new record from the one taken.
    assertThat(SnapshotStep.outdated(s, taken, created("A", 1L, 2_000L))).isTrue();
    // A snapshot taken before creation times were kept, or a store answer without them, is
    // compared by version alone (an upgrade takes no new snapshot).
    assertThat(SnapshotStep.outdated(s, mounted("A", 1L), created("A", 1L, 2_000L))).isFalse();
    assertThat(SnapshotStep.outdated(s, taken, store(Map.of("A", 1L)))).isFalse();
  }

  @Test
  void aSecretDeletedAndStoredAgainIsMarkedStale() {
    var taken = List.of(new Snapshot.ManifestEntry("A", "A", 1, null, 1_000L));
    assertThat(StaleMarks.mounted(taken, created("A", 1L, 1_000L), null))
        .extracting(io.nbsecrets.model.MountedSecret::getStale)
        .containsExactly((Boolean) null);
    assertThat(StaleMarks.mounted(taken, created("A", 1L, 2_000L), null))
        .extracting(io.nbsecrets.model.MountedSecret::getStale)
        .containsExactly(true);
  }

  /** The store's answer: one secret, its version and creation time. */
  private static SecretResolver.CurrentVersions created(String name, long version, long millis) {
    return SecretResolver.CurrentVersions.of(
        List.of(
            new io.nbsecrets.store.SecretMetadata(
                name,
                version,
                java.time.Instant.ofEpochMilli(millis),
                java.time.Instant.ofEpochMilli(millis))));
  }

  @Test
  void aSelectionOfAllIsBehindWhenTheUserStoredAnotherSecret() {
    NotebookSession s = live(true);
    var one = mounted("A", 1L);
    assertThat(SnapshotStep.outdated(s, one, store(Map.of("A", 1L)))).isFalse();
    assertThat(SnapshotStep.outdated(s, one, store(Map.of("A", 1L, "new", 1L)))).isTrue();
  }

  @Test
  void theEventNamesWhatChangedByNameAndVersionOnly() {
    NotebookSession s = live(null, "A", "B", "C");
    Snapshot next =
        new Snapshot(
            "h",
            List.of(
                new Snapshot.Entry("A", "A", 2, "token-a"),
                new Snapshot.Entry("B", "B", 1, "token-b"),
                new Snapshot.Entry("D", "D", 1, "token-d")),
            true);
    SnapshotRecord record = SnapshotRecords.desired(s, next, 100);
    assertThat(SnapshotStep.refreshed(mounted("A", 1L, "B", 1L, "C", 4L), record))
        .hasValue(
            "updated the running session's secrets: A (version 1 to 2), D (added, version 1), C"
                + " (deleted: its file is removed); files follow within the kubelet's update of"
                + " the volume, variables on restart");
    assertThat(SnapshotStep.refreshed(mounted("A", 2L, "B", 1L, "D", 1L), record)).isEmpty();
    Snapshot again =
        new Snapshot("h", List.of(new Snapshot.Entry("A", "A", 1, "token-a2", null, 2_000L)), true);
    assertThat(
            SnapshotStep.refreshed(
                List.of(new Snapshot.ManifestEntry("A", "A", 1, null, 1_000L)),
                SnapshotRecords.desired(s, again, 100)))
        .hasValue(
            "updated the running session's secrets: A (deleted and stored again, version 1);"
                + " files follow within the kubelet's update of the volume, variables on restart");
    assertThat(record.live()).isTrue();
    assertThat(record.secretName("nb")).hasValue(SessionSecrets.liveName("nb"));
    assertThat(SessionSecrets.desired(s, next).getImmutable()).isNull();
  }

  @Test
  void anInPlaceUpdateReplacesTheDataWholeAndSetsOnlyTheOperatorsKeys() {
    io.fabric8.kubernetes.api.model.Secret desired =
        new io.fabric8.kubernetes.api.model.SecretBuilder()
            .withNewMetadata()
            .withName("nb-secrets-live")
            .addToLabels("nbsecrets.io/session", "nb")
            .addToAnnotations("a~b", "x")
            .endMetadata()
            .addToData("TOKEN", "dG9r")
            .build();
    assertThat(SnapshotStep.replaceDataPatch(desired))
        .containsExactly(
            Map.of("op", "add", "path", "/data", "value", Map.of("TOKEN", "dG9r")),
            Map.of("op", "add", "path", "/metadata/labels/nbsecrets.io~1session", "value", "nb"),
            Map.of("op", "add", "path", "/metadata/annotations/a~0b", "value", "x"));
  }
}
