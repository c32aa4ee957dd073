package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.nbsecrets.audit.Audit;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.model.SecretsSpec;
import io.nbsecrets.util.Counts;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshot step: find the record the session follows, or take a snapshot (once per selection)
 * and write its immutable Secret (its record goes with the workload, {@link SnapshotRecord});
 * later, delete the snapshots it superseded.
 *
 * <p>Secret names are content hashes, so a Secret is never replaced: a new selection makes a new
 * Secret, and the old one goes once the workload points at the new one.
 */
final class SnapshotStep {
  private static final Logger LOG = LoggerFactory.getLogger(SnapshotStep.class);

  private final SecretResolver resolver;
  private final SessionMetrics metrics;
  private final Audit audit;

  SnapshotStep(SecretResolver resolver, SessionMetrics metrics) {
    this(resolver, metrics, Audit.systemClock());
  }

  SnapshotStep(SecretResolver resolver, SessionMetrics metrics, Audit audit) {
    this.resolver = resolver;
    this.metrics = metrics;
    this.audit = audit;
  }

  /** When ({@code System.nanoTime()}) this operator last took a snapshot, by session uid. */
  private final Map<String, Long> taken = new ConcurrentHashMap<>();

  /**
   * When this operator last began to take a snapshot of session {@code uid} ({@code
   * System.nanoTime()}); empty when it took none since it started, or long enough ago to matter no
   * more. The store's answers to compare with its snapshot must be asked after it.
   */
  OptionalLong takenAt(String uid) {
    Long t = taken.get(uid);
    return t == null ? OptionalLong.empty() : OptionalLong.of(t);
  }

  private void noteTaken(String uid) {
    long now = System.nanoTime();
    if (taken.size() >= 10_000) {
      long old = now - SecretResolver.VERSIONS_MAX_AGE.toNanos();
      taken.values().removeIf(t -> t - old < 0);
    }
    taken.put(uid, now);
  }

  /**
   * The Secrets of superseded snapshots this operator has deleted, by session uid and name: each is
   * deleted once, not on every later pass (bounded; forgetting one costs one more delete).
   */
  private final Set<String> deletedSecrets = ConcurrentHashMap.newKeySet();

  /**
   * The records this operator took since the session's StatefulSet was last written, by session
   * uid: a pass after a failed workload write (a refused or conflicting StatefulSet) follows the
   * record it took rather than taking the snapshot again, and the Secrets of those it did not
   * follow are deleted once the StatefulSet is written. Bounded: when full it is emptied, which
   * costs a snapshot taken again; so does a restart, and a Secret made before either is collected
   * with its session.
   */
  private final Map<String, List<SnapshotRecord>> unwritten = new ConcurrentHashMap<>();

  /**
   * The session's snapshot records: the one its StatefulSet carries, first, then those in
   * ConfigMaps owned by the session (others are never touched).
   */
  static List<SnapshotRecord> owned(
      NotebookSession session, StatefulSet sts, Set<ConfigMap> configMaps) {
    String uid = session.getMetadata().getUid();
    List<SnapshotRecord> records = new ArrayList<>();
    SnapshotRecords.ofWorkload(sts).ifPresent(records::add);
    configMaps.stream()
        .filter(r -> Owners.isControlledBy(r, uid))
        .map(SnapshotRecords::of)
        .forEach(records::add);
    return records;
  }

