package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SessionPodsTest {
  private static ContainerStatus init(int exitCode, String message) {
    var status = new ContainerStatusBuilder().withName(Workload.INIT_CONTAINER);
    if (exitCode < 0) {
      return status.withNewState().withNewRunning().endRunning().endState().build();
    }
    return status
        .withNewState()
        .withNewTerminated()
        .withExitCode(exitCode)
        .withMessage(message)
        .endTerminated()
        .endState()
        .build();
  }

  private static Pod pod(ContainerStatus init) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("nb-0")
        .withNamespace("alice")
        .withResourceVersion("42")
        .withLabels(Map.of(Labels.SESSION, "nb", Labels.MANAGED_BY, Labels.MANAGED_BY_VALUE))
        .withManagedFields(new ManagedFieldsEntryBuilder().withManager("kubelet").build())
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("notebook")
        .withImage("jupyter")
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPhase("Pending")
        .withInitContainerStatuses(
            init, new ContainerStatusBuilder().withName("other-init").withReady(true).build())
        .addNewContainerStatus()
        .withName("notebook")
        .endContainerStatus()
        .endStatus()
        .build();
  }

  @Test
  void theCacheKeepsTheMetadataAndTheInitContainersStatusOnly() {
    SlimStore<Pod> store = new SlimStore<>(SessionPods::slim);
    Pod full = pod(init(1, "DecryptFailed: secret x cannot be decrypted"));
    String key = store.getKey(full);
    assertThat(key).isEqualTo("alice/nb-0");
    assertThat(store.put(key, full)).isNull();

    Pod kept = store.get(key);
    assertThat(kept.getSpec()).isNull();
    assertThat(kept.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(kept.getMetadata().getResourceVersion()).isEqualTo("42");
    assertThat(kept.getMetadata().getLabels()).containsEntry(Labels.SESSION, "nb");
    assertThat(kept.getStatus().getContainerStatuses()).isEmpty();
    assertThat(kept.getStatus().getInitContainerStatuses())
        .singleElement()
        .extracting(ContainerStatus::getName)
        .isEqualTo(Workload.INIT_CONTAINER);
    // What the reconcile reads of it is what it would read of the whole pod.
    assertThat(PodInitFailures.of(kept)).isEqualTo(PodInitFailures.of(full)).isPresent();
    // The original is not changed: the informer hands it to the event handlers.
    assertThat(full.getSpec()).isNotNull();
    assertThat(full.getMetadata().getManagedFields()).hasSize(1);

    Pod next = pod(init(-1, null));
    assertThat(store.put(key, next)).isSameAs(kept);
    assertThat(store.size()).isEqualTo(1);
    assertThat(store.keySet()).containsExactly(key);
    assertThat(store.remove(key)).isNotNull();
    assertThat(store.values()).isEmpty();
  }

  @Test
  void onlyAChangeOfTheInitStepsFailureReconcilesTheSession() {
    Pod running = pod(init(-1, null));
    Pod failed = pod(init(1, "UserKeyRefused: HTTP 403"));
    Pod failedOtherwise = pod(init(1, "TokenExpired: expired"));
    Pod ok = pod(init(0, null));

    assertThat(SessionPods.onAdd(running)).isFalse();
    assertThat(SessionPods.onAdd(failed)).as("a pod that failed before a restart").isTrue();
    assertThat(SessionPods.onUpdate(running, running)).isFalse();
    assertThat(SessionPods.onUpdate(ok, running)).as("success: the StatefulSet says so").isFalse();
    assertThat(SessionPods.onUpdate(failed, running)).isTrue();
    assertThat(SessionPods.onUpdate(failedOtherwise, failed)).isTrue();
    assertThat(SessionPods.onUpdate(SessionPods.slim(failed), failed))
        .as("the cached slim pod against the whole one")
        .isFalse();
  }

  @Test
  void aFailedPodThatGoesAwayReconcilesItsSessionSoItsReasonDoesNotOutliveIt() {
    assertThat(SessionPods.onDelete(pod(init(1, "DecryptFailed: x")), false)).isTrue();
    assertThat(SessionPods.onDelete(pod(init(-1, null)), true)).isFalse();
  }

  @Test
  void theSessionsPodIsTheOneOfItsNameNotAnyPodWithItsLabels() {
    Pod own = pod(init(1, "DecryptFailed: x"));
    Pod impostor = pod(init(1, "UserKeyRefused: y"));
    impostor.getMetadata().setName("nb-impostor");
    assertThat(SessionPods.ofSession("nb", List.of(impostor, own))).isSameAs(own);
    assertThat(SessionPods.ofSession("nb", List.of(impostor))).isNull();
  }

  @Test
  void aPodMapsToTheSessionNamedByItsLabel() {
    assertThat(SessionPods.session(pod(init(-1, null))))
        .containsExactly(new ResourceID("nb", "alice"));
    Pod unlabelled = pod(init(-1, null));
    unlabelled.getMetadata().setLabels(null);
    assertThat(SessionPods.session(unlabelled)).isEmpty();
    unlabelled.getMetadata().setLabels(Map.of("app", "x"));
    assertThat(SessionPods.session(unlabelled)).isEqualTo(java.util.Set.of());
    assertThat(SessionPods.slim(new Pod()).getStatus().getInitContainerStatuses()).isEmpty();
  }
}
