package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionStatus;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Reconciles a NotebookSession in five steps: observe (from the informer caches), validate, take a
 * snapshot of the selected secrets (once per selection, {@link SnapshotStep}), make the StatefulSet
 * and Service match ({@link WorkloadStep}), and report ({@link SessionStatusAggregator}).
 *
 * <p>Reads come from informer caches, so a resync where nothing changed makes no API request to
 * Kubernetes (one store call checks for stale secrets) and writes nothing. Secrets replaced or
 * deleted while nothing touches the session are found by {@link StaleSecretsPoller}, which
 * reconciles the sessions concerned within one period. Failures throw a {@link SessionFailure};
 * {@link #updateErrorStatus} turns it into conditions and an Event, and the framework retries with
 * backoff.
 */
@ControllerConfiguration(
    name = NotebookSessionReconciler.NAME,
    // Not generation-aware, so that a refresh request (an annotation) reconciles; the echoes of
    // the operator's own status writes are dropped instead.
    generationAwareEventProcessing = false,
    informer = @Informer(onUpdateFilter = StatusOnlyChanges.class))
public class NotebookSessionReconciler implements Reconciler<NotebookSession> {
  public static final String NAME = "notebooksession";
  private static final Logger LOG = LoggerFactory.getLogger(NotebookSessionReconciler.class);

  /** Log context key: every log line of a reconcile names its session (namespace/name). */
  static final String MDC_SESSION = "session";

  private final SecretResolver resolver;
  private final Clock clock;
  private final SessionMetrics metrics;
  private final SnapshotStep snapshots;
  private final WorkloadStep workload;
  private volatile SessionEventSources caches = SessionEventSources.none();

  public NotebookSessionReconciler(
      SecretResolver resolver, OperatorConfig config, MeterRegistry registry, Clock clock) {
    this.resolver = resolver;
    this.clock = clock;
    this.metrics = new SessionMetrics(registry);
    metrics.records(resolver.opened());
    this.snapshots = new SnapshotStep(resolver, metrics);
    this.workload = new WorkloadStep(config);
  }

  @Override
  public List<EventSource<?, NotebookSession>> prepareEventSources(
      EventSourceContext<NotebookSession> context) {
    caches = SessionEventSources.create(context, resolver, metrics);
    return caches.all();
  }

  /**
   * What the caches hold about a session: its snapshot records, workload (slim: {@link
   * Workload#slim}), pod (slim: {@link SessionPods#slim}) and the StatefulSet controller's
   * FailedCreate and the kubelet's FailedMount Events.
   */
  private record Observed(
      List<SnapshotRecord> records, StatefulSet sts, Service service, Pod pod, Set<Event> events) {
    static Observed of(NotebookSession session, Context<NotebookSession> context) {
      StatefulSet sts = named(session, context, StatefulSet.class);
      return new Observed(
          SnapshotStep.owned(session, sts, context.getSecondaryResources(ConfigMap.class)),
          sts,
          named(session, context, Service.class),
          SessionPods.ofSession(
              session.getMetadata().getName(), context.getSecondaryResources(Pod.class)),
          context.getSecondaryResources(Event.class));
    }

    /**
     * Whether the kubelet says it cannot mount the volumes of the session's pod, which is not
     * ready: the Secret the StatefulSet mounts may be gone ({@link PodMountFailures}).
     */
    boolean cannotMount() {
      return sts != null
          && !SessionStatusAggregator.podReady(sts)
          && PodMountFailures.of(pod, events);
    }
  }

  /**
   * The session's own object of a kind, by its name (the session's): the cache indexes under the
   * session every object that names it as owner, and a copy someone made of one (a Service copied
   * with {@code kubectl get -o yaml}, renamed and applied) carries the same owner reference.
   */
  static <R extends HasMetadata> R named(
      NotebookSession session, Context<NotebookSession> context, Class<R> type) {
    String name = session.getMetadata().getName();
    return context.getSecondaryResources(type).stream()
        .filter(r -> name.equals(r.getMetadata().getName()))
        .findFirst()
        .orElse(null);
  }

  @Override
  public UpdateControl<NotebookSession> reconcile(
      NotebookSession session, Context<NotebookSession> context) throws SessionFailure {
    MDC.put(MDC_SESSION, sessionKey(session));
    try {
      return metrics.time(() -> doReconcile(session, context));
    } finally {
      MDC.remove(MDC_SESSION);
    }
  }

  private UpdateControl<NotebookSession> doReconcile(
      NotebookSession session, Context<NotebookSession> context) throws SessionFailure {
    KubernetesClient client = context.getClient();
    Observed observed = Observed.of(session, context);
    SessionValidator.validateSpec(session);
    SessionValidator.validateBinding(
        session, context.getSecondaryResource(Namespace.class).orElse(null));
    // The caches find objects by the session's name: what an earlier session of that name left,
    // or someone else's, is not this session's to follow or change.
    Adoption.ours(session, observed.sts());
    Adoption.ours(session, observed.service());
    // The store's versions, for a live session's freshness and the stale marks: at most one
    // metadata call, asked when first needed and not before the session's latest snapshot (an
    // answer of the last VERSIONS_MAX_AGE asked after it is reused).
    String user = session.getSpec().getUser();
    String uid = session.getMetadata().getUid();
    Supplier<SecretResolver.CurrentVersions> versions =
        memoized(() -> resolver.currentVersions(user, snapshots.takenAt(uid)));
    SnapshotRecord record =
        snapshots.current(
            client,
            caches,
            session,
            observed.records(),
            observed.sts(),
            observed.cannotMount(),
            versions);
    StatefulSet sts;
    try {
      sts = workload.apply(client, caches, session, record, observed.sts(), observed.service());
    } catch (SessionFailure | RuntimeException e) {
      // The secrets are ready even though the workload is not: the status says so, rather than
      // keeping an earlier pass's secrets failure.
      throw sessionFailure(e).afterSecretsTaken(new SessionFailure.SecretsTaken(record.manifest()));
    }
    snapshots.deleteSuperseded(client, session, observed.records(), record, observed.sts(), sts);
    return report(client, session, record, sts, observed, versions.get());
  }

  private static <T> Supplier<T> memoized(Supplier<T> supplier) {
    return new Supplier<>() {
      private T value;

      @Override
      public T get() {
        if (value == null) {
          value = supplier.get();
        }
        return value;
      }
    };
  }

  /** Writes the status of a pass that went through. */
  private UpdateControl<NotebookSession> report(
      KubernetesClient client,
      NotebookSession session,
      SnapshotRecord record,
      StatefulSet sts,
      Observed observed,
      SecretResolver.CurrentVersions versions) {
    List<Snapshot.ManifestEntry> manifest = record.manifest();
    metrics.staleCheck(versions.result());
    if (!versions.known()) {
      LOG.warn("cannot check for stale secrets: {}: {}", versions.reason(), versions.message());
    }
    var status =
        new SessionStatusAggregator(session, clock.instant())
            .secretsFrom(manifest, versions)
            .secretFrom(sts, record.secretName(session.getMetadata().getName()).orElseThrow());
    // The init step's own reason (UserKeyRefused, TokenExpired, ...), when its pod says it failed.
    Pod pod = observed.pod();
    if (sts != null && pod != null && !SessionStatusAggregator.podReady(sts)) {
      PodInitFailures.of(pod).ifPresent(status::initFailed);
    }
    status.workloadFrom(sts, creationFailure(sts, pod, observed.events()));
    var mounted = StaleMarks.mounted(manifest, versions, session.getStatus());
    StatusPatch.write(client, session, status.build(mounted, sts));
    // Nothing to poll: the pod's init step and the controller's FailedCreate are watched.
    return UpdateControl.noUpdate();
  }

  @Override
  public ErrorStatusUpdateControl<NotebookSession> updateErrorStatus(
      NotebookSession session, Context<NotebookSession> context, Exception e) {
    MDC.put(MDC_SESSION, sessionKey(session));
    try {
      SessionFailure failure = sessionFailure(e);
      metrics.failure(failure.reason());
      LOG.warn("session not ready: {}: {}", failure.reason(), failure.getMessage());
      if (session.getSpec() == null) {
        return ErrorStatusUpdateControl.noStatusUpdate();
      }
      KubernetesClient client = context.getClient();
      StatefulSet sts = named(session, context, StatefulSet.class);
      Pod pod =
          SessionPods.ofSession(
              session.getMetadata().getName(), context.getSecondaryResources(Pod.class));
      NotebookSessionStatus old = session.getStatus();
      SessionStatusAggregator aggregator = new SessionStatusAggregator(session, clock.instant());
      failure.secretsTaken().ifPresent(t -> aggregator.secretsTaken(t.manifest()));
      // The init step's own reason still wins while the session's pod says it failed.
      if (sts != null && pod != null && !SessionStatusAggregator.podReady(sts)) {
        PodInitFailures.of(pod).ifPresent(aggregator::initFailed);
      }
      NotebookSessionStatus status =
          aggregator
              .workloadFrom(
                  sts, creationFailure(sts, pod, context.getSecondaryResources(Event.class)))
              .failed(failure)
              .build(old == null ? null : old.getSecrets(), sts);
      // An Event when Ready says something new: a retry of the same failure adds none.
      boolean news =
          old == null
              || !Conditions.find(old.getConditions(), Conditions.READY)
                  .map(
                      c ->
                          failure.reason().equals(c.getReason())
                              && failure.getMessage().equals(c.getMessage()))
                  .orElse(false);
      if (news) {
        new SessionEvents(client).warning(session, failure.reasonCode(), failure.getMessage());
      }
      StatusPatch.write(client, session, status);
      return ErrorStatusUpdateControl.noStatusUpdate();
    } finally {
      MDC.remove(MDC_SESSION);
    }
  }

  /** Why the StatefulSet has no pod, when it has none and the controller said why; else null. */
  private String creationFailure(StatefulSet sts, Pod pod, Set<Event> events) {
    if (!PodCreationFailures.noPod(sts, pod)) {
      return null;
    }
    return PodCreationFailures.latest(events, sts, clock.instant()).orElse(null);
  }

  /** The failure behind {@code e} (the framework wraps checked exceptions). */
  static SessionFailure sessionFailure(Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SessionFailure f) {
        return f;
      }
    }
    return new SessionFailure(
        SessionFailure.Scope.WORKLOAD, Reason.RECONCILE_ERROR, describe(e), e);
  }

  private static String describe(Exception e) {
    if (e instanceof KubernetesClientException k) {
      String detail = k.getStatus() == null ? k.getMessage() : k.getStatus().getMessage();
      return "Kubernetes API error (" + k.getCode() + "): " + detail;
    }
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }

  private static String sessionKey(NotebookSession session) {
    return session.getMetadata().getNamespace() + "/" + session.getMetadata().getName();
  }
}
