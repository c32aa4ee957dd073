package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.nbsecrets.model.NotebookSession;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class PodCreationFailuresTest {
  private static final Instant NOW = Instant.parse("2026-12-02T06:00:00Z");

  private static final StatefulSet STS =
      new StatefulSetBuilder()
          .withNewMetadata()
          .withName("nb")
          .withNamespace("alice")
          .withUid("uid-1")
          .endMetadata()
          .build();

  private static Event event(String kind, String name, String uid, String reason, Instant at) {
    return new EventBuilder()
        .withNewMetadata()
        .withName(name + ".1")
        .withNamespace("alice")
        .endMetadata()
        .withNewInvolvedObject()
        .withKind(kind)
        .withName(name)
        .withNamespace("alice")
        .withUid(uid)
        .endInvolvedObject()
        .withReason(reason)
        .withLastTimestamp(at.toString())
        .withMessage(reason + " at " + at)
        .build();
  }

  @Test
  void theLatestRecentFailedCreateOfThisStatefulSetIsTaken() {
    List<Event> events =
        List.of(
            event("StatefulSet", "nb", "uid-1", "FailedCreate", NOW.minusSeconds(90)),
            event("StatefulSet", "nb", "uid-1", "FailedCreate", NOW.minusSeconds(30)),
            event("StatefulSet", "nb", "uid-0", "FailedCreate", NOW.minusSeconds(1)),
            event("StatefulSet", "other", "uid-2", "FailedCreate", NOW.minusSeconds(1)),
            event("StatefulSet", "nb", "uid-1", "SuccessfulCreate", NOW.minusSeconds(1)));
    assertThat(PodCreationFailures.latest(events, STS, NOW))
        .contains("FailedCreate at " + NOW.minusSeconds(30));
  }

  @Test
  void anOldFailureIsHistoryNotTheReasonNow() {
    // The controller's longest backoff is 1,000 s: a failure that old still counts.
    Instant lastRetry = NOW.minusSeconds(1000);
    assertThat(
            PodCreationFailures.latest(
                List.of(event("StatefulSet", "nb", "uid-1", "FailedCreate", lastRetry)), STS, NOW))
        .contains("FailedCreate at " + lastRetry);
    List<Event> events =
        List.of(event("StatefulSet", "nb", "uid-1", "FailedCreate", NOW.minusSeconds(1201)));
    assertThat(PodCreationFailures.latest(events, STS, NOW)).isEmpty();
    assertThat(PodCreationFailures.latest(List.of(), STS, NOW)).isEmpty();
  }

  @Test
  void anEventIsWatchedOnlyWhenItIsAStatefulSetsFailedCreateAndMapsToTheSessionOfItsName() {
    Event failed = event("StatefulSet", "nb", "uid-1", "FailedCreate", NOW);
    assertThat(PodCreationFailures.isCreationFailure(failed)).isTrue();
    assertThat(
            PodCreationFailures.isCreationFailure(event("Pod", "nb-0", "u", "FailedCreate", NOW)))
        .isFalse();
    assertThat(
            PodCreationFailures.isCreationFailure(
                event("StatefulSet", "nb", "uid-1", "SuccessfulCreate", NOW)))
        .isFalse();
    assertThat(PodCreationFailures.session(failed)).containsExactly(new ResourceID("nb", "alice"));
    failed.setInvolvedObject(null);
    assertThat(PodCreationFailures.isCreationFailure(failed)).isFalse();
    assertThat(PodCreationFailures.session(failed)).isEmpty();
  }

  private static Pod pod(String session, String owner) {
    var meta =
        new PodBuilder()
            .withNewMetadata()
            .withName(session + "-0")
            .withNamespace("alice")
            .withLabels(session == null ? null : Map.of(Labels.SESSION, session));
    if (owner != null) {
      meta.addNewOwnerReference()
          .withKind("StatefulSet")
          .withName(session)
          .withUid(owner)
          .withApiVersion("apps/v1")
          .endOwnerReference();
    }
    return meta.endMetadata().build();
  }

  private static Pod pod(String session) {
    return pod(session, "uid-1");
  }

  @Test
  void aSessionHasNoPodWhenThePodCacheHoldsNone() {
    assertThat(PodCreationFailures.noPod(STS, null)).isTrue();
    assertThat(PodCreationFailures.noPod(STS, pod("nb"))).isFalse();
    assertThat(PodCreationFailures.noPod(null, null)).as("no StatefulSet yet").isFalse();
  }

  @Test
  void aPodsAdditionReconcilesOnlyAfterARecentFailedCreateOfItsStatefulSet() {
    Event failed = event("StatefulSet", "nb", "uid-1", "FailedCreate", NOW);
    assertThat(PodCreationFailures.ended(pod("nb"), null, Stream.of(failed), NOW)).isTrue();
    assertThat(PodCreationFailures.ended(pod("nb", null), null, Stream.of(failed), NOW))
        .as("a pod that names no owner")
        .isTrue();
    assertThat(PodCreationFailures.ended(pod("nb"), null, Stream.empty(), NOW))
        .as("a new session's pod")
        .isFalse();
    assertThat(PodCreationFailures.ended(pod("other"), null, Stream.of(failed), NOW)).isFalse();
    assertThat(PodCreationFailures.ended(pod("nb", "uid-2"), null, Stream.of(failed), NOW))
        .as("a FailedCreate of an earlier StatefulSet of the same name")
        .isFalse();
    assertThat(
            PodCreationFailures.ended(
                pod("nb"),
                null,
                Stream.of(
                    event("StatefulSet", "nb", "uid-1", "FailedCreate", NOW.minusSeconds(1201))),
                NOW))
        .as("a FailedCreate that is history")
        .isFalse();
    assertThat(
            PodCreationFailures.ended(
                pod("nb"), null, Stream.of(event("Pod", "nb", "uid-1", "FailedCreate", NOW)), NOW))
        .isFalse();
    assertThat(PodCreationFailures.ended(pod(null), null, Stream.of(failed), NOW))
        .as("a pod without the session label")
        .isFalse();
  }

  @Test
  void aPodsAdditionReconcilesWhileItsSessionShowsTheFailureEvenWithoutTheEvent() {
    NotebookSession session = Sessions.session("alice", "nb", "alice", "a");
    NotebookSession failing = Sessions.session("alice", "nb", "alice", "a");
    failing.setStatus(
        new SessionStatusAggregator(failing, NOW)
            .workloadFrom(STS, "quota exceeded")
            .build(List.of(), STS));
    session.setStatus(
        new SessionStatusAggregator(session, NOW).workloadFrom(STS, null).build(List.of(), STS));

    assertThat(PodCreationFailures.shown(failing)).isTrue();
    assertThat(PodCreationFailures.ended(pod("nb"), failing, Stream.empty(), NOW))
        .as("the Event expired or was deleted")
        .isTrue();
    assertThat(PodCreationFailures.shown(session)).isFalse();
    assertThat(PodCreationFailures.ended(pod("nb"), session, Stream.empty(), NOW)).isFalse();
    assertThat(PodCreationFailures.shown(null)).isFalse();
  }
}
