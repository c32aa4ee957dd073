package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.nbsecrets.model.NotebookSession;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where a snapshot's record rides, how it reads back, and what the StatefulSet carries. */
class SnapshotRecordsTest {
  private static final NotebookSession SESSION = Sessions.session("alice", "nb", "alice", "KEY");
  private static final Snapshot SNAPSHOT =
      new Snapshot(
          "0123456789abcdef",
          List.of(
              new Snapshot.Entry("KEY", "key", 3, "gAAAAABfake-token"),
              new Snapshot.Entry("OTHER", "other", 1, "gAAAAABother-token")));

  private static StatefulSet workload(String secretName, Map<String, String> carried) {
    return Workload.statefulSet(
        new WorkloadInputs(SESSION, secretName, "abcdef0123", null, 2000, Sessions.config()),
        carried);
  }

  @Test
  void aRecordThatFitsRidesInTheStatefulSetAndReadsBackAsItWas() {
    SnapshotRecord record = SnapshotRecords.desired(SESSION, SNAPSHOT, 1234);
    assertThat(record.inConfigMap()).isFalse();
    String secretName = record.secretName("nb").orElseThrow();
    StatefulSet sts = workload(secretName, WorkloadStep.carried("nb", record, secretName, null));

    SnapshotRecord read = SnapshotRecords.ofWorkload(sts).orElseThrow();
    assertThat(read.name()).isEqualTo(record.name());
    assertThat(read.selectionHash()).isEqualTo(record.selectionHash());
    assertThat(read.data()).isEqualTo(record.data());
    assertThat(read.inConfigMap()).isFalse();
    assertThat(read.secretName("nb")).hasValue(secretName);
    assertThat(read.sealedBytes()).isEqualTo(1234);
    assertThat(read.manifest())
        .containsExactly(
            new Snapshot.ManifestEntry("KEY", "key", 3),
            new Snapshot.ManifestEntry("OTHER", "other", 1));
    // Nothing of a value: only names, files, versions and sizes.
    assertThat(sts.getMetadata().getAnnotations().get(SnapshotRecords.WORKLOAD_ANNOTATION))
        .doesNotContain("fake-token")
        .doesNotContain("other-token");
    // The record as read back is carried as it was: a pass that changes nothing writes nothing.
    assertThat(
            Workload.desiredHash(
                workload(secretName, WorkloadStep.carried("nb", read, secretName, sts))))
        .isEqualTo(Workload.desiredHash(sts));
  }

  @Test
  void theStatefulSetCarriesRecordsUpTo128KiBAndAConfigMapTheLargerOnes() {
    // Secrets with names of 128 characters: about 300 bytes of record each (a name and a file).
    int fits = 0;
    for (int step = 512; step > 0; step /= 2) {
      if (!SnapshotRecords.desired(SESSION, longNames(fits + step), 1).inConfigMap()) {
        fits += step;
      }
    }
    SnapshotRecord largest = SnapshotRecords.desired(SESSION, longNames(fits), 1);
    SnapshotRecord tooLarge = SnapshotRecords.desired(SESSION, longNames(fits + 1), 1);
    assertThat(fits).isBetween(300, 480);
    assertThat(largest.inConfigMap()).isFalse();
    assertThat(tooLarge.inConfigMap()).isTrue();
    assertThat(bytes(SnapshotRecords.annotation(largest)))
        .isLessThanOrEqualTo(SnapshotRecords.WORKLOAD_MAX_BYTES);
    assertThat(bytes(SnapshotRecords.annotation(tooLarge)))
        .isGreaterThan(SnapshotRecords.WORKLOAD_MAX_BYTES);
    // With the largest record the StatefulSet's annotations stay within the API server's 256 KiB.
    String secretName = largest.secretName("nb").orElseThrow();
    StatefulSet sts = workload(secretName, WorkloadStep.carried("nb", largest, secretName, null));
    long all =
        sts.getMetadata().getAnnotations().entrySet().stream()
            .mapToLong(e -> bytes(e.getKey()) + bytes(e.getValue()))
            .sum();
    assertThat(all).isLessThan(256 * 1024);
  }

