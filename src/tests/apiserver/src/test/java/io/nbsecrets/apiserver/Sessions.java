package io.nbsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.nbsecrets.crypto.Fernet;
import io.nbsecrets.model.NotebookSession;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
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

  /**
   * Stores the secret {@code item} with {@code store}, starts the session of {@code yaml} and waits
   * until it is Ready; then replaces its Secret by hand with one of the same name, labels and
   * controller reference whose token for {@code item} the user's key does not open, and deletes the
   * pod. The operator never reads Secrets and goes on using the one of that name: the StatefulSet's
   * next pod mounts the replacement, and the real init step cannot decrypt it. (The snapshot's name
   * cannot be planted beforehand: it hashes when each record was created.)
   */
  static void startWithUndecryptableSnapshot(
      ChartRelease chart, String yaml, String item, Callable<?> store) throws Exception {
    NotebookSession session = Serialization.unmarshal(yaml, NotebookSession.class);
    String ns = session.getMetadata().getNamespace();
    String name = session.getMetadata().getName();
    store.call();
    chart.apply("launcher", yaml);
    awaitReady(chart, ns, name);
    String secretName = secretName(chart, ns, name);
    Secret real = chart.admin.secrets().inNamespace(ns).withName(secretName).get();
    String other =
        Fernet.fromKey(Fernet.generateKey()).encrypt("other".getBytes(StandardCharsets.UTF_8));
    Secret forged =
        new SecretBuilder(real)
            .editMetadata()
            .withResourceVersion(null)
            .withUid(null)
            .withCreationTimestamp(null)
            .withManagedFields()
            .endMetadata()
            .addToData(
                item, Base64.getEncoder().encodeToString(other.getBytes(StandardCharsets.US_ASCII)))
            .build();
    chart.admin.secrets().inNamespace(ns).withName(secretName).delete();
    await()
        .atMost(WAIT)
        .until(() -> chart.admin.secrets().inNamespace(ns).withName(secretName).get() == null);
    chart.admin.resource(forged).create();
    String pod = name + "-0";
    String uid = chart.admin.pods().inNamespace(ns).withName(pod).get().getMetadata().getUid();
    chart.admin.pods().inNamespace(ns).withName(pod).delete();
    await()
        .atMost(WAIT)
        .until(
            () -> {
              var next = chart.admin.pods().inNamespace(ns).withName(pod).get();
              return next != null && !uid.equals(next.getMetadata().getUid());
            });
  }

  static Map<String, Object> condition(ChartRelease chart, String ns, String name, String type) {
    return condition(chart.session(ns, name), type);
  }

  /** The condition of {@code type} of session {@code s} (null: none yet), or an empty map. */
  static Map<String, Object> condition(GenericKubernetesResource s, String type) {
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

  /** The per-session Secret the status of session {@code ns/name} names, or null. */
  static String secretName(ChartRelease chart, String ns, String name) {
    GenericKubernetesResource s = chart.session(ns, name);
    return s != null && s.getAdditionalProperties().get("status") instanceof Map<?, ?> status
        ? (String) status.get("secretName")
        : null;
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
