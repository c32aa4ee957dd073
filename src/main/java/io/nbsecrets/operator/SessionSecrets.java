package io.nbsecrets.operator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.util.Hashes;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The per-session Secret: once-encrypted values only (Fernet tokens under the user's key), owned by
 * the session, immutable. Its name carries the selection hash, so a new snapshot is a new Secret:
 * the pod template points at it and rolls, and the old one is deleted afterwards.
 */
public final class SessionSecrets {
  public static final String TYPE = "nbsecrets.io/session-secrets";
  private static final ObjectMapper JSON = new ObjectMapper();

  private SessionSecrets() {}

  /**
   * The Secret's name: the session's, and a hash of what the snapshot holds (the selection, and
   * each secret's name, file and version). Equal names mean equal contents, so a Secret that
   * already exists under this name is this snapshot, to be used as it is — never replaced under a
   * pod that mounts it — and a new snapshot is a new name, which rolls the pod.
   */
  public static String name(String session, Snapshot snapshot) {
    return name(session, snapshot.selectionHash(), snapshot.manifest());
  }

  static String name(String session, String selectionHash, List<Snapshot.ManifestEntry> manifest) {
    return session + "-secrets-" + contentHash(selectionHash, manifest);
  }

  static String contentHash(String selectionHash, List<Snapshot.ManifestEntry> manifest) {
    return Hashes.ofJson(List.of(selectionHash, manifest)).substring(0, 10);
  }

  public static Secret desired(NotebookSession session, Snapshot snapshot) {
    String sessionName = session.getMetadata().getName();
    Map<String, String> data = new LinkedHashMap<>();
    for (Snapshot.Entry e : snapshot.entries()) {
      data.put(
          e.name(),
          Base64.getEncoder().encodeToString(e.token().getBytes(StandardCharsets.US_ASCII)));
    }
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(Labels.SELECTION_HASH, snapshot.selectionHash());
    annotations.put(Labels.MANIFEST, toJson(snapshot.manifest()));
    annotations.put(Labels.NAMESPACE_USER_ANNOTATION, session.getSpec().getUser());
    return new SecretBuilder()
        .withNewMetadata()
        .withName(name(sessionName, snapshot))
        .withNamespace(session.getMetadata().getNamespace())
        .withLabels(
            Labels.forSession(sessionName, session.getSpec().getUser(), Labels.COMPONENT_SECRETS))
        .withAnnotations(annotations)
        .withOwnerReferences(Owners.controllerReference(session))
        .endMetadata()
        .withType(TYPE)
        .withImmutable(true)
        .withData(data)
        .build();
  }

  public static String selectionHash(Secret secret) {
    return secret.getMetadata().getAnnotations() == null
        ? null
        : secret.getMetadata().getAnnotations().get(Labels.SELECTION_HASH);
  }

  /** The manifest stored on a session Secret (names, files and versions; never values). */
  public static List<Snapshot.ManifestEntry> manifest(Secret secret) {
    Map<String, String> annotations = secret.getMetadata().getAnnotations();
    return parseManifest(
        annotations == null ? null : annotations.get(Labels.MANIFEST),
        "secret " + secret.getMetadata().getName());
  }

  /** A manifest from its JSON ({@code where} names its holder in the error); empty when null. */
  static List<Snapshot.ManifestEntry> parseManifest(String json, String where) {
    if (json == null) {
      return List.of();
    }
    try {
      return JSON.readValue(json, new TypeReference<List<Snapshot.ManifestEntry>>() {});
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(where + " has an unreadable manifest", e);
    }
  }

  /**
   * Whether Secret {@code name} exists, asked without reading it (the operator may not): a
   * server-side dry-run create answers 409 when it does.
   */
  static boolean exists(KubernetesClient client, String namespace, String name) {
    try {
      client
          .secrets()
          .inNamespace(namespace)
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName(name)
                  .withNamespace(namespace)
                  .endMetadata()
                  .build())
          .dryRun()
          .create();
      return false;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        return true;
      }
      throw e;
    }
  }

  /** Total size of the once-encrypted values, to size the in-memory volume. */
  public static long dataBytes(Secret secret) {
    if (secret.getData() == null) {
      return 0;
    }
    return secret.getData().values().stream().mapToLong(v -> v.length() * 3L / 4).sum();
  }

  static String toJson(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write manifest", e);
    }
  }
}
