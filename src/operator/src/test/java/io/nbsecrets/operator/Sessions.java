package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionSpec;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.model.SecretsSpec;
import java.util.Arrays;
import java.util.List;

/** Test sessions. */
public final class Sessions {
  private Sessions() {}

  public static NotebookSession session(
      String namespace, String name, String user, String... secrets) {
    NotebookSession s = new NotebookSession();
    s.setMetadata(
        new ObjectMetaBuilder()
            .withNamespace(namespace)
            .withName(name)
            .withUid("uid-" + name)
            .withGeneration(1L)
            .build());
    NotebookSessionSpec spec = new NotebookSessionSpec();
    spec.setUser(user);
    spec.setImage("quay.io/jupyter/minimal-notebook:latest");
    List<SecretItem> items = Arrays.stream(secrets).map(n -> new SecretItem(n, null)).toList();
    spec.setSecrets(new SecretsSpec(null, null, items));
    s.setSpec(spec);
    return s;
  }

  public static OperatorConfig config() {
    return OperatorConfig.insecure(
        "http://api.test:8080", "nbsecrets:test", "nbsecrets", 1000, 100);
  }
}
