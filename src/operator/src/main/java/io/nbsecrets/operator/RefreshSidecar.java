package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Step: for a {@code refresh: Live} session, the refresh sidecar — a native sidecar (an init
 * container with {@code restartPolicy: Always}, Kubernetes 1.29 and later) after the init step,
 * running {@code nbsecrets refresh} with the init step's image, mounts, lock-down and resources. It
 * follows the mounted session Secret, which the operator updates in place, and rewrites the
 * session's files when it changes. A session whose values are taken at start is left as it was.
 */
final class RefreshSidecar {
  private RefreshSidecar() {}

  static PodSpec apply(WorkloadInputs in, PodSpec pod) {
    if (!in.live()) {
      return pod;
    }
    List<Container> inits = new ArrayList<>(pod.getInitContainers());
    inits.add(container(in));
    pod.setInitContainers(inits);
    return pod;
  }

  static Container container(WorkloadInputs in) {
    List<String> args = new ArrayList<>(InitContainer.args(in.config(), in.mountPath()));
    args.set(0, "refresh");
    return new ContainerBuilder(InitContainer.container(in))
        .withName(Workload.REFRESH_CONTAINER)
        .withRestartPolicy("Always")
        .withArgs(args)
        .build();
  }
}
