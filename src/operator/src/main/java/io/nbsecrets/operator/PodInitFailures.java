package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Why a session pod's init step failed, as the kubelet reports it: the init container's
 * termination, whose message the init step writes as {@code <Reason>: <text>} (never a value). The
 * session shows it in {@code SecretsReady} and {@code Ready} under the init step's own reason
 * ({@code UserKeyRefused}, {@code TokenExpired}, {@code DecryptFailed}, ...) rather than only as a
 * pod that is not ready. The operator watches the pods ({@link SessionPods}) for it.
 */
final class PodInitFailures {
  private static final Pattern REASON =
      Pattern.compile("^([A-Z][A-Za-z]{1,63}): (.*)$", Pattern.DOTALL);

  /** The init step's reason and a message naming the pod. */
  record Failure(String reason, String message) {}

  private PodInitFailures() {}

  /**
   * From a pod's status: the init container's current termination with a non-zero exit code; or,
   * when it has not terminated now (waiting to be restarted in CrashLoopBackOff, or running again),
   * its last termination with a non-zero exit code. Keeping the last failure while a retry runs
   * means a crash loop does not flip the session's reason at each restart.
   */
  static Optional<Failure> of(Pod pod) {
    if (pod == null
        || pod.getStatus() == null
        || pod.getStatus().getInitContainerStatuses() == null) {
      return Optional.empty();
    }
    for (ContainerStatus s : pod.getStatus().getInitContainerStatuses()) {
      if (!Workload.INIT_CONTAINER.equals(s.getName())) {
        continue;
      }
      ContainerStateTerminated now = s.getState() == null ? null : s.getState().getTerminated();
      // A current termination decides (exit 0: the step succeeded, whatever failed before);
      // while the container waits to be restarted or runs again, its last failure stands.
      ContainerStateTerminated t =
          now != null
              ? failed(now)
              : failed(s.getLastState() == null ? null : s.getLastState().getTerminated());
      if (t != null) {
        return Optional.of(failure(pod.getMetadata().getName(), t));
      }
    }
    return Optional.empty();
  }

  private static ContainerStateTerminated failed(ContainerStateTerminated t) {
    return t != null && t.getExitCode() != null && t.getExitCode() != 0 ? t : null;
  }

  private static Failure failure(String pod, ContainerStateTerminated t) {
    String text = t.getMessage() == null ? "" : t.getMessage().strip();
    String reason = "InitFailed";
    Matcher m = REASON.matcher(text);
    if (m.matches()) {
      reason = m.group(1);
      text = m.group(2);
    }
    if (text.isEmpty()) {
      text =
          "exit code "
              + t.getExitCode()
              + (t.getReason() == null ? "" : " (" + t.getReason() + ")")
              + "; see the logs of its container "
              + Workload.INIT_CONTAINER;
    }
    return new Failure(
        reason, PodCreationFailures.shorten("the init step of pod " + pod + " failed: " + text));
  }
}
