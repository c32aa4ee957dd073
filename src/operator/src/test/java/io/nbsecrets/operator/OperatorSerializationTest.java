package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.nbsecrets.model.NotebookSession;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OperatorSerializationTest {
  private final KubernetesSerialization serialization = OperatorSerialization.create();

  private static final String MANAGED_FIELDS =
      """
      "managedFields": [
        {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1",
         "subresource": "status", "fieldsType": "FieldsV1",
         "fieldsV1": {"f:status": {"f:replicas": {}, "f:readyReplicas": {}}}},
        {"manager": "nbsecrets", "operation": "Update", "apiVersion": "apps/v1",
         "fieldsType": "FieldsV1",
         "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}}
      ]""";

  @Test
  void objectsAreReadWithoutTheirManagedFieldsAndWithEverythingElse() {
    StatefulSet sts =
        serialization.unmarshal(
            """
            {"apiVersion": "apps/v1", "kind": "StatefulSet",
             "metadata": {"name": "nb", "namespace": "alice", "uid": "u1",
                          "resourceVersion": "42", "generation": 3,
                          "labels": {"app.kubernetes.io/managed-by": "nbsecrets"},
                          "annotations": {"nbsecrets.io/desired-hash": "h1"},
                          "unknownField": "kept",
                          %s},
             "spec": {"replicas": 1, "serviceName": "nb"},
             "status": {"replicas": 1, "readyReplicas": 1, "observedGeneration": 3}}
            """
                .formatted(MANAGED_FIELDS),
            StatefulSet.class);

    assertThat(sts.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(sts.getMetadata().getAdditionalProperties())
        .as("managedFields is skipped, not kept aside as an unknown property")
        .containsOnlyKeys("unknownField");
    assertThat(sts.getMetadata().getName()).isEqualTo("nb");
    assertThat(sts.getMetadata().getResourceVersion()).isEqualTo("42");
    assertThat(sts.getMetadata().getGeneration()).isEqualTo(3L);
    assertThat(sts.getMetadata().getLabels())
        .isEqualTo(Map.of("app.kubernetes.io/managed-by", "nbsecrets"));
    assertThat(sts.getMetadata().getAnnotations())
        .isEqualTo(Map.of("nbsecrets.io/desired-hash", "h1"));
    assertThat(sts.getSpec().getServiceName())
        .as("a StatefulSet's spec is read slim: only what a reconcile reads (SlimReaders)")
        .isNull();
    assertThat(sts.getStatus().getReadyReplicas()).isEqualTo(1);
    // What the operator sends back names no managed fields: the server keeps its own.
    assertThat(serialization.asJson(sts)).doesNotContain("managedFields").contains("\"h1\"");
  }

  @Test
  void sessionsAreReadWithoutTheirManagedFieldsToo() {
    NotebookSession session =
        serialization.unmarshal(
            """
            {"apiVersion": "nbsecrets.io/v1alpha1", "kind": "NotebookSession",
             "metadata": {"name": "lab", "namespace": "alice", %s},
             "spec": {"user": "alice", "image": "jupyter"}}
            """
                .formatted(MANAGED_FIELDS),
            NotebookSession.class);

    assertThat(session.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(session.getSpec().getUser()).isEqualTo("alice");
  }
}
