package io.nbsecrets.rotation;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.nbsecrets.model.ObjectKeys;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Edits of the key Secrets and the rotation's progress ConfigMap. Each edit re-reads the object and
 * writes it with its {@code resourceVersion}, so a racing writer is never overwritten (the edit is
 * redone on the fresh object, a few times, then fails naming the object).
 */
final class KeySecrets {
  /** On a key Secret during a rotation: the id of the key being rotated to. */
  static final String ROTATING_TO = ObjectKeys.ROTATING_TO;

  /** On a key Secret: the run id of the last rotation completed. */
  static final String LAST_RUN = ObjectKeys.LAST_ROTATION_RUN;

  /** In a key Secret: the current key's id. */
  static final String CURRENT = "current";

  private static final int ATTEMPTS = 5;

  private final KubernetesClient client;
  private final String namespace;
  private final Map<String, String> stateVersions = new ConcurrentHashMap<>();

  KeySecrets(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
  }

  String namespace() {
    return namespace;
  }

  KubernetesClient client() {
    return client;
  }

  Secret read(String name) {
    Secret secret = client.secrets().inNamespace(namespace).withName(name).get();
    if (secret == null) {
      throw new IllegalStateException(
          "secret "
              + namespace
              + "/"
              + name
              + " does not exist: there are no keys to rotate (keys from files are rotated by"
              + " whoever manages the files)");
    }
    return secret;
  }

  /** Applies {@code change} to the Secret's data and annotations and writes it. */
  Secret edit(String name, Consumer<Editable> change) {
    for (int attempt = 1; ; attempt++) {
      Secret current = read(name);
      Editable editable = new Editable(current);
      change.accept(editable);
      if (!editable.changed) {
        return current;
      }
      Secret next =
          new SecretBuilder(current)
              .editMetadata()
              .withAnnotations(editable.annotations)
              .endMetadata()
              .withData(editable.data)
              .build();
      try {
        return client.resource(next).update();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt >= ATTEMPTS) {
          throw new IllegalStateException(
              "cannot update secret "
                  + namespace
                  + "/"
                  + name
                  + " (HTTP "
                  + e.getCode()
                  + "); run the rotation again",
              e);
        }
      }
    }
  }

  /** The rotation's saved progress, if any. */
  Optional<Map<String, String>> readState(String name) {
    ConfigMap cm = client.configMaps().inNamespace(namespace).withName(name).get();
    return Optional.ofNullable(cm).map(c -> c.getData() == null ? Map.of() : c.getData());
  }

  /** Saves the rotation's progress (no secrets: key ids, users and secret names). */
  void writeState(String name, Map<String, String> data) {
    ConfigMap desired =
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(namespace)
            .addToLabels("app.kubernetes.io/managed-by", "nbsecrets")
            .addToLabels("app.kubernetes.io/component", "key-rotation")
            .endMetadata()
            .withData(data)
            .build();
    String known = stateVersions.get(name);
    ConfigMap written = null;
    if (known != null) {
      desired.getMetadata().setResourceVersion(known);
      try {
        written = client.resource(desired).update();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 && e.getCode() != 404) {
          throw e;
        }
        desired.getMetadata().setResourceVersion(null);
      }
    }
    if (written == null) {
      written = client.resource(desired).createOr(existing -> existing.update());
    }
    stateVersions.put(name, written.getMetadata().getResourceVersion());
  }

  void deleteState(String name) {
    stateVersions.remove(name);
    client.configMaps().inNamespace(namespace).withName(name).delete();
  }

  static String decode(String b64) {
    return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8).trim();
  }

  static String encode(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  /** A Secret's data (base64 values) and annotations, to change. */
  static final class Editable {
    private final Map<String, String> data;
    private final Map<String, String> annotations;
    private boolean changed;

    private Editable(Secret secret) {
      data = new LinkedHashMap<>(secret.getData() == null ? Map.of() : secret.getData());
      annotations =
          new LinkedHashMap<>(
              secret.getMetadata().getAnnotations() == null
                  ? Map.of()
                  : secret.getMetadata().getAnnotations());
    }

    Map<String, String> data() {
      return java.util.Collections.unmodifiableMap(data);
    }

    String annotation(String key) {
      return annotations.get(key);
    }

    void putData(String key, String base64) {
      if (!base64.equals(data.put(key, base64))) {
        changed = true;
      }
    }

    void removeData(String key) {
      if (data.remove(key) != null) {
        changed = true;
      }
    }

    void putAnnotation(String key, String value) {
      if (!value.equals(annotations.put(key, value))) {
        changed = true;
      }
    }

    void removeAnnotation(String key) {
      if (annotations.remove(key) != null) {
        changed = true;
      }
    }
  }
}
