package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.nbsecrets.model.NotebookSession;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Why the StatefulSet controller cannot create a session's pod (Pod Security, quotas, a missing
 * service account...). The controller reports it only as a {@code FailedCreate} Event on the
 * StatefulSet, so the operator watches these Events ({@link SessionEventSources}: a field selector
 * on the reason, so no other Event is sent to it) and carries the message into the session's
 * conditions, where the user looks.
 */
final class PodCreationFailures {
  static final String REASON = "FailedCreate";

  /** A condition message stays short enough to read in {@code kubectl get -o wide}. */
  static final int MAX_MESSAGE = 1024;

  private PodCreationFailures() {}

  /**
   * True when the session has a StatefulSet and no pod: the pod informer's cache holds none ({@code
   * pod} is the session's pod there, or null). The pod cache says so, rather than the StatefulSet's
   * status, so that neither of the controller's two status writes around making a new session's pod
   * (spec observed with no pod yet, then the pod made) needs a reconcile: a failure to make it
   * arrives as a {@code FailedCreate} Event, which reconciles, and a pod made after a failure
   * reconciles on its addition ({@link #ended}).
   */
  static boolean noPod(StatefulSet sts, Pod pod) {
    return sts != null && pod == null;
  }

  /**
   * Whether a new pod ends a failure to make it, so that its addition reconciles: its session shows
   * {@code PodCreationFailed} ({@code session}: the cached session, or null), or {@code events}
   * (the watched {@code FailedCreate} Events of the pod's namespace) hold a recent one of its
   * StatefulSet (the failure may be on its way to the session). A new session's pod, with neither,
   * reconciles nothing: its StatefulSet's readiness does.
   */
  static boolean ended(Pod pod, NotebookSession session, Stream<Event> events, Instant now) {
    if (shown(session)) {
      return true;
    }
    Map<String, String> labels = pod.getMetadata().getLabels();
    String name = labels == null ? null : labels.get(Labels.SESSION);
    String owner =
        pod.getMetadata().getOwnerReferences() == null
            ? null
            : pod.getMetadata().getOwnerReferences().stream()
                .filter(o -> "StatefulSet".equals(o.getKind()) && name != null)
                .filter(o -> name.equals(o.getName()))
                .map(OwnerReference::getUid)
                .findFirst()
                .orElse(null);
    return name != null
        && events.anyMatch(
            e ->
                isCreationFailure(e)
                    && name.equals(e.getInvolvedObject().getName())
                    && (owner == null || owner.equals(e.getInvolvedObject().getUid()))
                    && when(e).isAfter(now.minus(RECENT)));
  }

  /** Whether the session's WorkloadReady says its pod cannot be made. */
  static boolean shown(NotebookSession session) {
    return session != null
        && session.getStatus() != null
        && Conditions.find(session.getStatus().getConditions(), Conditions.WORKLOAD_READY)
            .map(c -> Reason.POD_CREATION_FAILED.value().equals(c.getReason()))
            .orElse(false);
  }

  /**
   * How recent a FailedCreate must be to count. The StatefulSet controller retries with a backoff
   * that grows to 1,000 s (its work queue's longest), and each retry refreshes the Event, which the
   * operator watches; one older than that, with a margin, is history (an earlier rollout of the
   * same StatefulSet), not why there is no pod now.
   */
  static final Duration RECENT = Duration.ofMinutes(20);

  /** The session whose StatefulSet an Event is about: they share their name. */
  static Set<ResourceID> session(Event e) {
    ObjectReference about = e.getInvolvedObject();
    return about == null || about.getName() == null
        ? Set.of()
        : Set.of(new ResourceID(about.getName(), e.getMetadata().getNamespace()));
  }

  /** A StatefulSet's FailedCreate (also where a field selector is not honoured). */
  static boolean isCreationFailure(Event e) {
    return REASON.equals(e.getReason())
        && e.getInvolvedObject() != null
        && "StatefulSet".equals(e.getInvolvedObject().getKind());
  }

  /** The latest recent FailedCreate message of this StatefulSet (by uid) among {@code events}. */
  static Optional<String> latest(Collection<Event> events, StatefulSet sts, Instant now) {
    String uid = sts.getMetadata().getUid();
    return events.stream()
        .filter(PodCreationFailures::isCreationFailure)
        .filter(e -> sts.getMetadata().getName().equals(e.getInvolvedObject().getName()))
        .filter(e -> uid == null || Objects.equals(uid, e.getInvolvedObject().getUid()))
        .filter(e -> when(e).isAfter(now.minus(RECENT)))
        .max(Comparator.comparing(PodCreationFailures::when))
        .map(e -> shorten(e.getMessage()));
  }

  private static Instant when(Event e) {
    String t = e.getLastTimestamp();
    if (t == null && e.getEventTime() != null) {
      t = e.getEventTime().getTime();
    }
    if (t == null) {
      t = e.getMetadata().getCreationTimestamp();
    }
    try {
      return t == null ? Instant.EPOCH : OffsetDateTime.parse(t).toInstant();
    } catch (DateTimeParseException ex) {
      return Instant.EPOCH;
    }
  }

  static String shorten(String message) {
    String m = message == null ? "" : message;
    if (m.codePointCount(0, m.length()) <= MAX_MESSAGE) {
      return m;
    }
    return m.substring(0, m.offsetByCodePoints(0, MAX_MESSAGE - 1)) + "…";
  }
}
