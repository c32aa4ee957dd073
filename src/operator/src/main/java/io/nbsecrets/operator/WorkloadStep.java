package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.nbsecrets.model.NotebookSession;
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
      ConfigMap record,
      StatefulSet actualSts,
      Service actualService)
      throws SessionFailure {
    String secretName =
        SnapshotRecords.secretName(session.getMetadata().getName(), record).orElseThrow();
    config.apiCaForInit(); // the API's CA must be known before a pod can verify it
    StatefulSet desiredSts =
        Workload.statefulSet(
            new WorkloadInputs(
                session,
                secretName,
                SecretResolver.selectionHash(session),
                SnapshotRecords.manifestInSecret(record) ? null : SnapshotRecords.manifest(record),
                // A live session's values change under the same pod: its volumes are sized for
                // the largest Secret there can be, so that a new size does not roll the pod.
                SnapshotRecords.live(record)
                    ? SessionSecrets.MAX_DATA_BYTES
                    : SnapshotRecords.sealedBytes(record),
                config));
    StatefulSet sts = ensure(client, caches, session, desiredSts, actualSts);
    ensure(client, caches, session, Workload.service(session), actualService);
    return sts;
  }

  /**
   * Makes {@code actual} match {@code desired}: create when absent, replace when the desired hash
   * differs, nothing otherwise. A replace carries the actual resourceVersion (optimistic lock).
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
    caches.updated(session, updated, actual);
    LOG.info("updated {} {}", desired.getKind(), desired.getMetadata().getName());
    return updated;
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
