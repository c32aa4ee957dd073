package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;

/**
 * Lets through an update of a session's StatefulSet only when it changed something a reconcile
 * reads from it: whether its pod is ready ({@link SessionStatusAggregator#podReady}), its
 * generation (the spec, and so the Secret its pod mounts), its annotations (the desired-state hash
 * the workload step compares), labels, owners and deletion. It drops the controller's status writes
 * that change none of these (a rollout's replica counts, the available count after readiness, the
 * collision count), which would only rebuild and hash the desired workload to find nothing to do.
 * Of a new session's three status writes (spec observed with no pod yet, pod made, pod ready) only
 * the last reconciles: whether there is a pod is read from the pod cache, and a failure to make one
 * arrives as an Event ({@link PodCreationFailures#noPod}; docs/benchmarks.md).
 *
 * <p>It holds while a reconcile reads the StatefulSet's status only through {@code podReady}: a new
 * read of its status belongs here too, and a new read of any part of it in {@link Workload#slim},
 * which makes what the cache keeps.
 */
final class WorkloadChanges implements OnUpdateFilter<StatefulSet> {

  @Override
  public boolean accept(StatefulSet updated, StatefulSet old) {
    return StatusOnlyChanges.metadataChanged(updated, old)
        || SessionStatusAggregator.podReady(updated) != SessionStatusAggregator.podReady(old);
  }
}
