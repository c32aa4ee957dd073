package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.javaoperatorsdk.operator.api.config.informer.FieldSelector;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.SecondaryToPrimaryMapper;
import io.javaoperatorsdk.operator.processing.event.source.filter.GenericFilter;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.nbsecrets.model.NotebookSession;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What a session's reconcile watches: its snapshot records, StatefulSet, Service and pod (labelled
 * as ours), the StatefulSet controller's {@code FailedCreate} Events, the kubelet's {@code
 * FailedMount} Events about pods, the namespaces (for their user binding) and the stale-secrets
 * poller. Also tells the informer caches about the operator's own writes, so the next reconcile
 * does not see a stale cache and write again.
 */
final class SessionEventSources {
  private final Map<Class<?>, InformerEventSource<?, NotebookSession>> owned;
  private final List<EventSource<?, NotebookSession>> all;

  private SessionEventSources(
      Map<Class<?>, InformerEventSource<?, NotebookSession>> owned,
      List<EventSource<?, NotebookSession>> all) {
    this.owned = owned;
    this.all = all;
  }

  /** No event sources (a reconciler called directly): writes are announced to no cache. */
  static SessionEventSources none() {
    return new SessionEventSources(Map.of(), List.of());
  }

  static SessionEventSources create(
      EventSourceContext<NotebookSession> context,
      SecretResolver resolver,
      SessionMetrics metrics) {
    String ours = Labels.MANAGED_BY + "=" + Labels.MANAGED_BY_VALUE;
    // StatefulSets and pods are read slim by the operator's client (SlimReaders). Where one
    // informer fills each cache, the Events about pods are kept slim too (SlimStore).
    boolean oneInformer =
        SlimStore.fitsOneInformer(context.getControllerConfiguration().getEffectiveNamespaces());
    // Snapshot records, not the session Secrets: the operator never reads a Secret.
    var records =
        owned(
            context,
            ConfigMap.class,
            "snapshots",
            ours + "," + Labels.COMPONENT + "=" + Labels.COMPONENT_SNAPSHOT,
            null);
    // Only the StatefulSet's updates that change what a reconcile reads from it (WorkloadChanges).
    var statefulSets =
        owned(context, StatefulSet.class, "statefulsets", ours, new WorkloadChanges());
    var services = owned(context, Service.class, "services", ours, null);
    var primaries = context.getPrimaryCache();
    // Why the StatefulSet controller cannot create a pod: it says so only in these Events.
    InformerEventSource<Event, NotebookSession> creationFailures =
        events(
            context,
            PodCreationFailures.REASON,
            "StatefulSet",
            PodCreationFailures::session,
            PodCreationFailures::isCreationFailure,
            null);
    // Why the kubelet cannot start a session's pod: it says so only in these Events. One about a
    // session's pod makes its reconcile ask whether the Secret the pod mounts is still there.
    InformerEventSource<Event, NotebookSession> mountFailures =
        events(
            context,
            PodMountFailures.REASON,
            "Pod",
            PodMountFailures::session,
            PodMountFailures::isMountFailure,
            oneInformer ? PodMountFailures::slim : null);
    // The pod, for its init step's failure, and for whether there is one; read slim
    // (SessionPods, SlimReaders). A pod's addition reconciles when its init step has
    // failed already, or when it ends a failure to make it (the failure shown goes away).
    var podConfig =
        InformerEventSourceConfiguration.from(Pod.class, NotebookSession.class)
            .withName("pods")
            .withLabelSelector(ours + "," + Labels.COMPONENT + "=" + Labels.COMPONENT_WORKLOAD)
            .withSecondaryToPrimaryMapper(SessionPods::session)
            .withOnAddFilter(
                pod ->
                    SessionPods.onAdd(pod) || endsCreationFailure(pod, primaries, creationFailures))
            .withOnUpdateFilter(SessionPods::onUpdate)
            .withOnDeleteFilter(SessionPods::onDelete);
    InformerEventSource<Pod, NotebookSession> pods =
        new InformerEventSource<>(podConfig.build(), context);
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
    return new SessionEventSources(
        Map.of(ConfigMap.class, records, StatefulSet.class, statefulSets, Service.class, services),
        List.of(
            records,
            statefulSets,
            services,
            pods,
            creationFailures,
            mountFailures,
            namespaces,
            stale));
  }

