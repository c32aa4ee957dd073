package io.nbsecrets.keys;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.nbsecrets.crypto.RsaKeys;
import java.security.KeyPair;
import java.util.LinkedHashMap;
import java.util.Map;

/** Edits the session keys Secret as an administrator would with {@code kubectl edit}. */
public final class KeysSecretEdits {
  private KeysSecretEdits() {}

  /**
   * Sets each entry of {@code changes} (base64 values, as in the Secret's {@code data}) in the
   * session keys Secret of {@code namespace}; a {@code null} value removes the entry.
   */
  public static void edit(KubernetesClient client, String namespace, Map<String, String> changes) {
    client
        .secrets()
        .inNamespace(namespace)
        .withName(SessionKeys.SECRET_NAME)
        .edit(
            s -> {
              Map<String, String> data = new LinkedHashMap<>(s.getData());
              changes.forEach((k, v) -> data.compute(k, (key, old) -> v));
              s.setData(data);
              return s;
            });
  }

  /** The Secret's entry for {@code pair}'s private key (RSA, PEM, base64). */
  public static String pemEntry(KeyPair pair) {
    return SessionKeys.b64(RsaKeys.privateKeyPem(pair.getPrivate()));
  }

  /** The Secret's entry that names {@code keyId} current. */
  public static String currentEntry(String keyId) {
    return SessionKeys.b64(keyId);
  }
}
