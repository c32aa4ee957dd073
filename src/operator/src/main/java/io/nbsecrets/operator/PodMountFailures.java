package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.Collection;
import java.util.Set;

/**
 * A session's pod whose volumes the kubelet cannot mount. The case the operator mends is the
 * per-session Secret deleted under a StatefulSet that mounts it (by hand, or by a clean-up that
 * went too far): the running pod goes on, but the next one (a deleted pod, a node drained) waits in
 * {@code ContainerCreating} for ever, and the kubelet says why only in a {@code FailedMount} Event
 * on the pod. So the operator watches these Events ({@link SessionEventSources}: a field selector
 * on the reason, so no other Event is sent to it), and a session whose current pod has one asks the
 * API server whether its Secret is still there ({@link SnapshotStep}); when it is not, the session
 * takes its snapshot again, as when the StatefulSet is deleted.
 *
 * <p>Nothing is read from the Event's message (the kubelet's wording is no contract): the Event
 * only makes the operator ask, and the answer is the API server's.
 */
final class PodMountFailures {
  static final String REASON = "FailedMount";

  private PodMountFailures() {}

  /** The session whose pod an Event is about: the pod is its StatefulSet's, named after it. */
  static Set<ResourceID> session(Event e) {
    ObjectReference about = e.getInvolvedObject();
    if (about == null || about.getName() == null) {
      return Set.of();
    }
    String pod = about.getName();
    String suffix = Workload.podName("");
    if (pod.length() <= suffix.length() || !pod.endsWith(suffix)) {
      return Set.of();
    }
    String session = pod.substring(0, pod.length() - suffix.length());
    return Set.of(new ResourceID(session, e.getMetadata().getNamespace()));
  }

  /** A pod's FailedMount (also where a field selector is not honoured). */
  static boolean isMountFailure(Event e) {
    return REASON.equals(e.getReason())
        && e.getInvolvedObject() != null
        && "Pod".equals(e.getInvolvedObject().getKind());
  }

  /**
   * What the cache keeps of such an Event: whom it is about and why, not its message (never read; a
   * cluster's storage troubles may fill many).
   */
  static Event slim(Event e) {
    return new EventBuilder()
        .withMetadata(SlimStore.metadata(e))
        .withInvolvedObject(e.getInvolvedObject())
        .withReason(e.getReason())
        .withType(e.getType())
        .build();
  }

  /**
   * Whether the kubelet said it cannot mount a volume of {@code pod} (the session's pod, or null):
   * an Event about this very pod, by uid, so that one about an earlier pod of the same name (Events
   * live an hour) counts for nothing.
   */
  static boolean of(Pod pod, Collection<Event> events) {
    if (pod == null || pod.getMetadata() == null || pod.getMetadata().getUid() == null) {
      return false;
    }
    String uid = pod.getMetadata().getUid();
    String name = pod.getMetadata().getName();
    return events.stream()
        .filter(PodMountFailures::isMountFailure)
        .anyMatch(
            e ->
                uid.equals(e.getInvolvedObject().getUid())
                    && name.equals(e.getInvolvedObject().getName()));
  }
}
