package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.nbsecrets.model.MountedSecret;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionStatus;
import io.nbsecrets.util.Counts;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Reconciles a NotebookSession: validate, take a snapshot of the selected secrets (once per
 * selection), then make the session Secret, StatefulSet and Service match, and report.
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
    generationAwareEventProcessing = false)
public class NotebookSessionReconciler implements Reconciler<NotebookSession> {
  public static final String NAME = "notebooksession";
  private static final Logger LOG = LoggerFactory.getLogger(NotebookSessionReconciler.class);

  /** Log context key: every log line of a reconcile names its session (namespace/name). */
  static final String MDC_SESSION = "session";

  /** SecretsReady's reason while the store cannot say whether the mounted secrets are current. */
  public static final String STALE_CHECK_FAILED = "StaleCheckFailed";

  /** How often to look for the StatefulSet controller's reason while a session has no pod. */
  static final java.time.Duration NO_POD_RECHECK = java.time.Duration.ofSeconds(10);

  /** How often to look for the init step's reason while a session's pod is not ready. */
  static final java.time.Duration NOT_READY_RECHECK = java.time.Duration.ofSeconds(15);

  private static final com.fasterxml.jackson.databind.ObjectMapper MERGE_PATCH_JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private final SecretResolver resolver;
  private final OperatorConfig config;
  private final Clock clock;
  private final SessionMetrics metrics;
  private volatile InformerEventSource<ConfigMap, NotebookSession> records;
  private volatile InformerEventSource<StatefulSet, NotebookSession> statefulSets;
  private volatile InformerEventSource<Service, NotebookSession> services;

  public NotebookSessionReconciler(
      SecretResolver resolver, OperatorConfig config, MeterRegistry registry, Clock clock) {
    this.resolver = resolver;
    this.config = config;
    this.clock = clock;
    this.metrics = new SessionMetrics(registry);
  }

