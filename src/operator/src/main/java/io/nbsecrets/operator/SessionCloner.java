package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.Cloner;
import io.nbsecrets.model.NotebookSession;

/**
 * The framework's copy of each resource before a reconcile (written out and read back, as its own
 * cloner does), keeping the record of what a session's spec held that could not be read: the copy
 * no longer holds those fields, so without this the reconciler would act on a spec it read only in
 * part.
 */
final class SessionCloner implements Cloner {
  private final KubernetesClient client;

  SessionCloner(KubernetesClient client) {
    this.client = client;
  }

  @Override
  public <R extends HasMetadata> R clone(R object) {
    R copy = client.getKubernetesSerialization().clone(object);
    if (object instanceof NotebookSession original
        && copy instanceof NotebookSession session
        && original.getSpec() != null
        && session.getSpec() != null) {
      session.getSpec().keepUnreadableFieldsOf(original.getSpec());
    }
    return copy;
  }
}
