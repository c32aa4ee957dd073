package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.nbsecrets.model.MountedSecret;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionStatus;
import io.nbsecrets.model.SecretsSpec;
import io.nbsecrets.util.Counts;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Collects what one reconcile learnt about a session ({@code SecretsReady}, {@code WorkloadReady},
 * or the failure that stopped it) and builds the status, deriving {@code Ready} from the other
 * conditions in one place.
 *
 * <p>It starts from the previous status: a condition this pass says nothing about (SecretsReady
 * after a workload failure) stays as last written. Each condition is written once per pass in
 * Kubernetes' shape, with the session's generation as observedGeneration and a lastTransitionTime
 * that changes only when its status does.
 */
final class SessionStatusAggregator {
  private static final List<String> ORDER =
      List.of(Conditions.SECRETS_READY, Conditions.WORKLOAD_READY, Conditions.READY);

  private final NotebookSession session;
  private final Instant now;
  private final Map<String, Verdict> verdicts = new HashMap<>();
  private Verdict failure;

  /** The Secret the status names ({@link #secretFrom}); the one it named before until then. */
  private String secretName;

  /** One condition's status, reason and message. */
  private record Verdict(String status, String reason, String message) {
    static Verdict of(Condition c) {
      return new Verdict(c.getStatus(), c.getReason(), c.getMessage());
    }

    boolean isTrue() {
      return Conditions.TRUE.equals(status);
    }
  }

  /** Sets one condition type: {@code secrets().ready(reason, message)}. */
  final class ConditionSetter {
    private final String type;

    private ConditionSetter(String type) {
      this.type = type;
    }

    SessionStatusAggregator ready(Reason reason, String message) {
      verdicts.put(type, new Verdict(Conditions.TRUE, reason.value(), message));
      return SessionStatusAggregator.this;
    }

    SessionStatusAggregator notReady(Reason reason, String message) {
      verdicts.put(type, new Verdict(Conditions.FALSE, reason.value(), message));
      return SessionStatusAggregator.this;
    }
  }

  SessionStatusAggregator(NotebookSession session, Instant now) {
    this.session = session;
    this.now = now;
    this.secretName = session.getStatus() == null ? null : session.getStatus().getSecretName();
  }

  /** The {@code SecretsReady} condition: the snapshot is mounted, or why not. */
  ConditionSetter secrets() {
    return new ConditionSetter(Conditions.SECRETS_READY);
  }

  /** The {@code WorkloadReady} condition: the pod is ready, or why not. */
  ConditionSetter workload() {
    return new ConditionSetter(Conditions.WORKLOAD_READY);
  }

  /**
   * SecretsReady after a pass that mounted the snapshot of {@code count} secrets: True, and if the
   * store could not say whether they are still the stored ones, under {@code StaleCheckFailed} (the
   * session runs with its secrets; the stale marks stay as last seen until the poller checks
   * again).
   */
  SessionStatusAggregator secretsFrom(
      List<Snapshot.ManifestEntry> manifest, SecretResolver.CurrentVersions versions) {
    String inSnapshot =
        Counts.of(manifest.size(), "secret")
            + " in the snapshot"
            + envNote(manifest)
            + liveNote(manifest);
    if (versions.known()) {
      return secrets().ready(Reason.SECRETS_MOUNTED, inSnapshot);
    }
    return secrets()
        .ready(
            Reason.STALE_CHECK_FAILED,
            inSnapshot
                + "; whether they were replaced or deleted since could not be checked ("
                + versions.reason()
                + ": "
                + versions.message()
                + "): stale marks are as last seen, checked again every "
                + StaleSecretsPoller.PERIOD.toSeconds()
                + " s");
  }