  private static long bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }

  private static Snapshot longNames(int count) {
    List<Snapshot.Entry> entries = new java.util.ArrayList<>();
    for (int i = 0; i < count; i++) {
      String name = String.format("%04d-", i) + "n".repeat(123);
      entries.add(new Snapshot.Entry(name, name, 1, "gAAAAABfake-token"));
    }
    return new Snapshot("0123456789abcdef", entries);
  }

  @Test
  void aDamagedAnnotationIsNoRecordAndAForgedOneIsNeverFollowed() {
    assertThat(SnapshotRecords.ofWorkload(null)).isEmpty();
    assertThat(SnapshotRecords.ofWorkload(workload("nb-secrets-x", Map.of()))).isEmpty();
    for (String damaged :
        List.of(
            "not json",
            "[]",
            "{}",
            "{\"name\":\"nb-snapshot-x\",\"data\":{}}",
            "{\"name\":\"n\",\"selectionHash\":\"h\",\"data\":{\"manifest.json\":\"{oops\"}}",
            "{\"name\":\"n\",\"selectionHash\":\"h\",\"data\":{\"sealedBytes\":\"many\"}}",
            "{\"name\":\"n\",\"selectionHash\":\"h\",\"data\":{\"secret\":null}}")) {
      StatefulSet sts =
          workload("nb-secrets-x", Map.of(SnapshotRecords.WORKLOAD_ANNOTATION, damaged));
      assertThat(SnapshotRecords.ofWorkload(sts)).as(damaged).isEmpty();
    }
    // One that reads but names another Secret than its contents is read, and never followed.
    SnapshotRecord record = SnapshotRecords.desired(SESSION, SNAPSHOT, 1);
    Map<String, String> forged = new LinkedHashMap<>(record.data());
    forged.put(SnapshotRecords.SECRET, "someone-elses-secret");
    SnapshotRecord carried =
        SnapshotRecords.ofWorkload(
                workload(
                    "someone-elses-secret",
                    WorkloadStep.carried(
                        "nb",
                        new SnapshotRecord(record.name(), record.selectionHash(), forged, null),
                        "someone-elses-secret",
                        null)))
            .orElseThrow();
    assertThat(carried.secretName("nb")).isEmpty();
  }

  @Test
  void aConfigMapRecordWhoseManifestDoesNotReadIsNeverFollowed() {
    SnapshotRecord record = SnapshotRecords.desired(SESSION, SNAPSHOT, 1);
    for (String manifest : List.of("{oops", "[{\"name\":\"A\",\"version\":\"one\"}]")) {
      Map<String, String> damaged = new LinkedHashMap<>(record.data());
      damaged.put(SnapshotRecords.MANIFEST, manifest);
      io.fabric8.kubernetes.api.model.ConfigMap carrier =
          new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
              .withNewMetadata()
              .withName(record.name())
              .addToAnnotations(Labels.SELECTION_HASH, record.selectionHash())
              .endMetadata()
              .withData(damaged)
              .build();
      // Not an error that stops every pass: a record not followed, deleted with the superseded.
      assertThat(SnapshotRecords.of(carrier).secretName("nb")).as(manifest).isEmpty();
    }
  }

  @Test
  void theStatefulSetNamesTheSecretItMountedBeforeUntilTheNextSnapshot() {
    SnapshotRecord first = SnapshotRecords.desired(SESSION, SNAPSHOT, 1);
    String firstSecret = first.secretName("nb").orElseThrow();
    StatefulSet created =
        workload(firstSecret, WorkloadStep.carried("nb", first, firstSecret, null));
    assertThat(Workload.supersededSecret(created)).isNull();

    SnapshotRecord second =
        SnapshotRecords.desired(
            SESSION,
            new Snapshot(
                "fedcba9876543210", List.of(new Snapshot.Entry("KEY", "key", 4, "gAAAAABnew"))),
            1);
    String secondSecret = second.secretName("nb").orElseThrow();
    assertThat(secondSecret).isNotEqualTo(firstSecret);
    Map<String, String> carried = WorkloadStep.carried("nb", second, secondSecret, created);
    assertThat(carried).containsEntry(Labels.SUPERSEDED_SECRET, firstSecret);
    StatefulSet updated = workload(secondSecret, carried);

    // Later passes keep the name (no write), until a snapshot supersedes the second Secret.
    assertThat(WorkloadStep.carried("nb", second, secondSecret, updated)).isEqualTo(carried);
    SnapshotRecord third = SnapshotRecords.desired(SESSION, SNAPSHOT, 1);
    assertThat(WorkloadStep.carried("nb", third, firstSecret, updated))
        .containsEntry(Labels.SUPERSEDED_SECRET, secondSecret);
  }

  @Test
  void onlyTheSessionsOwnSecretsAreEverNamedAsSuperseded() {
    SnapshotRecord record = SnapshotRecords.desired(SESSION, SNAPSHOT, 1);
    String secretName = record.secretName("nb").orElseThrow();
    // Someone points the sealed volume at another Secret, or names one as superseded.
    for (String other :
        List.of(
            "nbsecrets-platform-key",
            "nb-secrets-live-x",
            "nb-secrets-0123456789a",
            "other-secrets-0123456789",
            "nb-secrets-ABCDEF0123")) {
      assertThat(WorkloadStep.carried("nb", record, secretName, workload(other, Map.of())))
          .as(other)
          .doesNotContainKey(Labels.SUPERSEDED_SECRET);
      assertThat(
              WorkloadStep.carried(
                  "nb",
                  record,
                  secretName,
                  workload(secretName, Map.of(Labels.SUPERSEDED_SECRET, other))))
          .as(other)
          .doesNotContainKey(Labels.SUPERSEDED_SECRET);
    }
    assertThat(SessionSecrets.isSessionSecret("nb", "nb-secrets-0123456789")).isTrue();
    assertThat(SessionSecrets.isSessionSecret("nb", SessionSecrets.liveName("nb"))).isTrue();
    assertThat(SessionSecrets.isSessionSecret("nb", null)).isFalse();
  }

  @Test
  void aRecordInAConfigMapIsNotCarriedByTheStatefulSet() {
    SnapshotRecord record = SnapshotRecords.desired(SESSION, SNAPSHOT, 1);
    var configMap = SnapshotRecords.configMap(SESSION, record);
    assertThat(configMap.getImmutable()).isTrue();
    assertThat(configMap.getMetadata().getOwnerReferences())
        .containsExactly(Owners.controllerReference(SESSION));
    SnapshotRecord read = SnapshotRecords.of(configMap);
    assertThat(read.inConfigMap()).isTrue();
    assertThat(read.selectionHash()).isEqualTo(record.selectionHash());
    String secretName = read.secretName("nb").orElseThrow();
    assertThat(WorkloadStep.carried("nb", read, secretName, null)).isEmpty();
  }
}
