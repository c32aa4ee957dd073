package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** Kubernetes-standard conditions: lastTransitionTime changes only when the status changes. */
public final class Conditions {
  public static final String READY = "Ready";
  public static final String SECRETS_READY = "SecretsReady";
  public static final String WORKLOAD_READY = "WorkloadReady";

  public static final String TRUE = "True";
  public static final String FALSE = "False";
  public static final String UNKNOWN = "Unknown";

  private Conditions() {}

  public static Optional<Condition> find(List<Condition> conditions, String type) {
    return conditions == null
        ? Optional.empty()
        : conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  /**
   * Sets a condition in {@code conditions} (in place), keeping its lastTransitionTime unless the
   * status changes. Only {@link SessionStatusAggregator} writes a session's conditions.
   */
  static void set(
      List<Condition> conditions,
      String type,
      String status,
      String reason,
      String message,
      long generation,
      Instant now) {
    Optional<Condition> old = find(conditions, type);
    String transition =
        old.filter(c -> status.equals(c.getStatus()))
            .map(Condition::getLastTransitionTime)
            .orElse(now.truncatedTo(ChronoUnit.SECONDS).toString());
    Condition next =
        new ConditionBuilder()
            .withType(type)
            .withStatus(status)
            .withReason(reason)
            .withMessage(message)
            .withObservedGeneration(generation)
            .withLastTransitionTime(transition)
            .build();
    old.ifPresentOrElse(
        c -> conditions.set(conditions.indexOf(c), next), () -> conditions.add(next));
  }

  /** True when the condition of {@code type} has this status, reason and message. */
  public static boolean is(List<Condition> conditions, String type, String status, String reason) {
    return find(conditions, type)
        .filter(c -> Objects.equals(c.getStatus(), status) && Objects.equals(c.getReason(), reason))
        .isPresent();
  }
}
