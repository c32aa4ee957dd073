package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.reconciler.Constants;
import io.nbsecrets.model.NotebookSession;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What the operator's caches keep of a StatefulSet, and that a reconcile reads the same of it. */
class SlimStoreTest {
  private static final NotebookSession SESSION = Sessions.session("alice", "nb", "alice", "KEY");
  private static final Snapshot SNAPSHOT =
      new Snapshot("0123456789abcdef", List.of(new Snapshot.Entry("KEY", "key", 3, "gAAAAABx")));

  /** The StatefulSet the operator writes, as the API server gives it back with a ready pod. */
  private static StatefulSet asServed(int readyReplicas) {
    SnapshotRecord record = SnapshotRecords.desired(SESSION, SNAPSHOT, 1234);
    String secretName = record.secretName("nb").orElseThrow();
    Map<String, String> carried =
        WorkloadStep.carried(
            "nb",
            record,
            secretName,
            new StatefulSetBuilder()
                .withNewMetadata()
                .withAnnotations(Map.of(Labels.SUPERSEDED_SECRET, "nb-secrets-0000000000"))
                .endMetadata()
                .build());
    StatefulSet sts =
        Workload.statefulSet(
            new WorkloadInputs(SESSION, secretName, "abcdef0123", null, 2000, Sessions.config()),
            carried);
    return new StatefulSetBuilder(sts)
        .editMetadata()
        .withNamespace("alice")
        .withUid("uid-sts")
        .withResourceVersion("42")
        .withGeneration(2L)
        .withManagedFields(new ManagedFieldsEntryBuilder().withManager("nbsecrets").build())
        .endMetadata()
        .withNewStatus()
        .withObservedGeneration(2L)
        .withReplicas(1)
        .withReadyReplicas(readyReplicas)
        .withCurrentRevision("nb-1")
        .withUpdateRevision("nb-1")
        .endStatus()
        .build();
  }

  @Test
  void theCacheKeepsWhatAReconcileReadsOfAStatefulSetAndNotItsPodTemplate() {
    SlimStore<StatefulSet> store = new SlimStore<>(Workload::slim);
    StatefulSet full = asServed(1);
    String full0 = Serialization.asJson(full);
    String key = store.getKey(full);
    assertThat(key).isEqualTo("alice/nb");
    assertThat(store.put(key, full)).isNull();

    StatefulSet kept = store.get(key);
    // What the reconcile reads of it is what it would read of the whole StatefulSet.
    assertThat(Workload.mountedSecret(kept))
        .isEqualTo(Workload.mountedSecret(full))
        .startsWith("nb-secrets-");
    assertThat(Workload.supersededSecret(kept))
        .isEqualTo(Workload.supersededSecret(full))
        .isEqualTo("nb-secrets-0000000000");
    assertThat(SessionStatusAggregator.podReady(kept))
        .isEqualTo(SessionStatusAggregator.podReady(full))
        .isTrue();
    assertThat(WorkloadBase.parallelPods(kept)).isEqualTo(WorkloadBase.parallelPods(full)).isTrue();
    // One an earlier version made, which the API server defaulted to OrderedReady, stays so.
    StatefulSet earlier =
        new StatefulSetBuilder(full)
            .editSpec()
            .withPodManagementPolicy("OrderedReady")
            .endSpec()
            .build();
    assertThat(WorkloadBase.parallelPods(Workload.slim(earlier))).isFalse();
    assertThat(SnapshotRecords.ofWorkload(kept).orElseThrow().data())
        .isEqualTo(SnapshotRecords.ofWorkload(full).orElseThrow().data());
    assertThat(kept.getMetadata().getAnnotations()).isEqualTo(full.getMetadata().getAnnotations());
    assertThat(kept.getMetadata().getLabels()).isEqualTo(full.getMetadata().getLabels());
    assertThat(kept.getMetadata().getOwnerReferences())
        .isEqualTo(full.getMetadata().getOwnerReferences());
    assertThat(kept.getMetadata().getResourceVersion()).isEqualTo("42");
    assertThat(kept.getMetadata().getGeneration()).isEqualTo(2L);
    // Not kept: managed fields, the containers, every volume but the sealed one.
    assertThat(kept.getMetadata().getManagedFields()).isNullOrEmpty();
    var template = kept.getSpec().getTemplate().getSpec();
    assertThat(template.getContainers()).isNullOrEmpty();
    assertThat(template.getInitContainers()).isNullOrEmpty();
    assertThat(template.getVolumes())
        .extracting(Volume::getName)
        .containsExactly(Workload.SEALED_VOLUME);
    assertThat(full.getSpec().getTemplate().getSpec().getVolumes()).hasSizeGreaterThan(1);
    assertThat(Serialization.asJson(kept).length()).isLessThan(full0.length() / 2);
    // The original is not changed: the informer hands it to the event handlers.
    assertThat(Serialization.asJson(full)).isEqualTo(full0);
  }

  @Test
  void anUpdateComparedWithTheSlimObjectReconcilesExactlyWhenItWouldWithTheWholeOne() {
    WorkloadChanges changes = new WorkloadChanges();
    StatefulSet notReady = asServed(0);
    StatefulSet ready = asServed(1);
    // The controller's status writes that change nothing the reconcile reads: none.
    StatefulSet moreReplicas = asServed(1);
    moreReplicas.getStatus().setAvailableReplicas(1);
    for (StatefulSet before : List.of(notReady, ready)) {
      for (StatefulSet now : List.of(notReady, ready, moreReplicas)) {
        assertThat(changes.accept(now, Workload.slim(before)))
            .as("%s after %s", now.getStatus(), before.getStatus())
            .isEqualTo(changes.accept(now, before));
      }
    }
    assertThat(changes.accept(ready, Workload.slim(notReady))).isTrue();
    assertThat(changes.accept(moreReplicas, Workload.slim(ready))).isFalse();
    StatefulSet annotated = asServed(1);
    annotated.getMetadata().getAnnotations().put(Labels.DESIRED_HASH, "changed by hand");
    assertThat(changes.accept(annotated, Workload.slim(ready))).isTrue();
  }

  @Test
  void aStatefulSetWithoutSpecOrStatusIsKeptAsItIs() {
    StatefulSet bare =
        new StatefulSetBuilder().withNewMetadata().withName("nb").endMetadata().build();
    StatefulSet kept = Workload.slim(bare);
    assertThat(kept.getMetadata().getName()).isEqualTo("nb");
    assertThat(Workload.mountedSecret(kept)).isNull();
    assertThat(SessionStatusAggregator.podReady(kept)).isFalse();
  }

  @Test
  void onlyOneInformerMayFillACacheOfItsOwn() {
    assertThat(SlimStore.fitsOneInformer(Constants.WATCH_ALL_NAMESPACE_SET)).isTrue();
    assertThat(SlimStore.fitsOneInformer(Set.of("alice"))).isTrue();
    assertThat(SlimStore.fitsOneInformer(Set.of("alice", "bob"))).isFalse();
  }
}
