package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The StatefulSet updates that reconcile a session, in the order the controller writes them. */
class WorkloadChangesTest {
  private final WorkloadChanges filter = new WorkloadChanges();

  private static StatefulSet sts(StatefulSetStatus status) {
    return new StatefulSetBuilder()
        .withNewMetadata()
        .withName("nb")
        .withNamespace("erin")
        .withGeneration(1L)
        .withResourceVersion("10")
        .withLabels(Map.of(Labels.MANAGED_BY, Labels.MANAGED_BY_VALUE))
        .withAnnotations(Map.of(Labels.DESIRED_HASH, "h1"))
        .endMetadata()
        .withStatus(status)
        .build();
  }

  /** The controller's status once it has made the pod: one replica, revisions equal. */
  private static StatefulSetStatusBuilder podMade() {
    return new StatefulSetStatusBuilder()
        .withObservedGeneration(1L)
        .withReplicas(1)
        .withCurrentReplicas(1)
        .withUpdatedReplicas(1)
        .withCurrentRevision("nb-7c9f")
        .withUpdateRevision("nb-7c9f")
        .withCollisionCount(0)
        .withAvailableReplicas(0);
  }

  private static StatefulSet ready() {
    return sts(podMade().withReadyReplicas(1).withAvailableReplicas(1).build());
  }

  private static StatefulSet changed(StatefulSet base, Consumer<StatefulSet> change) {
    StatefulSet s = new StatefulSetBuilder(base).build();
    s.getMetadata().setResourceVersion("11");
    change.accept(s);
    return s;
  }

  @Test
  void statusWritesThatChangeNeitherReadinessNorHavingAPodAreDropped() {
    StatefulSet created = sts(null);
    StatefulSet made = sts(podMade().build());
    StatefulSet counted = sts(podMade().withCurrentReplicas(0).withUpdatedReplicas(0).build());

    assertThat(filter.accept(made, created)).isFalse();
    assertThat(filter.accept(made, counted)).isFalse();
    // Ready already, and a status write that changes nothing a reconcile reads.
    assertThat(filter.accept(changed(ready(), s -> s.getStatus().setCollisionCount(1)), ready()))
        .isFalse();
    // And whatever the filter drops, the session's WorkloadReady would read the same.
    for (StatefulSet[] pair :
        new StatefulSet[][] {{made, created}, {made, counted}, {ready(), ready()}}) {
      assertThat(workloadReason(pair[0])).isEqualTo(workloadReason(pair[1]));
    }
  }

  /** The reason of WorkloadReady that a reconcile would report for {@code sts}. */
  private static String workloadReason(StatefulSet sts) {
    var status =
        new SessionStatusAggregator(Sessions.session("erin", "nb", "erin", "TOKEN"), Instant.now())
            .workloadFrom(sts, null)
            .build(List.of(), sts);
    return status.getConditions().stream()
        .filter(c -> c.getType().equals(Conditions.WORKLOAD_READY))
        .findFirst()
        .orElseThrow()
        .getReason();
  }

  @Test
  void thePodBecomingReadyOrNotReadyReconciles() {
    StatefulSet made = sts(podMade().build());

    assertThat(filter.accept(ready(), made)).isTrue();
    assertThat(filter.accept(made, ready())).isTrue();
    // A new revision rolling out: the ready pod runs the old one.
    StatefulSet rolling = sts(podMade().withReadyReplicas(1).withUpdateRevision("nb-88aa").build());
    assertThat(filter.accept(rolling, ready())).isTrue();
    // The operator replaced the spec: the controller has not observed it yet.
    StatefulSet unobserved = changed(ready(), s -> s.getStatus().setObservedGeneration(0L));
    assertThat(filter.accept(unobserved, ready())).isTrue();
    assertThat(workloadReason(unobserved)).isNotEqualTo(workloadReason(ready()));
  }

  /**
   * Of a new session's StatefulSet, the controller's writes before its pod is ready (spec observed
   * with no pod yet, then the pod made) reconcile nothing: whether there is a pod is read from the
   * pod cache, and a failure to make it arrives as an Event (PodCreationFailuresTest).
   */
  @Test
  void aNewSessionsStatefulSetReconcilesOnlyWhenItsPodIsReady() {
    StatefulSet created = sts(null);
    StatefulSet observedWithoutPod =
        sts(new StatefulSetStatusBuilder().withObservedGeneration(1L).withReplicas(0).build());
    StatefulSet made = sts(podMade().build());

    assertThat(filter.accept(observedWithoutPod, created)).isFalse();
    assertThat(filter.accept(made, observedWithoutPod)).isFalse();
    assertThat(filter.accept(ready(), made)).isTrue();
    assertThat(workloadReason(observedWithoutPod)).isEqualTo(workloadReason(created));
    assertThat(workloadReason(made)).isEqualTo(workloadReason(created));
  }

  @Test
  void whatTheWorkloadStepComparesReconciles() {
    StatefulSet base = ready();

    assertThat(
            filter.accept(
                changed(
                    base, s -> s.getMetadata().setAnnotations(Map.of(Labels.DESIRED_HASH, "x"))),
                base))
        .as("someone changed the desired-state hash")
        .isTrue();
    assertThat(filter.accept(changed(base, s -> s.getMetadata().setGeneration(2L)), base))
        .as("someone changed the spec")
        .isTrue();
    assertThat(filter.accept(changed(base, s -> s.getMetadata().setLabels(Map.of())), base))
        .isTrue();
    assertThat(
            filter.accept(
                changed(base, s -> s.getMetadata().setDeletionTimestamp("2026-12-02T09:00:00Z")),
                base))
        .isTrue();
    assertThat(
            filter.accept(
                changed(
                    base,
                    s ->
                        s.getMetadata()
                            .setOwnerReferences(
                                List.of(
                                    new OwnerReferenceBuilder()
                                        .withKind("NotebookSession")
                                        .withName("other")
                                        .withUid("u2")
                                        .build()))),
                base))
        .isTrue();
    assertThat(filter.accept(base, null)).isTrue();
    assertThat(filter.accept(null, base)).isTrue();
  }
}
