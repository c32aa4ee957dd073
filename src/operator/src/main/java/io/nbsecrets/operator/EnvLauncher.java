package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.PodSpec;

/**
 * Step: the seam where the session's secrets will reach its container as environment variables,
 * kept fresh while it runs (a later issue): that step will wrap the user's command in a launcher
 * and add what it needs to the pod. Today no session asks for it, and the only step is {@link
 * #NONE}, which leaves the pod as the other steps built it: the user's plain {@code env} entries
 * (see {@link SessionContainer#plainEnv}), and for a snapshot of an earlier version, its manifest
 * in the init container's {@link Workload#FILES_ENV} (see {@link InitContainer#legacyManifestEnv}).
 */
@FunctionalInterface
interface EnvLauncher {
  /** Changes nothing: the session's secrets are files only. */
  EnvLauncher NONE = (in, pod) -> pod;

  /** The pod, with what the launcher needs; may change and return {@code pod} itself. */
  PodSpec apply(WorkloadInputs in, PodSpec pod);
}
