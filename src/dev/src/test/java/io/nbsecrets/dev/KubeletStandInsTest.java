package io.nbsecrets.dev;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.nbsecrets.operator.Workload;
import org.junit.jupiter.api.Test;

class KubeletStandInsTest {
  private static Pod pod(String serviceAccount) {
    return new PodBuilder()
        .withNewSpec()
        .withServiceAccountName(serviceAccount)
        .addNewInitContainer()
        .withName(Workload.INIT_CONTAINER)
        .endInitContainer()
        .addNewVolume()
        .withName(Workload.SEALED_VOLUME)
        .endVolume()
        .endSpec()
        .build();
  }

  @Test
  void findsTheInitContainerTheVolumesAndTheServiceAccount() {
    assertThat(KubeletStandIns.initContainer(pod(null))).isPresent();
    assertThat(KubeletStandIns.volume(pod(null), Workload.SEALED_VOLUME)).isPresent();
    assertThat(KubeletStandIns.volume(pod(null), Workload.TOKEN_VOLUME)).isEmpty();
    assertThat(KubeletStandIns.serviceAccount(pod(null))).isEqualTo("default");
    assertThat(KubeletStandIns.serviceAccount(pod("reader"))).isEqualTo("reader");
    assertThat(KubeletStandIns.env(new ContainerBuilder().build())).isEmpty();
  }

  @Test
  void reportsTheInitContainerReadyOnlyWhenItSucceeded() {
    var completed = KubeletStandIns.initTerminated("img", 0, "Completed", null);
    assertThat(completed.getReady()).isTrue();
    assertThat(completed.getName()).isEqualTo(Workload.INIT_CONTAINER);
    assertThat(completed.getState().getTerminated().getMessage()).isNull();

    var failed = KubeletStandIns.initTerminated("img", 1, "Error", "no secret");
    assertThat(failed.getReady()).isFalse();
    assertThat(failed.getState().getTerminated().getExitCode()).isEqualTo(1);
    assertThat(failed.getState().getTerminated().getMessage()).isEqualTo("no secret");
  }

  @Test
  void reportsConditionsAndRunningContainers() {
    var notReady = KubeletStandIns.condition("Ready", false, "ContainersNotInitialized", "t");
    assertThat(notReady.getStatus()).isEqualTo("False");
    assertThat(notReady.getReason()).isEqualTo("ContainersNotInitialized");
    assertThat(KubeletStandIns.condition("Ready", true, null, "t").getStatus()).isEqualTo("True");

    var running = KubeletStandIns.running("session", "img", "t");
    assertThat(running.getReady()).isTrue();
    assertThat(running.getState().getRunning().getStartedAt()).isEqualTo("t");
  }
}
