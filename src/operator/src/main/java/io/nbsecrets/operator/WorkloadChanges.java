package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;

/**
 * Lets through an update of a session's StatefulSet only when it changed something a reconcile
 * reads from it: whether its pod is ready ({@link SessionStatusAggregator#podReady}), whether it
 * has no pod at all ({@link PodCreationFailures#noPod}), its generation (the spec, and so the
 * Secret its pod mounts), its annotations (the desired-state hash the workload step compares),
 * labels, owners and deletion. It drops the controller's status writes that change none of these (a
 * rollout's replica counts, the available count after readiness, the collision count), which would
 * only rebuild and hash the desired workload to find nothing to do. A new session's writes each
 * change one (spec observed with no pod yet, pod made, pod ready): docs/benchmarks.md.
 *
 * <p>It holds while a reconcile reads the StatefulSet's status only through those two predicates: a
 * new read of its status belongs here too.
 */
final class WorkloadChanges implements OnUpdateFilter<StatefulSet> {

  @Override
  public boolean accept(StatefulSet updated, StatefulSet old) {
    return StatusOnlyChanges.metadataChanged(updated, old)
        || SessionStatusAggregator.podReady(updated) != SessionStatusAggregator.podReady(old)
        || PodCreationFailures.noPod(updated) != PodCreationFailures.noPod(old);
  }
}