  /**
   * SecretsReady after a pass that took the snapshot of {@code manifest} and then failed to write
   * the workload that mounts it: True (the secrets are ready) under {@code SnapshotTaken}, saying
   * that nothing mounts it yet; WorkloadReady and Ready say why.
   */
  SessionStatusAggregator secretsTaken(List<Snapshot.ManifestEntry> manifest) {
    return secrets()
        .ready(
            Reason.SNAPSHOT_TAKEN,
            Counts.of(manifest.size(), "secret")
                + " in the snapshot, not mounted yet: the session's workload could not be"
                + " written (WorkloadReady says why)");
  }

  /**
   * How many of the snapshot's secrets are environment variables too, and, under {@code envAll},
   * which are not because their names are not environment names (never silently left out).
   */
  private String envNote(List<Snapshot.ManifestEntry> manifest) {
    SecretsSpec secrets = session.getSpec() == null ? null : session.getSpec().getSecrets();
    if (secrets == null || !secrets.exportsEnv()) {
      return "";
    }
    long exported = manifest.stream().filter(m -> m.env() != null).count();
    String note = ", " + exported + " also as environment variables (set when the session starts)";
    if (!secrets.exportsAll()) {
      return note;
    }
    List<String> skipped =
        manifest.stream().filter(m -> m.env() == null).map(Snapshot.ManifestEntry::name).toList();
    if (skipped.isEmpty()) {
      return note;
    }
    return note
        + "; envAll left out "
        + Counts.of(skipped.size(), "secret")
        + " whose names are not environment variable names ("
        + SessionEvents.joinNames(skipped, 400)
        + "): name their variables with spec.secrets.items[].env";
  }

  /**
   * For a {@code refresh: Live} session: that its files follow the store, and which selected
   * secrets the store no longer has (their files were removed from the running session).
   */
  private String liveNote(List<Snapshot.ManifestEntry> manifest) {
    SecretsSpec secrets = session.getSpec() == null ? null : session.getSpec().getSecrets();
    if (secrets == null || !secrets.live()) {
      return "";
    }
    String note = "; refresh: Live, the running session's files follow the store";
    java.util.Set<String> mounted = new java.util.HashSet<>();
    manifest.forEach(m -> mounted.add(m.name()));
    List<String> removed =
        secrets.itemsOrEmpty().stream()
            .map(io.nbsecrets.model.SecretItem::getName)
            .filter(n -> !mounted.contains(n))
            .toList();
    if (removed.isEmpty()) {
      return note;
    }
    return note
        + "; deleted from the store, and so from the session: "
        + SessionEvents.joinNames(removed, 400);
  }

  /** WorkloadReady as the StatefulSet and its controller say. */
  SessionStatusAggregator workloadFrom(StatefulSet sts, String creationFailure) {
    if (sts == null) {
      return workload()
          .notReady(Reason.WORKLOAD_NOT_CREATED, "the session starts once its secrets are ready");
    }
    String pod = Workload.podName(sts.getMetadata().getName());
    if (creationFailure != null) {
      return workload()
          .notReady(
              Reason.POD_CREATION_FAILED, "cannot create pod " + pod + ": " + creationFailure);
    }
    if (podReady(sts)) {
      return workload().ready(Reason.POD_READY, "pod " + pod + " is ready");
    }
    return workload().notReady(Reason.POD_NOT_READY, "waiting for pod " + pod + " to be ready");
  }

  /**
   * The pass stopped on {@code f}: the condition of its scope is False with its reason, and Ready
   * names it whatever the other condition says.
   */
  SessionStatusAggregator failed(SessionFailure f) {
    ConditionSetter scope = f.scope() == SessionFailure.Scope.SECRETS ? secrets() : workload();
    scope.notReady(f.reasonCode(), f.getMessage());
    failure = new Verdict(Conditions.FALSE, f.reason(), f.getMessage());
    return this;
  }

  /**
   * The pod's init step failed: SecretsReady is False under the init step's own reason
   * (UserKeyRefused, TokenExpired, ...), which only the pod knows.
   */
  SessionStatusAggregator initFailed(PodInitFailures.Failure f) {
    verdicts.put(Conditions.SECRETS_READY, new Verdict(Conditions.FALSE, f.reason(), f.message()));
    return this;
  }

