package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.nbsecrets.init.EnvFile;
import java.util.ArrayList;
import java.util.List;

/**
 * Step: the session's secrets as environment variables of its process, with no value in the pod
 * spec. When the session exports any ({@code secrets.envAll} or an {@code items[].env}), the init
 * step also writes them into {@link Workload#ENV_FILE} on a second in-memory volume, and the
 * session container's command runs under the launcher: {@code /bin/sh -c <launcher>
 * nbsecrets-launcher <command...>}, which sources the file and {@code exec}s the command with its
 * arguments, so the command runs as the container's process, as it would have, with the variables
 * set (and so do the Jupyter server, its kernels and terminals). The launcher's text is in the pod
 * spec for anyone to read; the values are only on the in-memory volume and in the process.
 *
 * <p>The command must be given: the launcher replaces the image's entrypoint, which the operator
 * cannot know ({@link SessionValidator} refuses a session that exports variables without one, as
 * the CRD's rule does). The image needs a POSIX {@code /bin/sh}. A session that exports nothing is
 * left as the other steps built it.
 */
final class EnvLauncher {
  private EnvLauncher() {}

  /** The pod, with the launcher and the variables' volume when the session exports any. */
  static PodSpec apply(WorkloadInputs in, PodSpec pod) {
    if (!in.exportsEnv()) {
      return pod;
    }
    VolumeMount writable =
        new VolumeMountBuilder()
            .withName(Workload.ENV_VOLUME)
            .withMountPath(Workload.ENV_DIR)
            .build();
    for (Container init : pod.getInitContainers()) {
      // The init step writes the variables; a live session's sidecar writes them again when the
      // store changes, for a restart of the container.
      if (Workload.INIT_CONTAINER.equals(init.getName())
          || Workload.REFRESH_CONTAINER.equals(init.getName())) {
        init.setArgs(with(init.getArgs(), "--env-file=" + Workload.ENV_FILE));
        init.setVolumeMounts(with(init.getVolumeMounts(), writable));
      }
    }
    for (Container session : pod.getContainers()) {
      if (Workload.SESSION_CONTAINER.equals(session.getName())) {
        session.setCommand(command(in.spec().getCommand()));
        session.setEnv(
            with(
                session.getEnv(), new EnvVar(Workload.ENV_FILE_VARIABLE, Workload.ENV_FILE, null)));
        session.setVolumeMounts(
            with(
                session.getVolumeMounts(),
                new VolumeMountBuilder()
                    .withName(Workload.ENV_VOLUME)
                    .withMountPath(Workload.ENV_DIR)
                    .withReadOnly(true)
                    .build()));
      }
    }
    pod.setVolumes(with(pod.getVolumes(), envVolume(in.sealedBytes())));
    return pod;
  }

  private static <T> List<T> with(List<T> list, T last) {
    List<T> copy = list == null ? new ArrayList<>() : new ArrayList<>(list);
    copy.add(last);
    return copy;
  }

  /** The session container's command: the launcher, then the user's command. */
  static List<String> command(List<String> userCommand) {
    List<String> command = new ArrayList<>();
    command.add("/bin/sh");
    command.add("-c");
    command.add(EnvFile.launcherScript());
    command.add(Workload.LAUNCHER_NAME);
    command.addAll(userCommand);
    return command;
  }

  /**
   * In memory, sized for the worst case of the variables' file: a value is at most three quarters
   * of its sealed token, and each of its bytes takes at most four in the file (a single quote is
   * written {@code '\''}); each line adds {@code export NAME='...'}. A session of up to 256 KiB of
   * sealed values keeps the 1 MiB it always had.
   */
  static Volume envVolume(long sealedBytes) {
    long worst = sealedBytes * 3 + ENV_LINES_BYTES;
    return new VolumeBuilder()
        .withName(Workload.ENV_VOLUME)
        .withNewEmptyDir()
        .withMedium("Memory")
        .withSizeLimit(new Quantity(Math.max(1, (worst + (1 << 20) - 1) >> 20) + "Mi"))
        .endEmptyDir()
        .build();
  }

  /** Room for every line's {@code export NAME='} and {@code '}: over a thousand long names. */
  static final long ENV_LINES_BYTES = 256 << 10;
}
