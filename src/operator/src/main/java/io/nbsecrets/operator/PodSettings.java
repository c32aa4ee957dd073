package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;

/**
 * Step: the pod-wide settings — the user's service account and scheduling (node selector,
 * tolerations), no service links in the environment, and the pod security context that Pod Security
 * {@code restricted} asks for: non-root as the configured uid and gid, which also own the secrets'
 * files (fsGroup), with the runtime's default seccomp profile. Containers and volumes are the other
 * steps'.
 */
final class PodSettings {
  private PodSettings() {}

  static PodSpec podSpec(WorkloadInputs in) {
    OperatorConfig config = in.config();
    return new PodSpecBuilder()
        .withServiceAccountName(in.spec().getServiceAccountName())
        .withNodeSelector(in.spec().getNodeSelector())
        .withTolerations(in.spec().getTolerations())
        .withEnableServiceLinks(false)
        .withSecurityContext(
            new PodSecurityContextBuilder()
                .withRunAsNonRoot(true)
                .withRunAsUser(config.sessionUid())
                .withRunAsGroup(config.sessionGid())
                .withFsGroup(config.sessionGid())
                .withNewSeccompProfile()
                .withType("RuntimeDefault")
                .endSeccompProfile()
                .build())
        .build();
  }
}
