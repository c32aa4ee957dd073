package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.nbsecrets.model.NotebookSessionSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Step: the user's container — their image, command, arguments, plain environment and resources,
 * the port named {@code http}, and the secrets' in-memory volume mounted read-only at the session's
 * mount path. It never sees the sealed values or the token. Its security context, with the pod's,
 * meets Pod Security {@code restricted}.
 */
final class SessionContainer {
  private SessionContainer() {}

  static Container container(WorkloadInputs in) {
    NotebookSessionSpec spec = in.spec();
    return new ContainerBuilder()
        .withName(Workload.SESSION_CONTAINER)
        .withImage(spec.getImage())
        .withCommand(spec.getCommand())
        .withArgs(spec.getArgs())
        .withEnv(plainEnv(spec))
        .withResources(spec.getResources())
        // Pod Security "restricted" (with runAsNonRoot and seccomp set for the whole pod).
        .withSecurityContext(
            new SecurityContextBuilder()
                .withAllowPrivilegeEscalation(false)
                .withNewCapabilities()
                .withDrop("ALL")
                .endCapabilities()
                .build())
        .addNewPort()
        .withName("http")
        .withContainerPort(in.port())
        .withProtocol("TCP")
        .endPort()
        .withVolumeMounts(
            new VolumeMountBuilder()
                .withName(Workload.FILES_VOLUME)
                .withMountPath(in.mountPath())
                .withReadOnly(true)
                .build())
        .build();
  }

  /** The spec's {@code env} entries, as given: plain values, never a secret's. */
  static List<EnvVar> plainEnv(NotebookSessionSpec spec) {
    List<EnvVar> env = new ArrayList<>();
    if (spec.getEnv() != null) {
      spec.getEnv().forEach(e -> env.add(new EnvVar(e.getName(), e.getValue(), null)));
    }
    return env;
  }
}
