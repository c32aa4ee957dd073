package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;

class PodInitFailuresTest {
  private static Pod pod(ContainerStatusBuilder init) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("nb-0")
        .endMetadata()
        .withNewStatus()
        .withPhase("Pending")
        .withInitContainerStatuses(init.withName(Workload.INIT_CONTAINER).build())
        .endStatus()
        .build();
  }

  @Test
  void theInitStepsOwnReasonAndMessageAreTaken() {
    var failure =
        PodInitFailures.of(
            pod(
                new ContainerStatusBuilder()
                    .withNewState()
                    .withNewTerminated()
                    .withExitCode(1)
                    .withReason("Error")
                    .withMessage(
                        "TokenExpired: the pod's service-account token at /t expired at"
                            + " 2026-01-01T00:00:00Z (5 s ago): the kubelet renews it while the pod"
                            + " runs; restart the pod")
                    .endTerminated()
                    .endState()));
    assertThat(failure)
        .hasValueSatisfying(
            f -> {
              assertThat(f.reason()).isEqualTo("TokenExpired");
              assertThat(f.message())
                  .startsWith("the init step of pod nb-0 failed: the pod's service-account token")
                  .contains("expired");
            });
  }

  @Test
  void whileWaitingToBeRestartedTheLastTerminationCounts() {
    var failure =
        PodInitFailures.of(
            pod(
                new ContainerStatusBuilder()
                    .withNewState()
                    .withNewWaiting()
                    .withReason("CrashLoopBackOff")
                    .endWaiting()
                    .endState()
                    .withNewLastState()
                    .withNewTerminated()
                    .withExitCode(1)
                    .withMessage("UserKeyRefused: the secrets API refused the user key: HTTP 403")
                    .endTerminated()
                    .endLastState()));
    assertThat(failure.orElseThrow().reason()).isEqualTo("UserKeyRefused");
  }

  /** An init container whose last run failed with the API's refusal. */
  private static ContainerStatusBuilder failedBefore() {
    return new ContainerStatusBuilder()
        .withNewLastState()
        .withNewTerminated()
        .withExitCode(1)
        .withMessage("UserKeyRefused: the secrets API refused the user key: HTTP 503")
        .endTerminated()
        .endLastState();
  }

  @Test
  void aStepThatSucceedsAfterFailingIsNoLongerAFailure() {
    var succeeded =
        PodInitFailures.of(
            pod(
                failedBefore()
                    .withNewState()
                    .withNewTerminated()
                    .withExitCode(0)
                    .endTerminated()
                    .endState()));
    assertThat(succeeded).isEmpty();
  }

  @Test
  void whileItRunsAgainTheLastFailureStandsSoACrashLoopDoesNotFlipTheReason() {
    var retrying =
        PodInitFailures.of(
            pod(failedBefore().withNewState().withNewRunning().endRunning().endState()));
    assertThat(retrying.orElseThrow().reason()).isEqualTo("UserKeyRefused");
    var firstRun =
        PodInitFailures.of(
            pod(
                new ContainerStatusBuilder()
                    .withNewState()
                    .withNewRunning()
                    .endRunning()
                    .endState()));
    assertThat(firstRun).isEmpty();
  }

  @Test
  void aMessageWithoutAReasonOrNoMessageIsStillReported() {
    var plain =
        PodInitFailures.of(
            pod(
                new ContainerStatusBuilder()
                    .withNewState()
                    .withNewTerminated()
                    .withExitCode(137)
                    .withReason("OOMKilled")
                    .endTerminated()
                    .endState()));
    assertThat(plain.orElseThrow())
        .isEqualTo(
            new PodInitFailures.Failure(
                "InitFailed",
                "the init step of pod nb-0 failed: exit code 137 (OOMKilled); see the logs of its"
                    + " container nbsecrets-init"));
    var lower =
        PodInitFailures.of(
            pod(
                new ContainerStatusBuilder()
                    .withNewState()
                    .withNewTerminated()
                    .withExitCode(1)
                    .withMessage("exec: not found")
                    .endTerminated()
                    .endState()));
    assertThat(lower.orElseThrow().reason()).isEqualTo("InitFailed");
    assertThat(lower.orElseThrow().message()).endsWith("failed: exec: not found");
  }

  @Test
  void successOrNoStatusIsNoFailure() {
    assertThat(
            PodInitFailures.of(
                pod(
                    new ContainerStatusBuilder()
                        .withNewState()
                        .withNewTerminated()
                        .withExitCode(0)
                        .withReason("Completed")
                        .endTerminated()
                        .endState())))
        .isEmpty();
    assertThat(PodInitFailures.of((Pod) null)).isEmpty();
    assertThat(PodInitFailures.of(new PodBuilder().withNewMetadata().endMetadata().build()))
        .isEmpty();
  }
}