  /**
   * The pass wrote {@code sts} for the snapshot whose Secret is {@code secretName}: the status
   * names the Secret when {@code sts} mounts it. Without this call (a failed pass), the status
   * keeps the Secret it named before, which a later pass deletes once the StatefulSet mounts
   * another ({@link SnapshotStep#deleteSuperseded}).
   */
  SessionStatusAggregator secretFrom(StatefulSet sts, String secretName) {
    if (Workload.mountsSecret(sts, secretName)) {
      this.secretName = secretName;
    }
    return this;
  }

  /**
   * The status: conditions with Ready derived, the mounted secrets, the pod's and Secret's names.
   */
  NotebookSessionStatus build(List<MountedSecret> mounted, StatefulSet sts) {
    NotebookSessionStatus status = new NotebookSessionStatus();
    status.setObservedGeneration(generation());
    status.setConditions(conditions());
    status.setSecrets(mounted);
    status.setPodName(sts == null ? null : Workload.podName(session.getMetadata().getName()));
    status.setSecretName(secretName);
    return status;
  }

  private List<Condition> conditions() {
    List<Condition> conditions = new ArrayList<>();
    var previous = session.getStatus();
    if (previous != null && previous.getConditions() != null) {
      previous.getConditions().forEach(c -> conditions.add(new ConditionBuilder(c).build()));
    }
    Map<String, Verdict> all = new HashMap<>(verdicts);
    ready(conditions).ifPresent(r -> all.put(Conditions.READY, r));
    // A fixed order, so that the same verdicts always make the same status.
    for (String type : ORDER) {
      Verdict v = all.get(type);
      if (v != null) {
        Conditions.set(conditions, type, v.status(), v.reason(), v.message(), generation(), now);
      }
    }
    return conditions;
  }

  /**
   * Ready: the pass's failure if any; else the first of SecretsReady and WorkloadReady that is not
   * True; else True once SecretsReady is known. Unchanged while there is nothing to say.
   */
  private Optional<Verdict> ready(List<Condition> previous) {
    if (failure != null) {
      return Optional.of(failure);
    }
    Optional<Verdict> secrets = current(previous, Conditions.SECRETS_READY);
    Optional<Verdict> notReady =
        secrets
            .filter(v -> !v.isTrue())
            .or(() -> current(previous, Conditions.WORKLOAD_READY).filter(v -> !v.isTrue()));
    if (notReady.isPresent()) {
      return notReady.map(v -> new Verdict(Conditions.FALSE, v.reason(), v.message()));
    }
    return secrets.map(
        v ->
            new Verdict(
                Conditions.TRUE,
                Reason.SESSION_READY.value(),
                "the session is running with its secrets"));
  }

  /** A condition as this pass set it, or as the previous status had it. */
  private Optional<Verdict> current(List<Condition> previous, String type) {
    return Optional.ofNullable(verdicts.get(type))
        .or(() -> Conditions.find(previous, type).map(Verdict::of));
  }

  /**
   * The pod is ready and runs the StatefulSet's current revision. A StatefulSet's status update
   * reconciles only when this changes ({@link WorkloadChanges}).
   */
  static boolean podReady(StatefulSet sts) {
    var s = sts.getStatus();
    if (s == null || s.getReadyReplicas() == null || s.getReadyReplicas() < 1) {
      return false;
    }
    Long gen = sts.getMetadata().getGeneration();
    if (gen != null && s.getObservedGeneration() != null && s.getObservedGeneration() < gen) {
      return false;
    }
    return s.getUpdateRevision() == null || s.getUpdateRevision().equals(s.getCurrentRevision());
  }

  private long generation() {
    Long g = session.getMetadata().getGeneration();
    return g == null ? 0 : g;
  }
}
