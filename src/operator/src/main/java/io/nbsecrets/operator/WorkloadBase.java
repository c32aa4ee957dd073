package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Step: the StatefulSet around the pod — its name, labels and owner (the session), one replica, the
 * headless Service's name, the selector, and the pod template's labels and snapshot annotation. The
 * pod itself comes from the other steps.
 */
final class WorkloadBase {
  private WorkloadBase() {}

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