  /**
   * The informer of a kind that only the operator creates, one or a few per session, in the
   * reconcile that then goes on to use what it created. That creation is no reason to reconcile
   * again, so an addition reconciles nothing. JOSDK recognizes the operator's own creation ({@link
   * #created}) only when the watch's addition comes after the create call has returned, and it
   * often comes before: each new session was then reconciled once more for nothing. The cache still
   * takes every addition; a change ({@code updates}: all when null) or a deletion still reconciles,
   * and at start every session is reconciled anyway.
   */
  private static <R extends HasMetadata> InformerEventSource<R, NotebookSession> owned(
      EventSourceContext<NotebookSession> context,
      Class<R> type,
      String name,
      String selector,
      OnUpdateFilter<R> updates) {
    var config =
        InformerEventSourceConfiguration.from(type, NotebookSession.class)
            .withName(name)
            .withLabelSelector(selector)
            .withOnAddFilter(added -> false);
    if (updates != null) {
      config.withOnUpdateFilter(updates);
    }
    return new InformerEventSource<>(config.build(), context);
  }

  /**
   * The Events of one reason about one kind of object (a field selector: the API server sends no
   * other), each mapped to its session by {@code session}; {@code filter} holds them to it where a
   * field selector is not honoured. A deleted Event (expired) reconciles nothing. With {@code
   * slim}, the cache keeps what it makes of each ({@link SlimStore}).
   */
  private static InformerEventSource<Event, NotebookSession> events(
      EventSourceContext<NotebookSession> context,
      String reason,
      String kind,
      SecondaryToPrimaryMapper<Event> session,
      GenericFilter<Event> filter,
      UnaryOperator<Event> slim) {
    var config =
        InformerEventSourceConfiguration.from(Event.class, NotebookSession.class)
            .withName(reason.toLowerCase(java.util.Locale.ROOT))
            .withFieldSelector(
                new FieldSelector(
                    new FieldSelector.Field("reason", reason),
                    new FieldSelector.Field("involvedObject.kind", kind)))
            .withSecondaryToPrimaryMapper(session)
            .withGenericFilter(filter)
            .withOnDeleteFilter((event, unknown) -> false);
    if (slim != null) {
      config.withItemStore(new SlimStore<>(slim));
    }
    return new InformerEventSource<>(config.build(), context);
  }

  /**
   * Whether a new pod ends its session's failure to make it ({@link PodCreationFailures#ended}).
   * The Event cache is asked only once its informer runs (sources start side by side; every session
   * is reconciled once they all have).
   */
  private static boolean endsCreationFailure(
      Pod pod,
      IndexerResourceCache<NotebookSession> primaries,
      InformerEventSource<Event, NotebookSession> creationFailures) {
    ResourceID session = SessionPods.session(pod).stream().findFirst().orElse(null);
    if (session == null) {
      return false;
    }
    String namespace = pod.getMetadata().getNamespace();
    return PodCreationFailures.ended(
        pod,
        primaries.get(session).orElse(null),
        creationFailures.isRunning() ? creationFailures.list(namespace) : Stream.empty(),
        Instant.now());
  }

  List<EventSource<?, NotebookSession>> all() {
    return all;
  }

  /** Tells the cache of {@code created}'s kind that the operator just made it. */
  <R extends HasMetadata> void created(NotebookSession session, R created) {
    InformerEventSource<R, NotebookSession> source = source(created);
    if (source != null) {
      source.handleRecentResourceCreate(ResourceID.fromResource(session), created);
    }
  }

  /** Tells the cache of {@code updated}'s kind that the operator just replaced {@code before}. */
  <R extends HasMetadata> void updated(NotebookSession session, R updated, R before) {
    InformerEventSource<R, NotebookSession> source = source(updated);
    if (source != null) {
      source.handleRecentResourceUpdate(ResourceID.fromResource(session), updated, before);
    }
  }

  @SuppressWarnings("unchecked") // the map holds each kind's informer under its class
  private <R extends HasMetadata> InformerEventSource<R, NotebookSession> source(R resource) {
    return (InformerEventSource<R, NotebookSession>) owned.get(resource.getClass());
  }
}
