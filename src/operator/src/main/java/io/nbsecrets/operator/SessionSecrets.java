package io.nbsecrets.operator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.nbsecrets.init.SecretFiles;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.ObjectKeys;
import io.nbsecrets.util.Counts;
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
  public static final String TYPE = ObjectKeys.TYPE_SESSION_SECRETS;

  /** The key holding the manifest (see {@link SecretFiles#MANIFEST_FILE}). */
  public static final String MANIFEST_KEY = SecretFiles.MANIFEST_FILE;

  /**
   * The most a Secret's data may hold, counted as the API server counts it: the decoded values,
   * without keys ({@code core.MaxSecretSize}, 1 MiB). ConfigMaps have the same limit.
   */
  public static final int MAX_DATA_BYTES = 1_048_576;

  /** Reads and writes manifests and snapshot records. */
  static final ObjectMapper JSON = new ObjectMapper();

  private SessionSecrets() {}

  /**
   * The Secret's name: the session's, and a hash of what the snapshot holds (the selection, and
   * each secret's name, file and version). Equal names mean equal contents, so a Secret that
   * already exists under this name is this snapshot, to be used as it is — never replaced under a
   * pod that mounts it — and a new snapshot is a new name, which rolls the pod.
   */
  public static String name(String session, Snapshot snapshot) {
    return snapshot.live()
        ? liveName(session)
        : name(session, snapshot.selectionHash(), snapshot.manifest(), true);
  }

  /**
   * The Secret of a {@code refresh: Live} session: one name for the session's life, updated in
   * place, so that the pod mounting it keeps running while the kubelet updates its files.
   */
  public static String liveName(String session) {
    return session + "-secrets-live";
  }

  /**
   * {@code manifestInSecret} is the layout: true for the Secrets of this version, which hold their
   * manifest under {@link #MANIFEST_KEY}; false for those of earlier versions (manifest in an
   * annotation and the pod's environment). The layout is part of the hash, so a new Secret is never
   * mistaken for an old one of the same contents, which lacks the key the init step reads.
   */
  static String name(
      String session,
      String selectionHash,
      List<Snapshot.ManifestEntry> manifest,
      boolean manifestInSecret) {
    return session + "-secrets-" + contentHash(selectionHash, manifest, manifestInSecret);
  }

  /**
   * Whether {@code name} is one of {@code session}'s own Secret names: a snapshot's ({@code
   * <session>-secrets-} and 10 hex characters) or its live one. The operator deletes no other
   * Secret, whatever a StatefulSet says.
   */
  static boolean isSessionSecret(String session, String name) {
    if (name == null) {
      return false;
    }
    if (name.equals(liveName(session))) {
      return true;
    }
    String prefix = session + "-secrets-";
    return name.startsWith(prefix) && name.substring(prefix.length()).matches("[0-9a-f]{10}");
  }

  static String contentHash(
      String selectionHash, List<Snapshot.ManifestEntry> manifest, boolean manifestInSecret) {
    List<Object> parts =
        manifestInSecret
            ? List.of(selectionHash, manifest, MANIFEST_KEY)
            : List.of(selectionHash, manifest);
    return Hashes.ofJson(parts).substring(0, 10);
  }

  public static Secret desired(NotebookSession session, Snapshot snapshot) {
    String sessionName = session.getMetadata().getName();
    Map<String, String> data = new LinkedHashMap<>();
    for (Snapshot.Entry e : snapshot.entries()) {
      data.put(
          e.name(),
          Base64.getEncoder().encodeToString(e.token().getBytes(StandardCharsets.US_ASCII)));
    }
    // In the data, not an annotation (all annotations together may hold 256 KiB) nor the init
    // container's environment (one string may hold 128 KiB): 1,000 secrets with long names pass
    // both. The data's own limit is checked before anything is written (requireFits).
    data.put(
        MANIFEST_KEY,
        Base64.getEncoder()
            .encodeToString(toJson(snapshot.manifest()).getBytes(StandardCharsets.UTF_8)));
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(Labels.SELECTION_HASH, snapshot.selectionHash());
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
        // A live session's Secret is updated in place; every other is never changed.
        .withImmutable(snapshot.live() ? null : true)
        .withData(data)
        .build();
  }

  public static String selectionHash(Secret secret) {
    return secret.getMetadata().getAnnotations() == null
        ? null
        : secret.getMetadata().getAnnotations().get(Labels.SELECTION_HASH);
  }

  /**
   * The manifest stored in a session Secret (names, files and versions; never values): under {@link
   * #MANIFEST_KEY}, or, in a Secret of an earlier version, in an annotation.
   */
  public static List<Snapshot.ManifestEntry> manifest(Secret secret) {
    String where = "secret " + secret.getMetadata().getName();
    String encoded = secret.getData() == null ? null : secret.getData().get(MANIFEST_KEY);
    if (encoded != null) {
      return parseManifest(
          new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8), where);
    }
    Map<String, String> annotations = secret.getMetadata().getAnnotations();
    return parseManifest(annotations == null ? null : annotations.get(Labels.MANIFEST), where);
  }

  /**
   * Refuses a snapshot whose Secret or record the API server would refuse, before either is
   * written: the session gets a condition naming the limit and the numbers, and nothing is left
   * half-made. (The Secret holds the tokens and the manifest, the record only the manifest and two
   * short fields, so in practice the Secret is the one that does not fit.)
   */
  static void requireFits(Snapshot snapshot, Secret sealed, SnapshotRecord record)
      throws SessionFailure {
    String selected = Counts.of(snapshot.entries().size(), "selected secret");
    requireAtMostMaxData(
        dataBytes(sealed),
        "the session Secret of the " + selected,
        "encrypted values and the list of files",
        "a Kubernetes Secret",
        "select fewer or smaller secrets");
    requireAtMostMaxData(
        record.dataBytes(),
        "the snapshot record of the " + selected,
        "their names and files",
        "a Kubernetes ConfigMap",
        "select fewer secrets, or secrets with shorter names");
  }

  /**
   * Refuses an object of {@code bytes} of data over {@link #MAX_DATA_BYTES}: {@code object} needs
   * that many bytes ({@code contents}), {@code kind} holds at most the limit, {@code advice} says
   * what to select instead.
   */
  private static void requireAtMostMaxData(
      long bytes, String object, String contents, String kind, String advice)
      throws SessionFailure {
    if (bytes > MAX_DATA_BYTES) {
      throw new SessionFailure(
          SessionFailure.Scope.SECRETS,
          Reason.SECRET_TOO_LARGE,
          object
              + " needs "
              + Counts.of(bytes, "byte")
              + " ("
              + contents
              + "); "
              + kind
              + " holds at most "
              + Counts.of(MAX_DATA_BYTES, "byte")
              + ": "
              + advice);
    }
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

  /**
   * The decoded size of a Secret's data, as the API server counts it against {@link
   * #MAX_DATA_BYTES}; also sizes the in-memory volume.
   */
  public static long dataBytes(Secret secret) {
    if (secret.getData() == null) {
      return 0;
    }
    return secret.getData().values().stream().mapToLong(SessionSecrets::decodedLength).sum();
  }

  /** The length of what standard base64 {@code encoded} decodes to, without decoding it. */
  static long decodedLength(String encoded) {
    int n = encoded.length();
    int padding =
        n > 0 && encoded.charAt(n - 1) == '=' ? (n > 1 && encoded.charAt(n - 2) == '=' ? 2 : 1) : 0;
    return n / 4 * 3L - padding;
  }

  static String toJson(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write manifest", e);
    }
  }
}
