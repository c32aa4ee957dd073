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
                s, both, new SecretResolver.CurrentVersions(null, "StoreUnavailable", "down")))
        .isFalse();
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
