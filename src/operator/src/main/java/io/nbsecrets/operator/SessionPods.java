package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The session pods the operator watches, for one reason: an init step that fails changes nothing
 * else the operator watches (the StatefulSet's status says only "not ready"), yet the session must
 * show the step's own reason. A watch replaces looking at each waiting pod again and again.
 *
 * <p>The operator keeps of each pod only what that needs, its metadata and its init container's
 * status ({@link #slim}: its client reads each pod so, {@link SlimReaders}), so that a thousand
 * sessions do not hold, nor read, a thousand pod specs. Whether a session has a pod at all is read
 * from this cache ({@link PodCreationFailures#noPod}). A pod's update reconciles its session only
 * when the init step's failure appears, changes or goes away; the pod getting ready reaches the
 * session through its StatefulSet's status.
 */
final class SessionPods {
  private SessionPods() {}

  /** The session a pod belongs to, by the label its StatefulSet's template gives it. */
  static Set<ResourceID> session(Pod pod) {
    Map<String, String> labels = pod.getMetadata().getLabels();
    String session = labels == null ? null : labels.get(Labels.SESSION);
    return session == null
        ? Set.of()
        : Set.of(new ResourceID(session, pod.getMetadata().getNamespace()));
  }

  /**
   * A new pod matters when its init step has already failed (an operator's restart); or when it
   * ends a failure to make it ({@link PodCreationFailures#ended}, which needs the session and Event
   * caches and so is added where the informer is made).
   */
  static boolean onAdd(Pod pod) {
    return PodInitFailures.of(pod).isPresent();
  }

  /**
   * A pod that goes away matters when it had failed: the session must not keep its reason while the
   * next pod (a rollout, a deleted pod) starts.
   */
  static boolean onDelete(Pod pod, Boolean finalStateUnknown) {
    return PodInitFailures.of(pod).isPresent();
  }

  /** The session's own pod among those that carry its labels (anyone may label a pod so). */
  static Pod ofSession(String session, Collection<Pod> labelled) {
    String name = Workload.podName(session);
    return labelled.stream()
        .filter(p -> name.equals(p.getMetadata().getName()))
        .findFirst()
        .orElse(null);
  }

  /** An update matters when the init step's failure appears, changes or goes away. */
  static boolean onUpdate(Pod now, Pod before) {
    return !Objects.equals(PodInitFailures.of(now), PodInitFailures.of(before));
  }

  /**
   * What is kept of a pod: its type fields, its metadata without managed fields, and its init
   * container's status.
   */
  static Pod slim(Pod pod) {
    List<ContainerStatus> init =
        pod.getStatus() == null || pod.getStatus().getInitContainerStatuses() == null
            ? List.of()
            : pod.getStatus().getInitContainerStatuses().stream()
                .filter(s -> s != null && Workload.INIT_CONTAINER.equals(s.getName()))
                .toList();
    Pod slim = slim(SlimStore.metadata(pod), init);
    slim.setApiVersion(pod.getApiVersion());
    slim.setKind(pod.getKind());
    return slim;
  }

  /**
   * What {@link #slim(Pod)} makes of a pod's parts: its metadata (without managed fields) and its
   * init container's status. The operator's client reads each pod into this ({@link SlimReaders}).
   */
  static Pod slim(ObjectMeta metadata, List<ContainerStatus> init) {
    // Made with setters: a builder would copy each part again (it keeps a builder of each).
    PodStatus status = new PodStatus();
    status.setInitContainerStatuses(new ArrayList<>(init));
    Pod pod = new Pod();
    pod.setMetadata(metadata);
    pod.setStatus(status);
    return pod;
  }
}
