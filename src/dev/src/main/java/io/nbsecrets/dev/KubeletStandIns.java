package io.nbsecrets.dev;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.nbsecrets.operator.Labels;
import io.nbsecrets.operator.Workload;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What the two kubelet stand-ins share: {@link FakeKubelet} (mock mode) and {@link NodeStandIn}
 * (real control plane) both watch the objects the operator manages, read the session pod's init
 * container and volumes, and report container states and conditions as a kubelet does.
 */
final class KubeletStandIns {
  private KubeletStandIns() {}

  /**
   * Informs on the objects of {@code resources} in every namespace that the operator manages:
   * {@code onChange} on an addition or an update, {@code onDelete} on a deletion.
   */
  static <T extends HasMetadata> SharedIndexInformer<T> informManaged(
      MixedOperation<T, ?, ?> resources, Consumer<T> onChange, Consumer<T> onDelete) {
    return resources
        .inAnyNamespace()
        .withLabel(Labels.MANAGED_BY, Labels.MANAGED_BY_VALUE)
        .inform(
            new ResourceEventHandler<>() {
              @Override
              public void onAdd(T object) {
                onChange.accept(object);
              }

              @Override
              public void onUpdate(T old, T object) {
                onChange.accept(object);
              }

              @Override
              public void onDelete(T object, boolean unknownFinalState) {
                onDelete.accept(object);
              }
            });
  }

  /**
   * Stops the informer (if started) and the worker, waiting up to ten seconds for the worker.
   *
   * @return whether the worker stopped in time
   */
  static boolean stop(SharedIndexInformer<?> informer, ExecutorService worker) {
    if (informer != null) {
      informer.close();
    }
    worker.shutdownNow();
    try {
      return worker.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The session pod's init container. */
  static Optional<Container> initContainer(Pod pod) {
    return pod.getSpec().getInitContainers().stream()
        .filter(c -> Workload.INIT_CONTAINER.equals(c.getName()))
        .findFirst();
  }

  /** The pod's volume {@code name}. */
  static Optional<Volume> volume(Pod pod, String name) {
    return pod.getSpec().getVolumes().stream().filter(v -> name.equals(v.getName())).findFirst();
  }

  /** A container's environment, empty where it has none. */
  static List<EnvVar> env(Container c) {
    return c.getEnv() == null ? List.of() : c.getEnv();
  }

  /** A pod's service account, {@code default} where it names none. */
  static String serviceAccount(Pod pod) {
    return Optional.ofNullable(pod.getSpec().getServiceAccountName()).orElse("default");
  }

  /** A token that the API server issues for {@code namespace/serviceAccount}. */
  static String requestToken(
      KubernetesClient admin, String namespace, String serviceAccount, TokenRequestSpec spec) {
    return admin
        .serviceAccounts()
        .inNamespace(namespace)
        .withName(serviceAccount)
        .tokenRequest(new TokenRequestBuilder().withSpec(spec).build())
        .getStatus()
        .getToken();
  }

  /** A pod condition as the kubelet reports it; {@code reason} may be null. */
  static PodCondition condition(String type, boolean status, String reason, String now) {
    return new PodConditionBuilder()
        .withType(type)
        .withStatus(status ? "True" : "False")
        .withReason(reason)
        .withLastTransitionTime(now)
        .build();
  }

  /** A container's status while it runs, started at {@code now}. */
  static ContainerStatus running(String name, String image, String now) {
    return new ContainerStatusBuilder()
        .withName(name)
        .withImage(image)
        .withImageID("")
        .withReady(true)
        .withStarted(true)
        .withRestartCount(0)
        .withNewState()
        .withNewRunning()
        .withStartedAt(now)
        .endRunning()
        .endState()
        .build();
  }

  /**
   * The init container's status once it has ended.
   *
   * @param message the termination message, or null
   */
  static ContainerStatus initTerminated(String image, int exitCode, String reason, String message) {
    return new ContainerStatusBuilder()
        .withName(Workload.INIT_CONTAINER)
        .withImage(image)
        .withImageID("")
        .withReady(exitCode == 0)
        .withRestartCount(0)
        .withNewState()
        .withNewTerminated()
        .withExitCode(exitCode)
        .withReason(reason)
        .withMessage(message)
        .endTerminated()
        .endState()
        .build();
  }

  /** A container's status once it has ended with {@code exitCode} and {@code message}. */
  static ContainerStatus terminated(String name, String image, int exitCode, String message) {
    return new ContainerStatusBuilder()
        .withName(name)
        .withImage(image)
        .withImageID("")
        .withReady(false)
        .withStarted(false)
        .withRestartCount(0)
        .withNewState()
        .withNewTerminated()
        .withExitCode(exitCode)
        .withReason("Error")
        .withMessage(message)
        .endTerminated()
        .endState()
        .build();
  }

  /**
   * The kubelet's {@code FailedMount} Event for a pod whose sealed volume's Secret is gone: made
   * once, then its count and time updated on each try, as the kubelet's event recorder does.
   */
  static void mountFailed(KubernetesClient client, Pod pod, Volume volume, String node) {
    String namespace = pod.getMetadata().getNamespace();
    // One Event per pod, as the kubelet's recorder keeps one per pod and message.
    String uid = pod.getMetadata().getUid().replace("-", "");
    String name = pod.getMetadata().getName() + "." + uid.substring(Math.max(0, uid.length() - 12));
    String now = Instant.now().toString();
    var events = client.v1().events().inNamespace(namespace);
    io.fabric8.kubernetes.api.model.Event seen = events.withName(name).get();
    if (seen != null) {
      seen.setCount(seen.getCount() == null ? 2 : seen.getCount() + 1);
      seen.setLastTimestamp(now);
      client.resource(seen).update();
      return;
    }
    client
        .resource(
            new io.fabric8.kubernetes.api.model.EventBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .endMetadata()
                .withNewInvolvedObject()
                .withApiVersion("v1")
                .withKind("Pod")
                .withName(pod.getMetadata().getName())
                .withNamespace(namespace)
                .withUid(pod.getMetadata().getUid())
                .endInvolvedObject()
                .withReason("FailedMount")
                .withType("Warning")
                .withMessage(
                    "MountVolume.SetUp failed for volume \""
                        + volume.getName()
                        + "\" : secret \""
                        + volume.getSecret().getSecretName()
                        + "\" not found")
                .withNewSource()
                .withComponent("kubelet")
                .withHost(node)
                .endSource()
                .withFirstTimestamp(now)
                .withLastTimestamp(now)
                .withCount(1)
                .build())
        .create();
  }
}