  @Override
  public List<EventSource<?, NotebookSession>> prepareEventSources(
      EventSourceContext<NotebookSession> context) {
    String ours = Labels.MANAGED_BY + "=" + Labels.MANAGED_BY_VALUE;
    // Snapshot records, not the session Secrets: the operator never reads a Secret.
    records =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(ConfigMap.class, NotebookSession.class)
                .withName("snapshots")
                .withLabelSelector(ours + "," + Labels.COMPONENT + "=" + Labels.COMPONENT_SNAPSHOT)
                .build(),
            context);
    statefulSets =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(StatefulSet.class, NotebookSession.class)
                .withName("statefulsets")
                .withLabelSelector(ours)
                .build(),
            context);
    services =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Service.class, NotebookSession.class)
                .withName("services")
                .withLabelSelector(ours)
                .build(),
            context);
    var primaries = context.getPrimaryCache();
    InformerEventSource<Namespace, NotebookSession> namespaces =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Namespace.class, NotebookSession.class)
                .withName("namespaces")
                // Namespaces are cluster-scoped: one informer over all of them. Inheriting the
                // controller's namespaces would key the cache by a watched namespace, and every
                // lookup of a binding would miss.
                .withWatchAllNamespaces()
                .withFollowControllerNamespacesChanges(false)
                .withPrimaryToSecondaryMapper(
                    (NotebookSession p) -> Set.of(new ResourceID(p.getMetadata().getNamespace())))
                .withSecondaryToPrimaryMapper(
                    ns ->
                        primaries
                            .list(ns.getMetadata().getName())
                            .map(ResourceID::fromResource)
                            .collect(Collectors.toSet()))
                .build(),
            context);
    // Secrets replaced or deleted while nothing touches the session: see the poller for why a
    // poll per user rather than a periodic reconcile per session or a push per store.
    StaleSecretsPoller stale =
        new StaleSecretsPoller(primaries::list, resolver, metrics, StaleSecretsPoller.PERIOD);
    return List.of(records, statefulSets, services, namespaces, stale);
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
    SessionValidator.validateSpec(session);
    SessionValidator.validateBinding(
        session, context.getSecondaryResource(Namespace.class).orElse(null));
    KubernetesClient client = context.getClient();
    String selectionHash = SecretResolver.selectionHash(session);
    String sessionName = session.getMetadata().getName();
    List<ConfigMap> owned = owned(session, context.getSecondaryResources(ConfigMap.class));
    StatefulSet actualSts = context.getSecondaryResource(StatefulSet.class).orElse(null);

    // A record is followed only when the Secret it names is the one its contents name.
    ConfigMap current =
        owned.stream()
            .filter(r -> selectionHash.equals(SnapshotRecords.selectionHash(r)))
            .filter(r -> SnapshotRecords.secretName(sessionName, r).isPresent())
            .findFirst()
            .orElse(null);
    if (current != null) {
      String secretName = SnapshotRecords.secretName(sessionName, current).orElseThrow();
      if (!Workload.mountsSecret(actualSts, secretName)
          && !SessionSecrets.exists(client, session.getMetadata().getNamespace(), secretName)) {
        // Its Secret is gone (deleted by hand, or by a clean-up that stopped half-way): a pod
        // pointed at it would never start. Take a new snapshot instead.
        LOG.info(
            "snapshot {} lost its secret {}; taking a new one",
            current.getMetadata().getName(),
            secretName);
        client.resource(current).delete();
        current = null;
      }
    }
    if (current == null) {
      Snapshot snapshot = resolver.resolve(session);
      Secret sealed = SessionSecrets.desired(session, snapshot);
      ConfigMap record =
          SnapshotRecords.desired(session, snapshot, SessionSecrets.dataBytes(sealed));
      // Before either is written: nothing half-made when the API server would refuse one.
      SessionSecrets.requireFits(snapshot, sealed, record);
      createOrUse(client, sealed);
      current = createOrGet(client, records, session, record);
      String took = Counts.of(snapshot.entries().size(), "secret");
      metrics.snapshotTaken(snapshot.entries().size());
      LOG.info("took a snapshot of {}", took);
      new SessionEvents(client)
          .normal(
              session,
              "SnapshotTaken",
              "took "
                  + took
                  + ": "
                  + SessionEvents.joinNames(SecretResolver.names(snapshot.entries()), 900));
    }
    List<Snapshot.ManifestEntry> manifest = SnapshotRecords.manifest(current);
    String secretName = SnapshotRecords.secretName(sessionName, current).orElseThrow();

    config.apiCaForInit(); // the API's CA must be known before a pod can verify it
    StatefulSet desiredSts =
        Workload.statefulSet(
            session,
            secretName,
            selectionHash,
            SnapshotRecords.manifestInSecret(current) ? null : manifest,
            SnapshotRecords.sealedBytes(current),
            config);
    StatefulSet sts = ensure(client, statefulSets, session, desiredSts, actualSts);
    ensure(
        client,
        services,
        session,
        Workload.service(session),
        context.getSecondaryResource(Service.class).orElse(null));

    String currentName = current.getMetadata().getName();
    for (ConfigMap old : owned) {
      if (!old.getMetadata().getName().equals(currentName)) {
        // The Secret first: a record whose Secret is gone is deleted on the next pass. A record
        // whose contents do not name its Secret is never followed to delete anything.
        var oldSecret = SnapshotRecords.secretName(sessionName, old);
        if (oldSecret.isPresent() && !oldSecret.get().equals(secretName)) {
          client
              .secrets()
              .inNamespace(old.getMetadata().getNamespace())
              .withName(oldSecret.get())
              .delete();
        }
        client.resource(old).delete();
        LOG.info(
            "deleted superseded snapshot {} (secret {})",
            old.getMetadata().getName(),
            oldSecret.orElse("none"));
      }
    }

    SecretResolver.CurrentVersions versions = resolver.currentVersions(session.getSpec().getUser());
    metrics.staleCheck(versions.result());
    NotebookSessionStatus status =
        newStatus(session, sts, mounted(manifest, versions, session.getStatus()));
    long generation = generation(session);
    String inSnapshot = Counts.of(manifest.size(), "secret") + " in the snapshot";
    if (versions.known()) {
      Conditions.set(
          status.getConditions(),
          Conditions.SECRETS_READY,
          Conditions.TRUE,
          "SecretsMounted",
          inSnapshot,
          generation,
          clock.instant());
    } else {
      // The session runs with its secrets (True); what could not be checked is whether they are
      // still the stored ones. The marks stay as last seen, the poller checks again.
      LOG.warn("cannot check for stale secrets: {}: {}", versions.reason(), versions.message());
      Conditions.set(
          status.getConditions(),
          Conditions.SECRETS_READY,
          Conditions.TRUE,
          STALE_CHECK_FAILED,
          inSnapshot
              + "; whether they were replaced or deleted since could not be checked ("
              + versions.reason()
              + ": "
              + versions.message()
              + "): stale marks are as last seen, checked again every "
              + StaleSecretsPoller.PERIOD.toSeconds()
              + " s",
          generation,
          clock.instant());
    }
    // The init step's own reason (UserKeyRefused, TokenExpired, ...), when its pod says it failed.
    boolean waiting = sts != null && !podReady(sts) && !PodCreationFailures.noPod(sts);
    if (waiting) {
      PodInitFailures.of(client, sts)
          .ifPresent(
              f ->
                  Conditions.set(
                      status.getConditions(),
                      Conditions.SECRETS_READY,
                      Conditions.FALSE,
                      f.reason(),
                      f.message(),
                      generation,
                      clock.instant()));
    }
    String creationFailure = creationFailure(client, sts);
    setWorkloadAndReady(status, sts, creationFailure, generation);
    writeStatus(client, session, status);
    UpdateControl<NotebookSession> done = UpdateControl.noUpdate();
    // The controller's FailedCreate events are not watched: look again while there is no pod.
    // Pods are not watched either: look again while the pod is not ready (its init step may
    // fail, which changes nothing the operator watches).
    if (sts != null && PodCreationFailures.noPod(sts)) {
      return done.rescheduleAfter(NO_POD_RECHECK);
    }
    return waiting ? done.rescheduleAfter(NOT_READY_RECHECK) : done;
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
      StatefulSet sts = context.getSecondaryResource(StatefulSet.class).orElse(null);
      NotebookSessionStatus old = session.getStatus();
      NotebookSessionStatus status = newStatus(session, sts, old == null ? null : old.getSecrets());
      long generation = generation(session);
      String secretsReason = failure.reason();
      if (failure.scope() == SessionFailure.Scope.SECRETS) {
        Conditions.set(
            status.getConditions(),
            Conditions.SECRETS_READY,
            Conditions.FALSE,
            secretsReason,
            failure.getMessage(),
            generation,
            clock.instant());
      }
      setWorkloadAndReady(status, sts, creationFailure(context.getClient(), sts), generation);
      if (failure.scope() == SessionFailure.Scope.WORKLOAD) {
        Conditions.set(
            status.getConditions(),
            Conditions.WORKLOAD_READY,
            Conditions.FALSE,
            failure.reason(),
            failure.getMessage(),
            generation,
            clock.instant());
        Conditions.set(
            status.getConditions(),
            Conditions.READY,
            Conditions.FALSE,
            failure.reason(),
            failure.getMessage(),
            generation,
            clock.instant());
      }
      boolean news =
          old == null
              || !Conditions.find(old.getConditions(), Conditions.READY)
                  .map(
                      c ->
                          failure.reason().equals(c.getReason())
                              && failure.getMessage().equals(c.getMessage()))
                  .orElse(false);
      if (news) {
        new SessionEvents(context.getClient())
            .warning(session, failure.reason(), failure.getMessage());
      }
      writeStatus(context.getClient(), session, status);
      return ErrorStatusUpdateControl.noStatusUpdate();
    } finally {
      MDC.remove(MDC_SESSION);
    }
  }

  private NotebookSessionStatus newStatus(
      NotebookSession session, StatefulSet sts, List<MountedSecret> mounted) {
    NotebookSessionStatus status = new NotebookSessionStatus();
    status.setObservedGeneration(generation(session));
    List<Condition> conditions = new ArrayList<>();
    if (session.getStatus() != null && session.getStatus().getConditions() != null) {
      session
          .getStatus()
          .getConditions()
          .forEach(c -> conditions.add(new ConditionBuilder(c).build()));
    }
    status.setConditions(conditions);
    status.setSecrets(mounted);
    status.setPodName(sts == null ? null : Workload.podName(session.getMetadata().getName()));
    return status;
  }

  /** Why the StatefulSet has no pod, when it has none and the controller said why; else null. */
  private static String creationFailure(KubernetesClient client, StatefulSet sts) {
    if (sts == null || !PodCreationFailures.noPod(sts)) {
      return null;
    }
    return PodCreationFailures.latest(client, sts).orElse(null);
  }

  /**
   * WorkloadReady from the StatefulSet (and the controller's reason when it cannot create the pod),
   * and Ready as the conjunction of the other two.
   */
  private void setWorkloadAndReady(
      NotebookSessionStatus status, StatefulSet sts, String creationFailure, long generation) {
    var now = clock.instant();
    if (sts == null) {
      Conditions.set(
          status.getConditions(),
          Conditions.WORKLOAD_READY,
          Conditions.FALSE,
          "WorkloadNotCreated",
          "the session starts once its secrets are ready",
          generation,
          now);
    } else if (creationFailure != null) {
      Conditions.set(
          status.getConditions(),
          Conditions.WORKLOAD_READY,
          Conditions.FALSE,
          "PodCreationFailed",
          "cannot create pod "
              + Workload.podName(sts.getMetadata().getName())
              + ": "
              + creationFailure,
          generation,
          now);
    } else if (podReady(sts)) {
      Conditions.set(
          status.getConditions(),
          Conditions.WORKLOAD_READY,
          Conditions.TRUE,
          "PodReady",
          "pod " + Workload.podName(sts.getMetadata().getName()) + " is ready",
          generation,
          now);
    } else {
      Conditions.set(
          status.getConditions(),
          Conditions.WORKLOAD_READY,
          Conditions.FALSE,
          "PodNotReady",
          "waiting for pod " + Workload.podName(sts.getMetadata().getName()) + " to be ready",
          generation,
          now);
    }
    Optional<Condition> secretsReady =
        Conditions.find(status.getConditions(), Conditions.SECRETS_READY);
    Optional<Condition> workloadReady =
        Conditions.find(status.getConditions(), Conditions.WORKLOAD_READY);
    Condition notReady =
        secretsReady.filter(c -> !Conditions.TRUE.equals(c.getStatus())).orElse(null);
    if (notReady == null) {
      notReady = workloadReady.filter(c -> !Conditions.TRUE.equals(c.getStatus())).orElse(null);
    }
    if (notReady == null && secretsReady.isPresent()) {
      Conditions.set(
          status.getConditions(),
          Conditions.READY,
          Conditions.TRUE,
          "SessionReady",
          "the session is running with its secrets",
          generation,
          now);
    } else if (notReady != null) {
      Conditions.set(
          status.getConditions(),
          Conditions.READY,
          Conditions.FALSE,
          notReady.getReason(),
          notReady.getMessage(),
          generation,
          now);
    }
  }

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

  /**
   * The snapshot's entries with their stale marks: from the store's current versions, or, when the
   * store could not say, as the previous status had them (an outage must not clear a mark).
   */
  private static List<MountedSecret> mounted(
      List<Snapshot.ManifestEntry> manifest,
      SecretResolver.CurrentVersions current,
      NotebookSessionStatus previous) {
    List<MountedSecret> before =
        previous == null || previous.getSecrets() == null ? List.of() : previous.getSecrets();
    return manifest.stream()
        .map(
            m -> {
              Boolean stale;
              if (current.known()) {
                stale =
                    Objects.equals(current.versions().get(m.name()), m.version())
                        ? null
                        : Boolean.TRUE;
              } else {
                stale =
                    before.stream()
                        .filter(
                            b ->
                                m.name().equals(b.getName())
                                    && Objects.equals(m.version(), b.getVersion()))
                        .map(MountedSecret::getStale)
                        .filter(Objects::nonNull)
                        .findFirst()
                        .orElse(null);
              }
              return new MountedSecret(m.name(), m.version(), stale);
            })
        .toList();
  }

  /**
   * Writes the status when it changed: a one-operation JSON Patch ({@code add /status}, which
   * replaces the whole status) on the status subresource. Unlike the framework's non-SSA path (a
   * JSON Patch diffed against its cached copy, with array indexes that a stale cache gets wrong)
   * and unlike a merge patch (the mock API server appends arrays instead of replacing them), this
   * is exact everywhere. The operator is the only writer of status.
   */
  private static void writeStatus(
      KubernetesClient client, NotebookSession session, NotebookSessionStatus status) {
    if (Objects.equals(session.getStatus(), status)) {
      return;
    }
    // Passing the session itself spares the GET that Fabric8 makes for a patch without an item.
    client
        .resource(session)
        .subresource("status")
        .patch(
            PatchContext.of(PatchType.JSON),
            toJson(List.of(Map.of("op", "add", "path", "/status", "value", status))));
  }

  /** The patch as JSON (the status class leaves out unset fields). */
  private static String toJson(Object value) {
    try {
      return MERGE_PATCH_JSON.writeValueAsString(value);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize the status", e);
    }
  }

  /** The failure behind {@code e} (the framework wraps checked exceptions). */
  static SessionFailure sessionFailure(Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SessionFailure f) {
        return f;
      }
    }
    return new SessionFailure(SessionFailure.Scope.WORKLOAD, "ReconcileError", describe(e), e);
  }

  private static List<ConfigMap> owned(NotebookSession session, Set<ConfigMap> records) {
    String uid = session.getMetadata().getUid();
    return records.stream().filter(r -> Owners.isControlledBy(r, uid)).toList();
  }

  /**
   * Creates a snapshot's Secret. One that exists already under its name holds the same snapshot
   * (names are content hashes): an earlier attempt that stopped before its record, or a record
   * lost. It is used as it is; the operator never reads or replaces a Secret.
   */
  private static void createOrUse(KubernetesClient client, Secret sealed) {
    try {
      client.resource(sealed).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      LOG.info("using secret {} made by an earlier attempt", sealed.getMetadata().getName());
    }
  }

  /** Creates a snapshot record; if one of that name exists (the same contents), uses it. */
  private static ConfigMap createOrGet(
      KubernetesClient client,
      InformerEventSource<ConfigMap, NotebookSession> source,
      NotebookSession session,
      ConfigMap desired)
      throws SessionFailure {
    ConfigMap record;
    try {
      record = client.resource(desired).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      record = client.resource(desired).get();
      if (record == null || !Owners.isControlledBy(record, session.getMetadata().getUid())) {
        throw new SessionFailure(
            SessionFailure.Scope.WORKLOAD,
            "NameTaken",
            "ConfigMap "
                + desired.getMetadata().getName()
                + " exists and does not belong to this session: delete it or rename the session");
      }
    }
    source.handleRecentResourceCreate(ResourceID.fromResource(session), record);
    return record;
  }

  /** Creates an object that should not exist yet; if it does (a stale cache), uses it. */
  private static <R extends HasMetadata> R create(
      KubernetesClient client,
      InformerEventSource<R, NotebookSession> source,
      NotebookSession session,
      R desired) {
    try {
      R created = client.resource(desired).create();
      source.handleRecentResourceCreate(ResourceID.fromResource(session), created);
      return created;
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      R existing = client.resource(desired).get();
      if (existing == null) {
        throw e;
      }
      return existing;
    }
  }

  /**
   * Makes {@code actual} match {@code desired}: create when absent, replace when the desired hash
   * differs, nothing otherwise. A replace carries the actual resourceVersion (optimistic lock).
   */
  private static <R extends HasMetadata> R ensure(
      KubernetesClient client,
      InformerEventSource<R, NotebookSession> source,
      NotebookSession session,
      R desired,
      R actual) {
    if (actual == null) {
      return create(client, source, session, desired);
    }
    if (Objects.equals(Workload.desiredHash(desired), Workload.desiredHash(actual))) {
      return actual;
    }
    if (desired instanceof Service desiredService && actual instanceof Service actualService) {
      // ClusterIPs are allocated by the API server and immutable.
      desiredService.getSpec().setClusterIP(actualService.getSpec().getClusterIP());
      desiredService.getSpec().setClusterIPs(actualService.getSpec().getClusterIPs());
    }
    desired.getMetadata().setResourceVersion(actual.getMetadata().getResourceVersion());
    R updated = client.resource(desired).update();
    source.handleRecentResourceUpdate(ResourceID.fromResource(session), updated, actual);
    LOG.info("updated {} {}", desired.getKind(), desired.getMetadata().getName());
    return updated;
  }

  private static long generation(NotebookSession session) {
    Long g = session.getMetadata().getGeneration();
    return g == null ? 0 : g;
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
