package io.nbsecrets.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.nbsecrets.dev.DevEnvironment;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.testing.LogCapture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mock API server keeps any field, as a newer CRD lets a real one keep fields: the operator in
 * the same process lives on, makes nothing for a session it reads only in part, and says why.
 */
class UnreadableSessionTest {
  @TempDir static Path dir;
  static DevEnvironment env;
  static KubernetesClient client;
  static LogCapture logs;

  @BeforeAll
  static void start() {
    logs = new LogCapture();
    env = DevEnvironment.start(DevEnvironment.Options.defaults(dir).withUsers(List.of("alice")));
    client = env.client();
  }

  @AfterAll
  static void stop() {
    if (env != null) {
      env.close();
    }
    if (logs != null) {
      logs.close();
    }
  }

  private static void create(String yaml) {
    client
        .genericKubernetesResources(NotebookSession.API_VERSION, NotebookSession.KIND)
        .inNamespace("alice")
        .resource(Serialization.unmarshal(yaml, GenericKubernetesResource.class))
        .create();
  }

  private static Map<String, String> condition(String name, String type) {
    NotebookSession s =
        client.resources(NotebookSession.class).inNamespace("alice").withName(name).get();
    if (s == null || s.getStatus() == null) {
      return Map.of();
    }
    return s.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst()
        .map(c -> Map.of("status", c.getStatus(), "reason", c.getReason()))
        .orElse(Map.of());
  }

  @Test
  void aSessionWithUnknownFieldsGetsNoWorkloadAndOthersStillReconcile() {
    create(
        """
        apiVersion: nbsecrets.io/v1alpha1
        kind: NotebookSession
        metadata: {name: newer, namespace: alice}
        spec:
          user: alice
          image: img
          initContainers: [{name: warm-up, image: busybox}]
          env: [{name: A, valueFrom: {secretKeyRef: {name: s, key: k}}}]
        """);
    create(
        """
        apiVersion: nbsecrets.io/v1alpha1
        kind: NotebookSession
        metadata: {name: named-port, namespace: alice}
        spec: {user: alice, image: img, port: not-a-number}
        """);
    create(
        """
        apiVersion: nbsecrets.io/v1alpha1
        kind: NotebookSession
        metadata: {name: plain, namespace: alice}
        spec: {user: alice, image: img}
        """);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              for (String name : List.of("newer", "named-port")) {
                assertThat(condition(name, "Ready"))
                    .containsEntry("status", "False")
                    .containsEntry("reason", "UnreadableSpec");
              }
              assertThat(condition("plain", "Ready")).containsEntry("status", "True");
            });
    assertThat(
            client.apps().statefulSets().inNamespace("alice").list().getItems().stream()
                .map(s -> s.getMetadata().getName()))
        .as(() -> "StatefulSets; the log:\n" + logs.text())
        .containsExactly("plain");
  }
}