  /**
   * The record of the session's current selection whose Secret exists; a new snapshot when there is
   * none. The Secret the StatefulSet mounts is taken to exist (the operator may not read Secrets;
   * asking costs a request per pass), unless {@code cannotMount}: the kubelet said it cannot mount
   * the pod's volumes ({@link PodMountFailures}), so the API server is asked.
   */
  SnapshotRecord current(
      KubernetesClient client,
      SessionEventSources caches,
      NotebookSession session,
      List<SnapshotRecord> owned,
      StatefulSet actualSts,
      boolean cannotMount,
      Supplier<SecretResolver.CurrentVersions> versions)
      throws SessionFailure {
    String selectionHash = SecretResolver.selectionHash(session);
    String sessionName = session.getMetadata().getName();
    List<SnapshotRecord> records = new ArrayList<>(owned);
    records.addAll(unwritten.getOrDefault(session.getMetadata().getUid(), List.of()));
    // A record is followed only when the Secret it names is the one its contents name; of a live
    // session's records (the informer may still show one superseded), the up-to-date one first.
    List<SnapshotRecord> candidates =
        records.stream()
            .filter(r -> selectionHash.equals(r.selectionHash()))
            .filter(r -> r.secretName(sessionName).isPresent())
            .toList();
    SnapshotRecord current =
        candidates.stream()
            .filter(r -> !r.live() || !outdated(session, r.manifest(), versions.get()))
            .findFirst()
            .orElse(candidates.isEmpty() ? null : candidates.get(0));
    if (current != null) {
      String secretName = current.secretName(sessionName).orElseThrow();
      boolean mountedBySts = Workload.mountsSecret(actualSts, secretName);
      boolean present =
          mountedBySts && cannotMount
              ? stillThere(client, session, secretName)
              : mountedBySts
                  || SessionSecrets.exists(
                      client, session.getMetadata().getNamespace(), secretName);
      if (present && current.live()) {
        List<Snapshot.ManifestEntry> mounted = current.manifest();
        if (!outdated(session, mounted, versions.get())) {
          return current;
        }
        // Live: the running session follows the store. Its Secret is updated in place.
        SnapshotRecord next = take(client, caches, session, true, false);
        refreshed(mounted, next)
            .ifPresent(m -> new SessionEvents(client).normal(session, Reason.SECRETS_REFRESHED, m));
        LivePodNudge.nudge(client, session, next.name());
        return next;
      }
      if (present) {
        return current;
      }
      // Its Secret is gone (deleted by hand, or by a clean-up that stopped half-way): a pod
      // pointed at it never starts. Take a new snapshot instead: of the same versions it is the
      // same Secret, made again under the waiting pod, whose kubelet mounts it on its next try;
      // of others, a new one, and the StatefulSet rolls the pod onto it.
      LOG.info("snapshot {} lost its secret {}; taking a new one", current.name(), secretName);
      if (current.inConfigMap()) {
        client.resource(current.configMap()).delete();
      }
    }
    // A snapshot that replaces another (a new selection, a refresh, a lost Secret): an Event says
    // so. A session's first snapshot is told by its status alone.
    boolean replacing = !records.isEmpty() || actualSts != null;
    return take(client, caches, session, false, replacing);
  }

  /**
   * Whether the Secret a pod that cannot mount its volumes mounts is still there. Kubelets say
   * FailedMount for passing reasons too (a cache not yet synced), so only the API server's "not
   * found" counts: an answer it cannot give (a policy refusing the question, an outage) leaves the
   * Secret taken to be there, and the question is asked again on the next pass.
   */
  private static boolean stillThere(
      KubernetesClient client, NotebookSession session, String secretName) {
    try {
      return SessionSecrets.exists(client, session.getMetadata().getNamespace(), secretName);
    } catch (KubernetesClientException e) {
      LOG.warn(
          "cannot tell whether secret {} is there (its pod cannot mount its volumes): {} {}",
          secretName,
          e.getCode(),
          e.getStatus() == null ? e.getMessage() : e.getStatus().getMessage());
      return true;
    }
  }

  /**
   * Whether the store holds other versions than {@code mounted}, or other secrets of the selection:
   * a secret replaced, deleted, deleted and stored again (its versions start again at 1; its
   * creation time tells it apart), or (for a selection of all) added. Unknown versions (the store
   * did not answer) change nothing.
   */
  static boolean outdated(
      NotebookSession session,
      List<Snapshot.ManifestEntry> mounted,
      SecretResolver.CurrentVersions versions) {
    if (!versions.known()) {
      return false;
    }
    Set<String> now = new TreeSet<>();
    SecretsSpec selection = session.getSpec().getSecrets();
    if (selection != null && selection.includesAll()) {
      now.addAll(versions.versions().keySet());
    } else if (selection != null) {
      for (SecretItem item : selection.itemsOrEmpty()) {
        if (versions.versions().containsKey(item.getName())) {
          now.add(item.getName());
        }
      }
    }
    Set<String> then = new TreeSet<>();
    mounted.forEach(m -> then.add(m.name()));
    return !now.equals(then)
        || mounted.stream().anyMatch(m -> !versions.holds(m.name(), m.version(), m.created()));
  }

