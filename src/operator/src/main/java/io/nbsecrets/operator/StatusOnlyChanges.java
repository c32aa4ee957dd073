package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import io.nbsecrets.model.NotebookSession;
import java.util.Objects;

/**
 * Lets through an update of a session unless only its status (and so its resourceVersion and
 * managed fields) changed. The operator is the only writer of status, so such an update is the echo
 * of its own write, and reconciling it again would only find that nothing changed: two reconciles
 * per new session for nothing. Generation-aware processing would drop them too, but it would also
 * drop a change of the annotations (the refresh request), which does not bump the generation; hence
 * this filter: the generation, annotations, labels, finalizers, owners and deletion are what count.
 */
public final class StatusOnlyChanges implements OnUpdateFilter<NotebookSession> {

  @Override
  public boolean accept(NotebookSession updated, NotebookSession old) {
    return metadataChanged(updated, old) || !Objects.equals(updated.getSpec(), old.getSpec());
  }

  /**
   * Whether an update changed what the operator reads in any object's metadata (the generation,
   * annotations, labels, finalizers, owners, deletion), not just its resourceVersion or managed
   * fields; true too when either side is missing, since nothing can then be compared.
   */
  static boolean metadataChanged(HasMetadata updated, HasMetadata old) {
    ObjectMeta now = updated == null ? null : updated.getMetadata();
    ObjectMeta before = old == null ? null : old.getMetadata();
    if (now == null || before == null) {
      return true;
    }
    return !Objects.equals(now.getGeneration(), before.getGeneration())
        || !Objects.equals(now.getAnnotations(), before.getAnnotations())
        || !Objects.equals(now.getLabels(), before.getLabels())
        || !Objects.equals(now.getFinalizers(), before.getFinalizers())
        || !Objects.equals(now.getOwnerReferences(), before.getOwnerReferences())
        || !Objects.equals(now.getDeletionTimestamp(), before.getDeletionTimestamp());
  }
}
