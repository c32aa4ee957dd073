package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Why the StatefulSet controller cannot create a session's pod (Pod Security, quotas, a missing
 * service account...). The controller reports it only as a {@code FailedCreate} Event on the
 * StatefulSet, so the operator reads that Event — one LIST, only while the StatefulSet has no pod —
 * and carries its message into the session's conditions, where the user looks.
 */
final class PodCreationFailures {
  static final String REASON = "FailedCreate";
  private static final Logger LOG = LoggerFactory.getLogger(PodCreationFailures.class);

  /** A condition message stays short enough to read in {@code kubectl get -o wide}. */
  static final int MAX_MESSAGE = 1024;

  private PodCreationFailures() {}

  /** True when the StatefulSet has observed its spec and still has no pod at all. */
  static boolean noPod(StatefulSet sts) {
    var s = sts.getStatus();
    if (s == null || s.getObservedGeneration() == null) {
      return false;
    }
    Long gen = sts.getMetadata().getGeneration();
    boolean observed = gen == null || s.getObservedGeneration() >= gen;
    return observed && (s.getReplicas() == null || s.getReplicas() == 0);
  }

  /**
   * How recent a FailedCreate must be to count. The controller retries with a backoff of at most a
   * few minutes and each retry refreshes the Event; an older one is history (an earlier rollout),
   * not why there is no pod now.
   */
  static final Duration RECENT = Duration.ofMinutes(5);

  /** The latest recent FailedCreate message of this StatefulSet (by uid), if any. */
  static Optional<String> latest(KubernetesClient client, StatefulSet sts) {
    return latest(client, sts, Instant.now());
  }

  static Optional<String> latest(KubernetesClient client, StatefulSet sts, Instant now) {
    String uid = sts.getMetadata().getUid();
    try {
      return client
          .v1()
          .events()
          .inNamespace(sts.getMetadata().getNamespace())
          .withFields(
              Map.of(
                  "involvedObject.kind",
                  "StatefulSet",
                  "involvedObject.name",
                  sts.getMetadata().getName(),
                  "reason",
                  REASON))
          .list()
          .getItems()
          .stream()
          .filter(e -> uid == null || Objects.equals(uid, e.getInvolvedObject().getUid()))
          .filter(e -> when(e).isAfter(now.minus(RECENT)))
          .max(Comparator.comparing(PodCreationFailures::when))
          .map(e -> shorten(e.getMessage()));
    } catch (KubernetesClientException e) {
      LOG.warn("could not read the StatefulSet's events: {}", e.getMessage());
      return Optional.empty();
    }
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
