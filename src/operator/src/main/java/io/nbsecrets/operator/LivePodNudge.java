package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.ObjectKeys;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After a live session's Secret was updated in place: marks its pod with the new snapshot's name
 * ({@link ObjectKeys#SECRETS_REVISION}), so that the kubelet lays the new Secret out now.
 *
 * <p>Why. The kubelet refreshes a mounted Secret when it syncs the pod, and without a change to the
 * pod that is its periodic sync ({@code syncFrequency}, one minute by default) — on top of the
 * operator's store poll (up to 15 s), more than the minute a user may wait. A change to the pod's
 * metadata makes the kubelet sync the pod at once, and the sync remounts its Secret volumes from
 * the kubelet's watch-fed cache. The pod's spec is untouched, so nothing restarts, and the
 * StatefulSet controller ignores pod annotations.
 *
 * <p>Best effort, one merge patch without a read (RBAC: {@code patch} on pods; the chart's
 * admission policy lets the operator change nothing else on a pod). When it fails, the files still
 * follow within the kubelet's sync period; the failure is logged, never the session's.
 */
final class LivePodNudge {
  private static final Logger LOG = LoggerFactory.getLogger(LivePodNudge.class);

  private LivePodNudge() {}

  static void nudge(KubernetesClient client, NotebookSession session, String revision) {
    String namespace = session.getMetadata().getNamespace();
    String pod = Workload.podName(session.getMetadata().getName());
    try {
      // On an object, not a name: Fabric8 then sends the patch without reading the pod first.
      client
          .resource(
              new PodBuilder()
                  .withNewMetadata()
                  .withNamespace(namespace)
                  .withName(pod)
                  .endMetadata()
                  .build())
          .patch(
              PatchContext.of(PatchType.JSON_MERGE),
              Serialization.asJson(
                  Map.of(
                      "metadata",
                      Map.of("annotations", Map.of(ObjectKeys.SECRETS_REVISION, revision)))));
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return; // no pod yet, or a new one coming: it mounts the Secret as it is now
      }
      LOG.warn(
          "pod {}/{}: cannot mark it for the kubelet (its files follow on the kubelet's next sync"
              + " instead): HTTP {}",
          namespace,
          pod,
          e.getCode());
    }
  }
}
