package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.nbsecrets.model.NotebookSession;

/** Owner references: the session controls what the operator makes for it. */
public final class Owners {
  private Owners() {}

  /**
   * A controller reference to the session. {@code blockOwnerDeletion} needs update on
   * notebooksessions/finalizers on a real cluster (the chart grants it).
   */
  public static OwnerReference controllerReference(NotebookSession session) {
    return new OwnerReferenceBuilder()
        .withApiVersion(NotebookSession.API_VERSION)
        .withKind(NotebookSession.KIND)
        .withName(session.getMetadata().getName())
        .withUid(session.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  /**
   * True when {@code owned} is controlled by a session of {@code session}'s name other than it: an
   * earlier session of that name, deleted, whose objects Kubernetes' garbage collector has not
   * removed yet.
   */
  public static boolean isLeftByEarlier(HasMetadata owned, NotebookSession session) {
    return owned.getMetadata().getOwnerReferences() != null
        && owned.getMetadata().getOwnerReferences().stream()
            .anyMatch(
                r ->
                    Boolean.TRUE.equals(r.getController())
                        && NotebookSession.KIND.equals(r.getKind())
                        && NotebookSession.API_VERSION.equals(r.getApiVersion())
                        && session.getMetadata().getName().equals(r.getName())
                        && !session.getMetadata().getUid().equals(r.getUid()));
  }

  /** True when {@code owned} is controlled by the session with this uid. */
  public static boolean isControlledBy(HasMetadata owned, String ownerUid) {
    return owned.getMetadata().getOwnerReferences() != null
        && owned.getMetadata().getOwnerReferences().stream()
            .anyMatch(r -> Boolean.TRUE.equals(r.getController()) && ownerUid.equals(r.getUid()));
  }
}
