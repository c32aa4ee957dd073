package io.nbsecrets.operator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionStatus;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a session's status when it changed: a one-operation JSON Patch ({@code add /status}, which
 * replaces the whole status) on the status subresource. Unlike the framework's non-SSA path (a JSON
 * Patch diffed against its cached copy, with array indexes that a stale cache gets wrong) and
 * unlike a merge patch (the mock API server appends arrays instead of replacing them), this is
 * exact everywhere. The operator is the only writer of status.
 */
final class StatusPatch {
  private static final ObjectMapper JSON = new ObjectMapper();

  private StatusPatch() {}

  static void write(
      KubernetesClient client, NotebookSession session, NotebookSessionStatus status) {
    if (unchanged(session.getStatus(), status)) {
      return;
    }
    // Passing an item spares the GET that Fabric8 makes for a patch without one; it copies the
    // item and reads only its name and namespace (the URL), so it is given only those.
    client
        .resource(target(session))
        .subresource("status")
        .patch(
            PatchContext.of(PatchType.JSON),
            toJson(List.of(Map.of("op", "add", "path", "/status", "value", status))));
  }

  /** What a patch of {@code session} needs of it: its kind, name and namespace. */
  static NotebookSession target(NotebookSession session) {
    NotebookSession target = new NotebookSession();
    ObjectMeta meta = new ObjectMeta();
    meta.setName(session.getMetadata().getName());
    meta.setNamespace(session.getMetadata().getNamespace());
    target.setMetadata(meta);
    return target;
  }

  /**
   * Whether {@code next} says nothing new. A status an earlier version wrote has no {@code
   * secretName}: it is not written for that alone (an upgrade writes nothing per session), and
   * comes with the status's next change.
   */
  static boolean unchanged(NotebookSessionStatus previous, NotebookSessionStatus next) {
    if (Objects.equals(previous, next)) {
      return true;
    }
    if (previous == null || previous.getSecretName() != null || next.getSecretName() == null) {
      return false;
    }
    String name = next.getSecretName();
    try {
      next.setSecretName(null);
      return previous.equals(next);
    } finally {
      next.setSecretName(name);
    }
  }

  /** The patch as JSON (the status class leaves out unset fields). */
  private static String toJson(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize the status", e);
    }
  }
}
