package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Step: the StatefulSet around the pod — its name, labels and owner (the session), one replica, how
 * its pod is managed, the headless Service's name, the selector, and the pod template's labels and
 * snapshot annotation. The pod itself comes from the other steps.
 */
final class WorkloadBase {
  /**
   * The pod management policy of a new session's StatefulSet. Under the default, {@code
   * OrderedReady}, the StatefulSet controller waits for the pod to be Running and Ready before it
   * goes on, rolling updates included: a pod that never gets ready (an init step that fails, an
   * image that cannot be pulled) is never replaced by the template that fixes it, and the session
   * stays broken until someone deletes the pod (Kubernetes' "forced rollback"). Under {@code
   * Parallel} the controller replaces a pod of an older revision whether it is ready or not. With
   * one replica there is no order to keep, and a pod's name still admits one pod at a time.
   */
  static final String PARALLEL = "Parallel";

  private WorkloadBase() {}

  /**
   * Whether the StatefulSet to write manages its pod in parallel: a new one does, and one that
   * already does; one an earlier version made ({@code OrderedReady}, or none where nothing defaults
   * it) is written without the field, as that version wrote it, since the API server refuses a
   * change of the policy and a write that names the default again would change the desired hash and
   * write every such StatefulSet at an upgrade.
   */
  static boolean parallelPods(StatefulSet actual) {
    return actual == null
        || actual.getSpec() != null && PARALLEL.equals(actual.getSpec().getPodManagementPolicy());
  }

  /**
   * @param annotations the StatefulSet's own: what it carries for the operator (its snapshot's
   *     record, the Secret it superseded)
   */
  static StatefulSet statefulSet(WorkloadInputs in, PodSpec pod, Map<String, String> annotations) {
    Map<String, String> labels = in.labels();
    Map<String, String> podAnnotations = new LinkedHashMap<>();
    podAnnotations.put(Labels.SNAPSHOT, in.snapshotHash());
    return new StatefulSetBuilder()
        .withNewMetadata()
        .withName(in.name())
        .withNamespace(in.session().getMetadata().getNamespace())
        .withLabels(labels)
        .withAnnotations(annotations.isEmpty() ? null : new LinkedHashMap<>(annotations))
        .withOwnerReferences(Owners.controllerReference(in.session()))
        .endMetadata()
        .withNewSpec()
        .withReplicas(1)
        .withPodManagementPolicy(in.parallelPods() ? PARALLEL : null)
        .withServiceName(in.name())
        .withNewSelector()
        .withMatchLabels(Labels.selector(in.name()))
        .endSelector()
        .withNewTemplate()
        .withNewMetadata()
        .withLabels(labels)
        .withAnnotations(podAnnotations)
        .endMetadata()
        .withSpec(pod)
        .endTemplate()
        .endSpec()
        .build();
  }
}
