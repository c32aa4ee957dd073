package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.nbsecrets.model.NotebookSession;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workload step: make the session's StatefulSet and Service match what {@link Workload} desires
 * for the snapshot it follows. An object is replaced only when its desired-state hash differs, so a
 * pass where nothing changed writes nothing.
 */
final class WorkloadStep {
  private static final Logger LOG = LoggerFactory.getLogger(WorkloadStep.class);

  private final OperatorConfig config;

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
    config.apiCaForInit(); // the API's CA must be known before a pod can verify it
    StatefulSet desiredSts =
        Workload.statefulSet(
            new WorkloadInputs(
                session,
                secretName,
                SecretResolver.selectionHash(session),
                record.manifestInSecret() ? null : record.manifest(),
                // A live session's values change under the same pod: its volumes are sized for
                // the largest Secret there can be, so that a new size does not roll the pod.
                record.live() ? SessionSecrets.MAX_DATA_BYTES : record.sealedBytes(),
                config),
            carried(session.getMetadata().getName(), record, secretName, actualSts));
    StatefulSet sts = ensure(client, caches, session, desiredSts, actualSts);
    ensure(client, caches, session, Workload.service(session), actualService);
    return sts;
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
   * the desired annotations (the desired hash among them), nothing otherwise. A replace carries the
   * actual resourceVersion (optimistic lock).
   */
  private static <R extends HasMetadata> R ensure(
      KubernetesClient client,
      SessionEventSources caches,
      NotebookSession session,
      R desired,
      R actual) {
    if (actual == null) {
      return create(client, caches, session, desired);
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
    R updated = client.resource(desired).update();
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

  /** Creates an object that should not exist yet; if it does (a stale cache), uses it. */
  private static <R extends HasMetadata> R create(
      KubernetesClient client, SessionEventSources caches, NotebookSession session, R desired) {
    try {
      R created = client.resource(desired).create();
      caches.created(session, created);
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
}
