package io.nbsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** NotebookSessions as a launcher writes them, and their conditions as kubectl reads them. */
final class Sessions {
  static final Duration WAIT = Duration.ofSeconds(90);

  private Sessions() {}

  static String yaml(String ns, String name, String user, List<String> secrets) {
    return """
        apiVersion: nbsecrets.io/v1alpha1
        kind: NotebookSession
        metadata:
          name: %s
          namespace: %s
        spec:
          user: %s
          image: quay.io/jupyter/minimal-notebook:2024-12-02
          secrets:
            items:
        %s
        """
        .formatted(
            name,
            ns,
            user,
            secrets.stream().map(s -> "      - name: " + s).collect(Collectors.joining("\n")));
  }

  /** The condition {@code type} of a session, or an empty map. */
  static Map<String, Object> condition(ChartRelease chart, String ns, String name, String type) {
    GenericKubernetesResource s = chart.session(ns, name);
    if (s == null || !(s.getAdditionalProperties().get("status") instanceof Map<?, ?> status)) {
      return Map.of();
    }
    if (!(status.get("conditions") instanceof List<?> conditions)) {
      return Map.of();
    }
    for (Object c : conditions) {
      if (c instanceof Map<?, ?> m && type.equals(m.get("type"))) {
        @SuppressWarnings("unchecked")
        Map<String, Object> typed = (Map<String, Object>) m;
        return typed;
      }
    }
    return Map.of();
  }

  static void awaitReady(ChartRelease chart, String ns, String name) {
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () ->
                assertThat(condition(chart, ns, name, "Ready"))
                    .as("Ready condition of %s/%s", ns, name)
                    .containsEntry("status", "True"));
  }
}
