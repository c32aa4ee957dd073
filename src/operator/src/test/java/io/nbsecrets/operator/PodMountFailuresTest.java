package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.List;
import org.junit.jupiter.api.Test;

class PodMountFailuresTest {
  private static final Pod POD =
      new PodBuilder()
          .withNewMetadata()
          .withName("nb-0")
          .withNamespace("alice")
          .withUid("pod-2")
          .endMetadata()
          .build();

  /** As the kubelet writes it (kubelet 1.37, a Secret volume whose Secret is gone). */
  private static Event event(String kind, String name, String uid, String reason) {
    return new EventBuilder()
        .withNewMetadata()
        .withName(name + ".187d")
        .withNamespace("alice")
        .endMetadata()
        .withNewInvolvedObject()
        .withKind(kind)
        .withName(name)
        .withNamespace("alice")
        .withUid(uid)
        .endInvolvedObject()
        .withReason(reason)
        .withType("Warning")
        .withMessage(
            "MountVolume.SetUp failed for volume \"nbsecrets-sealed\" : secret"
                + " \"nb-secrets-0123456789\" not found")
        .build();
  }

  @Test
  void aFailedMountOfThisVeryPodCounts() {
    assertThat(PodMountFailures.of(POD, List.of(event("Pod", "nb-0", "pod-2", "FailedMount"))))
        .isTrue();
  }

  @Test
  void oneOfAnEarlierPodOfTheSameNameOrOfAnotherPodOrAnotherReasonDoesNot() {
    List<Event> others =
        List.of(
            // The pod before this one (Events live an hour): it got its volumes in the end.
            event("Pod", "nb-0", "pod-1", "FailedMount"),
            event("Pod", "other-0", "pod-3", "FailedMount"),
            event("Pod", "nb-0", "pod-2", "FailedScheduling"),
            event("StatefulSet", "nb", "pod-2", "FailedMount"));
    assertThat(PodMountFailures.of(POD, others)).isFalse();
    assertThat(PodMountFailures.of(null, List.of(event("Pod", "nb-0", "pod-2", "FailedMount"))))
        .isFalse();
    assertThat(PodMountFailures.of(POD, List.of())).isFalse();
  }

  @Test
  void theCacheKeepsWhomAndWhyNotTheMessage() {
    Event e = event("Pod", "nb-0", "pod-2", "FailedMount");
    e.getMetadata()
        .setManagedFields(List.of(new io.fabric8.kubernetes.api.model.ManagedFieldsEntry()));
    Event slim = PodMountFailures.slim(e);
    assertThat(slim.getMessage()).isNull();
    assertThat(slim.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(slim.getMetadata().getName()).isEqualTo(e.getMetadata().getName());
    assertThat(PodMountFailures.isMountFailure(slim)).isTrue();
    assertThat(PodMountFailures.session(slim)).isEqualTo(PodMountFailures.session(e));
    assertThat(PodMountFailures.of(POD, List.of(slim))).isTrue();
  }

  @Test
  void anEventIsWatchedOnlyWhenItIsAPodsFailedMountAndMapsToTheSessionOfThePodsStatefulSet() {
    Event failed = event("Pod", "nb-0", "pod-2", "FailedMount");
    assertThat(PodMountFailures.isMountFailure(failed)).isTrue();
    assertThat(PodMountFailures.session(failed)).containsExactly(new ResourceID("nb", "alice"));
    // A session whose name ends like a pod's still maps by the pod's own suffix.
    assertThat(PodMountFailures.session(event("Pod", "nb-0-0", "x", "FailedMount")))
        .containsExactly(new ResourceID("nb-0", "alice"));
    assertThat(PodMountFailures.isMountFailure(event("Pod", "nb-0", "x", "FailedCreate")))
        .isFalse();
    assertThat(PodMountFailures.isMountFailure(event("Node", "nb-0", "x", "FailedMount")))
        .isFalse();
    // A pod no StatefulSet of one replica names: no session.
    assertThat(PodMountFailures.session(event("Pod", "job-abcde", "x", "FailedMount"))).isEmpty();
    assertThat(PodMountFailures.session(event("Pod", "-0", "x", "FailedMount"))).isEmpty();
    Event nameless = event("Pod", "nb-0", "x", "FailedMount");
    nameless.getInvolvedObject().setName(null);
    assertThat(PodMountFailures.session(nameless)).isEmpty();
  }
}
