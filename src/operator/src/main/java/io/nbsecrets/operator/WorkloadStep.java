package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.util.Hashes;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workload step: make the session's StatefulSet and Service match what {@link Workload} desires
 * for the snapshot it follows. An object is replaced only when its desired-state hash differs, so a
 * pass where nothing changed writes nothing.
 */
final class WorkloadStep {
  private static final Logger LOG = LoggerFactory.getLogger(WorkloadStep.class);

  /** Sessions whose last desired StatefulSet is remembered; beyond, the eldest are forgotten. */
  static final int REMEMBERED_SESSIONS = 10_000;

  private final OperatorConfig config;

  /**
   * By session uid: the inputs of the StatefulSet last desired and the annotations it carried. A
   * pass with the same inputs whose StatefulSet carries them writes nothing, so it need not build
   * the StatefulSet again (a tenth of a new session's CPU: the builders and the hash of the whole
   * object). Kept in this process only, so that a new operator version compares what it builds.
   */
  private final Map<String, Built> built =
      Collections.synchronizedMap(
          new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Built> eldest) {
              return size() > REMEMBERED_SESSIONS;
            }
          });

  private long builds;

  /**
   * What was last built for a session: the digest of its inputs ({@link #digest}) and the
   * StatefulSet's own annotations (its desired hash among them), without those it carried for the
   * operator, which each pass makes again.
   */
  private record Built(String inputs, Map<String, String> annotations) {}

  WorkloadStep(OperatorConfig config) {
    this.config = config;
  }

  /** Makes the StatefulSet and Service match; returns the StatefulSet as it now is. */
  StatefulSet apply(
      KubernetesClient client,
      SessionEventSources caches,
      NotebookSession session,
      SnapshotRecord record,
      StatefulSet actualSts,
      Service actualService)
      throws SessionFailure {
    String secretName = record.secretName(session.getMetadata().getName()).orElseThrow();
    // The API's CA must be known before a pod can verify it.
    String apiCa = config.apiCaForInit();
    var meta = session.getMetadata();
    WorkloadInputs in =
        new WorkloadInputs(
            session,
            secretName,
            SecretResolver.selectionHash(session),
            record.manifestInSecret() ? null : record.manifest(),
            // A live session's values change under the same pod: its volumes are sized for
            // the largest Secret there can be, so that a new size does not roll the pod.
            record.live() ? SessionSecrets.MAX_DATA_BYTES : record.sealedBytes(),
            config,
            WorkloadBase.parallelPods(actualSts));
    Map<String, String> carried = carried(meta.getName(), record, secretName, actualSts);
    String inputs =
        meta.getGeneration() == null || meta.getUid() == null ? null : digest(in, apiCa, carried);
    Built last = inputs == null ? null : built.get(meta.getUid());
    StatefulSet sts;
    if (actualSts != null
        && last != null
        && last.inputs().equals(inputs)
        && carries(actualSts, last.annotations())
        && carries(actualSts, carried)) {
      sts = actualSts;
    } else {
      StatefulSet desiredSts = Workload.statefulSet(in, carried);
      synchronized (this) {
        builds++;
      }
      if (inputs != null) {
        Map<String, String> own = new HashMap<>(desiredSts.getMetadata().getAnnotations());
        own.keySet().removeAll(carried.keySet());
        built.put(meta.getUid(), new Built(inputs, Map.copyOf(own)));
      }
      if (actualSts == null) {
        sts = create(client, caches, session, desiredSts);
        if (!carries(sts, desiredSts.getMetadata().getAnnotations())) {
          // The session's own, found by the create's 409 though the cache lacks it (its labels
          // changed by hand, or the cache behind): built again from it (what it carries, how it
          // manages its pod) and written.
          return apply(client, caches, session, record, sts, actualService);
        }
      } else {
        sts = ensure(client, caches, session, desiredSts, actualSts);
      }
    }
    ensure(client, caches, session, Workload.service(session), actualService);
    return sts;
  }

  /** StatefulSets built since start (the rest were found as last built). */
  synchronized long builds() {
    return builds;
  }

  /**
   * A digest of everything the desired StatefulSet is made of: {@link WorkloadInputs} (the
   * session's spec by its generation; its labels and annotations as they are; the pod management
   * the actual StatefulSet has), the API's CA and what the StatefulSet carries for the operator.
   * The operator's config is fixed for its life.
   */
  static String digest(WorkloadInputs in, String apiCa, Map<String, String> carried) {
    var meta = in.session().getMetadata();
    return Hashes.ofParts(
        meta.getGeneration(),
        sorted(meta.getLabels()),
        sorted(meta.getAnnotations()),
        in.secretName(),
        in.snapshotHash(),
        in.legacyManifest(),
        in.sealedBytes(),
        in.parallelPods(),
        apiCa,
        sorted(carried));
  }

  private static Map<String, String> sorted(Map<String, String> map) {
    return map == null ? Map.of() : new TreeMap<>(map);
  }

  /**
   * What the StatefulSet of {@code session} carries for the operator: the record of the snapshot it
   * mounts (unless a ConfigMap carries it), and the Secret it mounted before, to be deleted once it
   * mounts {@code secretName} ({@link SnapshotStep#deleteSuperseded}). That name stays until the
   * next snapshot, so that a pass which finds nothing new writes nothing; only one of the session's
   * own Secret names is ever kept ({@link SessionSecrets#isSessionSecret}).
   */
  static Map<String, String> carried(
      String session, SnapshotRecord record, String secretName, StatefulSet actualSts) {
    Map<String, String> annotations = new LinkedHashMap<>();
    if (!record.inConfigMap()) {
      annotations.put(SnapshotRecords.WORKLOAD_ANNOTATION, SnapshotRecords.annotation(record));
    }
    String mounted = Workload.mountedSecret(actualSts);
    String superseded =
        mounted != null && !mounted.equals(secretName)
            ? mounted
            : Workload.supersededSecret(actualSts);
    if (SessionSecrets.isSessionSecret(session, superseded) && !superseded.equals(secretName)) {
      annotations.put(Labels.SUPERSEDED_SECRET, superseded);
    }
    return annotations;
  }

  /**
   * Makes {@code actual} match {@code desired}: create when absent, replace when it lacks one of
   * the desired annotations (the desired hash among them), nothing otherwise; an object of the
   * session's own that a create finds (409) is replaced as {@code actual} would be. A replace
   * carries the actual resourceVersion (optimistic lock).
   */
  private static <R extends HasMetadata> R ensure(
      KubernetesClient client,
      SessionEventSources caches,
      NotebookSession session,
      R desired,
      R actual)
      throws SessionFailure {
    if (actual == null) {
      R made = create(client, caches, session, desired);
      if (carries(made, desired.getMetadata().getAnnotations())) {
        return made;
      }
      // The session's own, found by the create's 409: made to match below.
      actual = made;
    }
    if (carries(actual, desired.getMetadata().getAnnotations())) {
      return actual;
    }
    if (desired instanceof Service desiredService && actual instanceof Service actualService) {
      // ClusterIPs are allocated by the API server and immutable.
      desiredService.getSpec().setClusterIP(actualService.getSpec().getClusterIP());
      desiredService.getSpec().setClusterIPs(actualService.getSpec().getClusterIPs());
    }
    desired.getMetadata().setResourceVersion(actual.getMetadata().getResourceVersion());
    R updated;
    try {
      updated = client.resource(desired).update();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 422) {
        throw refused(desired, e);
      }
      throw e;
    }
    caches.updated(session, updated, actual);
    LOG.info("updated {} {}", desired.getKind(), desired.getMetadata().getName());
    return updated;
  }

  /**
   * Whether {@code actual} carries each of {@code annotations} as it is: the desired hash, and what
   * the StatefulSet carries for the operator (a record removed or changed by hand is written
   * again).
   */
  private static boolean carries(HasMetadata actual, Map<String, String> annotations) {
    Map<String, String> has = actual.getMetadata().getAnnotations();
    return has != null
        && annotations.entrySet().stream()
            .allMatch(e -> Objects.equals(e.getValue(), has.get(e.getKey())));
  }

  /**
   * An API server's refusal ({@code 422 Invalid}) of what the session's spec made, a value it does
   * not accept in the pod say, as the session's {@link Reason#INVALID_SPEC}, in its words.
   */
  static SessionFailure refused(HasMetadata desired, KubernetesClientException e) {
    String detail = e.getStatus() == null ? null : e.getStatus().getMessage();
    return new SessionFailure(
        SessionFailure.Scope.WORKLOAD,
        Reason.INVALID_SPEC,
        "the API server refused the session's "
            + desired.getKind()
            + " "
            + desired.getMetadata().getName()
            + " made from this spec: "
            + (detail == null ? "422 Invalid" : detail));
  }

  /**
   * Creates an object that should not exist yet; if it does (a stale cache), uses it when it is the
   * session's ({@link Adoption#ours}).
   */
  private static <R extends HasMetadata> R create(
      KubernetesClient client, SessionEventSources caches, NotebookSession session, R desired)
      throws SessionFailure {
    try {
      R created = client.resource(desired).create();
      caches.created(session, created);
      return created;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 422) {
        throw refused(desired, e);
      }
      if (e.getCode() != 409) {
        throw e;
      }
      R existing = client.resource(desired).get();
      if (existing == null) {
        throw Adoption.gone(desired.getKind() + " " + desired.getMetadata().getName());
      }
      return Adoption.ours(session, existing);
    }
  }
}
