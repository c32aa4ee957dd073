package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import java.util.Objects;

/**
 * Lets through an update of a session's StatefulSet only when it changed something a reconcile
 * reads from it: whether its pod is ready ({@link SessionStatusAggregator#podReady}), whether it
 * has no pod at all ({@link PodCreationFailures#noPod}), its generation (the spec, and so the
 * Secret its pod mounts), its annotations (the desired-state hash the workload step compares),
 * labels, owners and deletion. The StatefulSet controller writes the status several times while a
 * pod starts (replicas, revisions, available replicas); a reconcile for each of those would rebuild
 * and hash the desired workload only to find nothing to do and the same status to report.
 */
final class WorkloadChanges implements OnUpdateFilter<StatefulSet> {

  @Override
  public boolean accept(StatefulSet updated, StatefulSet old) {
    if (updated == null || old == null) {
      return true;
    }
    ObjectMeta now = updated.getMetadata();
    ObjectMeta before = old.getMetadata();
    if (now == null || before == null) {
      return true;
    }
    return SessionStatusAggregator.podReady(updated) != SessionStatusAggregator.podReady(old)
        || PodCreationFailures.noPod(updated) != PodCreationFailures.noPod(old)
        || !Objects.equals(now.getGeneration(), before.getGeneration())
        || !Objects.equals(now.getAnnotations(), before.getAnnotations())
        || !Objects.equals(now.getLabels(), before.getLabels())
        || !Objects.equals(now.getOwnerReferences(), before.getOwnerReferences())
        || !Objects.equals(now.getDeletionTimestamp(), before.getDeletionTimestamp());
  }
}
