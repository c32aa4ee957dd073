package io.nbsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.nbsecrets.crypto.Fernet;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.operator.Owners;
import io.nbsecrets.operator.SecretResolver;
import io.nbsecrets.operator.SessionSecrets;
import io.nbsecrets.operator.Snapshot;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
   * Starts the session of {@code yaml} before its secret {@code item} is stored (it waits with
   * {@code SecretNotFound}), plants a Secret of the session's own (its controller reference) under
   * the name of its snapshot (the same selection, version 1 of {@code item}) that holds a token the
   * user's key does not open, and then stores the secret with {@code store}. Names are content
   * hashes: the operator finds the Secret made, sees it is the session's and uses it as it is, and
   * the real init step cannot decrypt it. (A Secret that is not the session's is never used: {@code
   * NameTaken}.)
   */
  static void startWithUndecryptableSnapshot(
      ChartRelease chart, String yaml, String item, Callable<?> store) throws Exception {
    NotebookSession session = Serialization.unmarshal(yaml, NotebookSession.class);
    String ns = session.getMetadata().getNamespace();
    String name = session.getMetadata().getName();
    chart.apply("launcher", yaml);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(condition(chart, ns, name, "SecretsReady"))
                    .containsEntry("reason", "SecretNotFound"));
    session.getMetadata().setUid(chart.session(ns, name).getMetadata().getUid());
    Snapshot forged =
        new Snapshot(
            SecretResolver.selectionHash(session),
            List.of(
                new Snapshot.Entry(
                    item,
                    item,
                    1,
                    Fernet.fromKey(Fernet.generateKey())
                        .encrypt("other".getBytes(StandardCharsets.UTF_8)))));
    Secret sealed = SessionSecrets.desired(session, forged);
    sealed.getMetadata().setOwnerReferences(List.of(Owners.controllerReference(session)));
    chart.admin.resource(sealed).create();
    store.call();
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