  /** The Event of a live update: what changed, by name and version (never a value). */
  static java.util.Optional<String> refreshed(
      List<Snapshot.ManifestEntry> before, SnapshotRecord after) {
    Map<String, Snapshot.ManifestEntry> old = new TreeMap<>();
    before.forEach(m -> old.put(m.name(), m));
    Map<String, Snapshot.ManifestEntry> now = new TreeMap<>();
    after.manifest().forEach(m -> now.put(m.name(), m));
    List<String> changes = new ArrayList<>();
    now.forEach(
        (name, m) -> {
          Snapshot.ManifestEntry was = old.get(name);
          if (was == null) {
            changes.add(name + " (added, version " + m.version() + ")");
          } else if (was.version() != m.version()) {
            changes.add(name + " (version " + was.version() + " to " + m.version() + ")");
          } else if (was.created() != null
              && m.created() != null
              && !was.created().equals(m.created())) {
            changes.add(name + " (deleted and stored again, version " + m.version() + ")");
          }
        });
    old.keySet().stream()
        .filter(n -> !now.containsKey(n))
        .forEach(n -> changes.add(n + " (deleted: its file is removed)"));
    if (changes.isEmpty()) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        "updated the running session's secrets: "
            + SessionEvents.joinNames(changes, 900)
            + "; files follow within the kubelet's update of the volume, variables on restart");
  }

  /**
   * Takes a snapshot and writes its Secret, and its record when a ConfigMap carries it (else the
   * workload step writes it with the StatefulSet). {@code replacing}: it replaces one the session
   * had, and a {@code SnapshotTaken} Event says so (a session's first snapshot is in its status,
   * {@code SecretsReady} and {@code secrets}: an Event would be one more write per new session and
   * say nothing new; a live update has its own Event).
   */
  private SnapshotRecord take(
      KubernetesClient client,
      SessionEventSources caches,
      NotebookSession session,
      boolean allowRemoved,
      boolean replacing)
      throws SessionFailure {
    noteTaken(session.getMetadata().getUid());
    BuiltSnapshot built = BuiltSnapshot.build(resolver, session, allowRemoved);
    Snapshot snapshot = built.snapshot();
    Secret sealed = built.secret();
    SnapshotRecord record = built.record();
    if (snapshot.live()) {
      createOrUpdate(client, session, sealed);
    } else {
      createOrUse(client, session, sealed);
    }
    // Made again (a selection that comes back): a later supersession deletes it again.
    deletedSecrets.remove(session.getMetadata().getUid() + "/" + sealed.getMetadata().getName());
    if (record.inConfigMap()) {
      ConfigMap written = createOrGet(client, session, record.configMap());
      caches.created(session, written);
      record = SnapshotRecords.of(written);
    } else {
      if (unwritten.size() >= 10_000) {
        unwritten.clear();
      }
      SnapshotRecord taken = record;
      unwritten.compute(
          session.getMetadata().getUid(),
          (uid, list) -> {
            List<SnapshotRecord> next = new ArrayList<>();
            if (list != null) {
              list.stream().filter(r -> !r.name().equals(taken.name())).forEach(next::add);
            }
            next.add(taken);
            return next;
          });
    }
    // The audit trail: which versions reached which session (once per snapshot, not per reconcile).
    String where = session.getMetadata().getNamespace() + "/" + session.getMetadata().getName();
    for (Snapshot.Entry e : snapshot.entries()) {
      audit.delivered(session.getSpec().getUser(), e.name(), e.version(), where);
    }
    // "Last used": one store write per snapshot, whatever the number of secrets.
    if (!snapshot.entries().isEmpty()) {
      metrics.usageWrite(
          resolver.recordUse(session.getSpec().getUser(), snapshot.entries(), audit.now()));
    }
    String took = Counts.of(snapshot.entries().size(), "secret");
    metrics.snapshotTaken(snapshot.entries().size());
    LOG.info("took a snapshot of {}", took);
    if (replacing) {
      new SessionEvents(client)
          .normal(
              session,
              Reason.SNAPSHOT_TAKEN,
              "took "
                  + took
                  + ": "
                  + SessionEvents.joinNames(SecretResolver.names(snapshot.entries()), 900));
    }
    return record;
  }

  /**
   * Once {@code sts} mounts {@code current}'s Secret, deletes what {@code current} superseded: the
   * Secret the StatefulSet names as superseded ({@link
   * io.nbsecrets.model.ObjectKeys#SUPERSEDED_SECRET}), the one it named before this pass ({@code
   * observedSts}: left by a pass that stopped before this step), the one the session's status names
   * (a StatefulSet deleted by hand, then a new snapshot), the Secrets of records taken since its
   * last write and not followed, and the records in ConfigMaps other than {@code current}, each
   * with its Secret first (a record whose Secret is gone is deleted on the next pass). Only the
   * session's own Secrets ({@link SessionSecrets#isSessionSecret}) other than the one it mounts are
   * deleted; a record whose contents do not name its Secret is never followed.
   */
  void deleteSuperseded(
      KubernetesClient client,
      NotebookSession session,
      List<SnapshotRecord> owned,
      SnapshotRecord current,
      StatefulSet observedSts,
      StatefulSet sts) {
    String sessionName = session.getMetadata().getName();
    String namespace = session.getMetadata().getNamespace();
    String secretName = current.secretName(sessionName).orElseThrow();
    if (!Workload.mountsSecret(sts, secretName)) {
      return; // not written: a StatefulSet of its name that the cache had not shown yet
    }
    Predicate<String> deletable =
        name -> SessionSecrets.isSessionSecret(sessionName, name) && !name.equals(secretName);
    String superseded = Workload.supersededSecret(sts);
    // The Secret the status named last: the only trace of a snapshot whose StatefulSet was
    // deleted (by hand) before the next one was taken. (It is no proof that what the mounted one
    // superseded is gone: a name comes back when a selection does, and a status can lag. So a
    // restart deletes the StatefulSet's mark once more, a 404 when it is gone; the operator may
    // not read Secrets to know.)
    String reported = session.getStatus() == null ? null : session.getStatus().getSecretName();
    for (String name :
        new String[] {superseded, Workload.supersededSecret(observedSts), reported}) {
      if (deletable.test(name)) {
        deleteSecretOnce(client, session, name);
      }
    }
    for (SnapshotRecord taken : unwritten.getOrDefault(session.getMetadata().getUid(), List.of())) {
      taken
          .secretName(sessionName)
          .filter(deletable)
          .ifPresent(name -> deleteSecretOnce(client, session, name));
    }
    unwritten.remove(session.getMetadata().getUid());
    for (SnapshotRecord old : owned) {
      if (!old.inConfigMap() || (current.inConfigMap() && old.name().equals(current.name()))) {
        continue;
      }
      var oldSecret = old.secretName(sessionName);
      if (oldSecret.isPresent()
          && deletable.test(oldSecret.get())
          && !oldSecret.get().equals(superseded)) {
        client.secrets().inNamespace(namespace).withName(oldSecret.get()).delete();
      }
      client.resource(old.configMap()).delete();
      LOG.info("deleted superseded snapshot {} (secret {})", old.name(), oldSecret.orElse("none"));
    }
  }

  private void deleteSecretOnce(KubernetesClient client, NotebookSession session, String name) {
    String key = session.getMetadata().getUid() + "/" + name;
    if (deletedSecrets.contains(key)) {
      return;
    }
    client.secrets().inNamespace(session.getMetadata().getNamespace()).withName(name).delete();
    LOG.info("deleted superseded secret {}", name);
    if (deletedSecrets.size() >= 10_000) {
      deletedSecrets.clear();
    }
    deletedSecrets.add(key);
  }

  /**
   * Creates a snapshot's Secret. One of the session's own that exists already under its name holds
   * the same snapshot (names are content hashes): an earlier attempt that stopped before its
   * record, or a record lost. It is used as it is; the operator never reads or replaces a Secret.
   * One that is not the session's is never used ({@link Adoption#requireOwnSecret}).
   */
  private static void createOrUse(KubernetesClient client, NotebookSession session, Secret sealed)
      throws SessionFailure {
    try {
      client.resource(sealed).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      Adoption.requireOwnSecret(client, session, sealed);
      LOG.info("using secret {} made by an earlier attempt", sealed.getMetadata().getName());
    }
  }

  /**
   * Creates a live session's Secret, or updates it in place (unconditionally: the operator never
   * reads Secrets, and the snapshot is the store's latest). The pod keeps mounting it; the kubelet
   * updates its files and the refresh sidecar the session's.
   *
   * <p>The update is one JSON Patch that replaces {@code data} whole (keys of deleted secrets go)
   * and sets the operator's own labels and annotations, sent without a read: the operator may not
   * read Secrets (RBAC), and a client-side update would GET the Secret first for its
   * resourceVersion.
   */
  private static void createOrUpdate(
      KubernetesClient client, NotebookSession session, Secret sealed) throws SessionFailure {
    try {
      client.resource(sealed).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      // Only the session's own Secret is updated: the patch first tests its controller, where the
      // operator put it (the first owner reference), else where it is found.
      patchOwnSecret(client, session, sealed, 0);
      LOG.info("updated secret {} in place (refresh: Live)", sealed.getMetadata().getName());
    }
  }

  /**
   * The in-place update of {@link #createOrUpdate}, its controller tested at owner reference {@code
   * index}; when that test fails, at the index where {@link Adoption#requireOwnSecret} finds it
   * (which fails the pass when the Secret is not the session's).
   */
  static void patchOwnSecret(
      KubernetesClient client, NotebookSession session, Secret sealed, int index)
      throws SessionFailure {
    List<Map<String, Object>> patch =
        new ArrayList<>(Adoption.testController(session.getMetadata().getUid(), index));
    patch.addAll(replaceDataPatch(sealed));
    try {
      client.resource(sealed).patch(PatchContext.of(PatchType.JSON), Serialization.asJson(patch));
    } catch (KubernetesClientException refused) {
      if (refused.getCode() == 404) {
        throw Adoption.gone("Secret " + sealed.getMetadata().getName());
      }
      if (refused.getCode() != 422) {
        throw refused;
      }
      int own = Adoption.requireOwnSecret(client, session, sealed);
      if (own == index) {
        // The controller is where it was tested: the API server refused the data.
        throw refused;
      }
      patchOwnSecret(client, session, sealed, own);
    }
  }

  /**
   * The JSON Patch (RFC 6902) of an in-place update: {@code data} replaced whole, each of the
   * desired labels and annotations set ({@code add} replaces a member that exists).
   */
  static List<Map<String, Object>> replaceDataPatch(Secret desired) {
    List<Map<String, Object>> ops = new ArrayList<>();
    ops.add(Map.of("op", "add", "path", "/data", "value", desired.getData()));
    Map<String, String> labels = desired.getMetadata().getLabels();
    if (labels != null) {
      labels.forEach(
          (k, v) ->
              ops.add(Map.of("op", "add", "path", "/metadata/labels/" + pointer(k), "value", v)));
    }
    Map<String, String> annotations = desired.getMetadata().getAnnotations();
    if (annotations != null) {
      annotations.forEach(
          (k, v) ->
              ops.add(
                  Map.of("op", "add", "path", "/metadata/annotations/" + pointer(k), "value", v)));
    }
    return ops;
  }

  /**
   * A key as one JSON Pointer segment (RFC 6901: {@code ~} as {@code ~0}, {@code /} as {@code ~1}).
   */
  private static String pointer(String key) {
    return key.replace("~", "~0").replace("/", "~1");
  }

  /** Creates a snapshot record; if one of that name exists (the same contents), uses it. */
  private static ConfigMap createOrGet(
      KubernetesClient client, NotebookSession session, ConfigMap desired) throws SessionFailure {
    try {
      return client.resource(desired).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      ConfigMap record = client.resource(desired).get();
      if (record == null || !Owners.isControlledBy(record, session.getMetadata().getUid())) {
        throw new SessionFailure(
            SessionFailure.Scope.WORKLOAD,
            Reason.NAME_TAKEN,
            "ConfigMap "
                + desired.getMetadata().getName()
                + " exists and does not belong to this session: delete it or rename the session");
      }
      return record;
    }
  }
}
