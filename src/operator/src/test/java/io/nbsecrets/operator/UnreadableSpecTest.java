package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * NotebookSessions as a newer CRD lets the API server keep them, read with the client's own
 * serialization (as its informers read them): never a failure, and each field that could not be
 * read named by its path, never by its value.
 */
class UnreadableSpecTest {
  private static final KubernetesSerialization JSON = new KubernetesSerialization();
  private static final String VALUE = "value-never-shown-4b1d";

  private static NotebookSession read(String spec) {
    return JSON.unmarshal(
        """
        {"apiVersion": "nbsecrets.io/v1alpha1", "kind": "NotebookSession",
         "metadata": {"name": "nb", "namespace": "alice", "generation": 1},
         "spec": %s}
        """
            .formatted(spec),
        NotebookSession.class);
  }

  @Test
  void aSpecWithoutSurprisesHasNothingUnreadable() {
    NotebookSession s =
        read(
            """
            {"user": "alice", "image": "img", "port": 8080, "env": [{"name": "A", "value": "1"}],
             "secrets": {"items": [{"name": "token"}]}}""");
    assertThat(s.getSpec().unreadableFields()).isEmpty();
    assertThat(s.getSpec().getPort()).isEqualTo(8080);
  }

  @Test
  void unknownFieldsAreSkippedAndNamedAtEveryDepth() {
    NotebookSession s =
        read(
            """
            {"user": "alice", "image": "img",
             "initContainers": [{"name": "x", "args": ["%1$s"]}],
             "env": [{"name": "A", "value": "1"},
                     {"name": "B", "valueFrom": {"secretKeyRef": {"name": "%1$s"}}}],
             "secrets": {"readOnly": "%1$s", "items": [{"name": "token", "mode": 256}]},
             "priority": "%1$s"}"""
                .formatted(VALUE));
    NotebookSessionSpec spec = s.getSpec();
    assertThat(spec.getUser()).isEqualTo("alice");
    assertThat(spec.getEnv()).hasSize(2);
    assertThat(spec.getSecrets().getItems()).hasSize(1);
    assertThat(spec.unreadableFields())
        .containsExactlyInAnyOrder(
            "spec.initContainers is not a field this operator knows",
            "spec.env[1].valueFrom is not a field this operator knows",
            "spec.secrets.readOnly is not a field this operator knows",
            "spec.secrets.items[0].mode is not a field this operator knows",
            "spec.priority is not a field this operator knows");
  }

  @Test
  void valuesOfOtherTypesAreLeftOutAndNamedWithWhatWasExpected() {
    NotebookSession s =
        read(
            """
            {"user": "alice", "image": "img", "port": "%1$s", "command": {"a": "%1$s"},
             "env": [{"name": "A", "value": "1"}, "%1$s"], "unknown": 1,
             "secrets": {"all": {"x": 1}, "items": [{"name": "token"}]}}"""
                .formatted(VALUE));
    NotebookSessionSpec spec = s.getSpec();
    assertThat(spec.getUser()).isEqualTo("alice");
    assertThat(spec.getPort()).isNull();
    assertThat(spec.getSecrets().getItems()).hasSize(1);
    assertThat(spec.unreadableFields())
        .contains(
            "spec.port is not an integer as this operator expects",
            "spec.command is not a list as this operator expects",
            "spec.secrets.all is not true or false as this operator expects",
            "spec.unknown is not a field this operator knows")
        .anyMatch(p -> p.startsWith("spec.env[1] "))
        .noneMatch(p -> p.contains(VALUE));
  }

  @Test
  void aSpecThatIsNoObjectReadsAsEmpty() {
    assertThat(read("\"" + VALUE + "\"").getSpec().unreadableFields())
        .containsExactly("spec is not an object");
  }

  @Test
  void manyProblemsAreCounted() {
    StringBuilder fields = new StringBuilder("{\"user\": \"alice\", \"image\": \"img\"");
    for (int i = 0; i < 40; i++) {
      fields.append(", \"f").append(i).append("\": ").append(i);
    }
    List<String> problems = read(fields + "}").getSpec().unreadableFields();
    assertThat(problems).hasSize(11).last().isEqualTo("and 30 more");
  }

  @Test
  void theValidatorRefusesTheSessionNamingTheFieldsButNoValue() {
    NotebookSession s =
        read(
            """
            {"user": "alice", "image": "img", "port": "%1$s",
             "initContainers": [{"name": "%1$s"}]}"""
                .formatted(VALUE));
    assertThatThrownBy(() -> SessionValidator.validateSpec(s))
        .isInstanceOfSatisfying(
            SessionFailure.class,
            f -> {
              assertThat(f.reason()).isEqualTo("UnreadableSpec");
              assertThat(f.getMessage())
                  .contains("spec.port", "spec.initContainers")
                  .doesNotContain(VALUE);
            });
  }

  @Test
  void theFrameworksCopyKeepsTheRecordOfWhatCouldNotBeRead() {
    NotebookSession s = read("{\"user\": \"alice\", \"image\": \"img\", \"initContainers\": []}");
    try (KubernetesClient client = new KubernetesClientBuilder().build()) {
      NotebookSession copy = new SessionCloner(client).clone(s);
      assertThat(copy).isNotSameAs(s);
      assertThat(copy.getSpec().unreadableFields())
          .containsExactly("spec.initContainers is not a field this operator knows");
    }
  }

  @Test
  void aStatusWrittenByANewerOperatorIsReadForWhatItHolds() {
    NotebookSession s =
        JSON.unmarshal(
            """
            {"apiVersion": "nbsecrets.io/v1alpha1", "kind": "NotebookSession",
             "metadata": {"name": "nb", "namespace": "alice"},
             "spec": {"user": "alice", "image": "img"},
             "extra": {"a": 1},
             "status": {"observedGeneration": 3, "phase": "Running", "secretCount": "many",
                        "secrets": [{"name": "token", "version": 2, "digest": "x"}],
                        "conditions": [{"type": "Ready", "status": "True", "reason": "R",
                                        "message": "m", "lastTransitionTime": "2026-01-01T00:00:00Z",
                                        "severity": "info"}]}}""",
            NotebookSession.class);
    assertThat(s.getStatus().getObservedGeneration()).isEqualTo(3L);
    assertThat(s.getStatus().getSecretCount()).as("counted from secrets").isEqualTo(1);
    assertThat(s.getStatus().getSecrets())
        .singleElement()
        .satisfies(m -> m.getName().equals("token"));
    assertThat(s.getStatus().getConditions())
        .singleElement()
        .satisfies(c -> c.getType().equals("Ready"));
    assertThat(s.getSpec().unreadableFields()).isEmpty();
  }
}
